// How start() dials one bootstrap address. An answer ends the dial at once, whatever it is:
// "nothing listens here" (connection refused), an address the transport cannot take, a
// refusal in the handshake. Only silence (a dial or handshake that timed out, a connection
// lost mid-handshake) and "busy" (too many handshakes under way there: a flash crowd) are
// retried, with the connection manager's backoff, since a lossy link may swallow a first
// attempt and a busy node's waiting room empties within round trips. So a mistyped address fails start() within a round trip,
// not after the 35 s of backoff the manager's connect() would spend re-dialling it. And once
// another bootstrap address has led to a session, a silent one is not retried either: start()
// would otherwise wait out its backoff (half a minute) with the node already joined.

import { backoffDelayMs } from '../peers/backoff.js'
import type { ConnectionManager } from '../peers/connection-manager.js'
import { classifyDialFailure } from '../peers/dial-failure.js'
import type { PeerSession } from '../peers/session.js'
import type { Clock } from '../util/clock.js'
import type { RandomSource } from '../util/random.js'
import { delay } from '../util/delay.js'

export interface BootstrapDialPolicy {
  readonly maxRetries: number
  readonly retryBaseMs: number
  readonly retryJitter: number
  readonly clock: Clock
  readonly random: RandomSource
}

/** Whether a failed connect was silence or "busy" (worth another dial) rather than the network's final answer. */
export function isWorthRetrying(error: unknown): boolean {
  const failure = classifyDialFailure(error)
  return failure === 'busy' || failure === 'silent'
}

/**
 * Connects to a bootstrap address: answers are final, silence and "busy" are retried `maxRetries` times
 * until `retriesOver` aborts (another address has joined the node: then the last failure is
 * final, even in the middle of a backoff). Aborts with `signal`.
 */
export async function connectBootstrap(manager: ConnectionManager, address: string, policy: BootstrapDialPolicy, signal: AbortSignal, retriesOver?: AbortSignal): Promise<PeerSession> {
  const waitSignal = retriesOver === undefined ? signal : AbortSignal.any([signal, retriesOver])
  for (let retry = 0; ; retry++) {
    try {
      return await manager.connect(address, { maxRetries: 0, signal })
    } catch (error) {
      if (signal.aborted || retry >= policy.maxRetries || !isWorthRetrying(error) || retriesOver?.aborted) throw error
      try {
        await delay(policy.clock, backoffDelayMs(retry + 1, policy.retryBaseMs, policy.retryJitter, policy.random), waitSignal)
      } catch (aborted) {
        throw signal.aborted ? aborted : error
      }
    }
  }
}
