// The attack loop both flood benchmarks run (in this process, bench/flood-latency.ts; in
// another, bench/flood-attacker.ts): a fresh attacker dials in, sends frames of 1,024 pings
// as fast as its link takes them once authenticated, and when it is banned the next one
// dials, until `isFlooding()` says stop.

import { encodeFrame, MAX_MESSAGES_PER_FRAME, type DecodedMessage } from '../src/wire/index.js'
import type { Attacker, AttackerLink } from '../test/node/attacker.js'

/** Frames sent per turn of the event loop while the link has room. */
export const FRAMES_PER_TURN = 10
/** What an attacker keeps in its link's send buffer; past it, the link is full. */
const MAX_BUFFERED_BYTES = 1 << 20

export interface FloodCount {
  attackers: number
  framesSent: number
}

/**
 * Floods `target` until `isFlooding()` is false, with attackers from `nextAttacker(n)`;
 * `whenFull` is how it waits while a link has no room (a timer, so it does not spin a core).
 */
export async function flood(target: string, nextAttacker: (n: number) => Attacker, isFlooding: () => boolean, whenFull: () => Promise<unknown>, count: FloodCount): Promise<void> {
  const frame = encodeFrame(Array.from({ length: MAX_MESSAGES_PER_FRAME }, (_, i): DecodedMessage => ({ type: 'ping', requestId: i + 1 })))
  while (isFlooding()) {
    const attacker = nextAttacker(++count.attackers)
    let link: AttackerLink
    try {
      link = await attacker.dial(target)
    } catch {
      await attacker.close()
      await whenFull()
      continue
    }
    while (isFlooding() && link.closed === undefined) {
      let sent = 0
      if (link.isRemoteAuthenticated) {
        for (; sent < FRAMES_PER_TURN && link.connection.isOpen && link.connection.bufferedAmount < MAX_BUFFERED_BYTES; sent++) link.sendBytes(frame)
        count.framesSent += sent
      }
      await (sent > 0 ? new Promise((resolve) => setImmediate(resolve)) : whenFull())
    }
    await attacker.close()
  }
}
