// How start() dials its bootstrap addresses: in turn (dialInTurn below), and each of them so. An answer ends the dial at once, whatever it is:
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
import { PeerError } from '../peers/errors.js'
import type { PeerSession } from '../peers/session.js'
import type { Clock, TimerHandle } from '../util/clock.js'
import { delay } from '../util/delay.js'
import { shuffle, type RandomSource } from '../util/random.js'

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

/**
 * How long start() waits on a bootstrap address that has not answered before it dials the next
 * one as well: Happy Eyeballs' connection attempt delay (RFC 8305 suggests 250 ms for a TCP
 * connect), made longer for a dial and a handshake of two round trips.
 */
export const BOOTSTRAP_STAGGER_MS = 1_000

/** What became of one bootstrap address: undefined when it was not dialled (an earlier one led on). */
export type BootstrapDialOutcome = PromiseSettledResult<PeerSession> | undefined

export interface BootstrapTurnOptions extends Pick<BootstrapDialPolicy, 'clock' | 'random'> {
  readonly staggerMs: number
  readonly signal: AbortSignal
}

/**
 * Dials the addresses in a random order, one at a time unless one is slow: the next starts when
 * the last failed with nowhere to go, or after `staggerMs` without an answer. None starts once a
 * session opened or a full node offered peers instead (a redirect). So a newcomer puts one
 * handshake on one bootstrap node, not one on each: in a flash crowd the bootstrap nodes' waiting
 * rooms fill a third as fast, and newcomers spread over them. Resolves at the first session, or
 * once every dial started has settled, with each address's outcome in the order given; a dial
 * still under way at the first session goes on by itself (its outcome stays undefined).
 */
export function dialInTurn(addresses: readonly string[], dial: (address: string) => Promise<PeerSession>, options: BootstrapTurnOptions): Promise<BootstrapDialOutcome[]> {
  const { clock, staggerMs, signal } = options
  const order = shuffle(addresses.map((_, i) => i), options.random)
  const outcomes: BootstrapDialOutcome[] = addresses.map(() => undefined)
  return new Promise((resolve) => {
    let started = 0
    let running = 0
    let hasLedOn = false
    let isResolved = false
    let stagger: TimerHandle | undefined
    const clearStagger = () => {
      if (stagger !== undefined) clock.clearTimeout(stagger)
      stagger = undefined
    }
    const finish = () => {
      clearStagger()
      if (isResolved) return
      isResolved = true
      resolve(outcomes.slice())
    }
    const startNext = (): void => {
      clearStagger()
      if (isResolved) return
      if (hasLedOn || signal.aborted || started === order.length) {
        if (running === 0) finish()
        return
      }
      const index = order[started++]
      running++
      dial(addresses[index]).then(
        (session) => {
          outcomes[index] = { status: 'fulfilled', value: session }
          hasLedOn = true
          finish()
        },
        (reason: unknown) => {
          outcomes[index] = { status: 'rejected', reason }
          if (reason instanceof PeerError && reason.redirect.length > 0) hasLedOn = true
        },
      ).finally(() => {
        running--
        startNext()
      })
      if (started < order.length) stagger = clock.setTimeout(startNext, staggerMs)
    }
    startNext()
  })
}
