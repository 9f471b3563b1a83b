// MeshNode.waitForSubscribers(): promises that settle once enough neighbours have announced a
// topic. A publish leaves a node only towards neighbours subscribed to its topic (only
// subscribers relay it), so "a subscribed neighbour" is exactly what a first publish needs.
// Each wait holds one clock timer (its timeout) and at most one abort listener, both released
// when it settles; the relay's announcements wake the waits of their topics.

import type { Clock, TimerHandle } from '../util/clock.js'
import { checkInteger, describeValue } from '../util/validate.js'
import { MeshNodeError } from './errors.js'

export interface WaitForSubscribersOptions {
  /** Subscribed neighbours to wait for, 1 to 10,000. DEFAULT 1. */
  min?: number
  /** Rejects with NODE_TIMEOUT after this many milliseconds, 1 to 2,147,483,647. DEFAULT 30,000. */
  timeoutMs?: number
  /** Aborting rejects with NODE_ABORTED (its name is 'AbortError', its cause the signal's reason). */
  signal?: AbortSignal
}

export const DEFAULT_WAIT_FOR_SUBSCRIBERS_TIMEOUT_MS = 30_000
const MAX_TIMER_MS = 2_147_483_647

interface Wait {
  readonly topic: string
  readonly min: number
  readonly resolve: (count: number) => void
  readonly reject: (error: Error) => void
  timer: TimerHandle | undefined
  signal: AbortSignal | undefined
  readonly onAbort: () => void
}

const invalid = (message: string) => new MeshNodeError('NODE_INVALID_ARGUMENT', message)

export class SubscriberWaits {
  readonly #waits = new Map<string, Set<Wait>>()
  readonly #clock: Clock
  /** Open sessions whose peer announced `topic`. */
  readonly #subscribers: (topic: string) => number
  /** Open sessions, for the timeout's message. */
  readonly #peers: () => number

  constructor(clock: Clock, subscribers: (topic: string) => number, peers: () => number) {
    this.#clock = clock
    this.#subscribers = subscribers
    this.#peers = peers
  }

  wait(topic: string, options: WaitForSubscribersOptions): Promise<number> {
    if (typeof topic !== 'string' || topic.length === 0) return Promise.reject(invalid(`topic must be a non-empty string, got ${describeValue(topic)}`))
    let min: number
    let timeoutMs: number
    try {
      if (typeof options !== 'object' || options === null) throw invalid(`waitForSubscribers options must be an object, got ${describeValue(options)}`)
      min = checkInteger('min', options.min ?? 1, 1, 10_000, invalid)
      timeoutMs = checkInteger('timeoutMs', options.timeoutMs ?? DEFAULT_WAIT_FOR_SUBSCRIBERS_TIMEOUT_MS, 1, MAX_TIMER_MS, invalid)
      if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalid(`signal must be an AbortSignal, got ${describeValue(options.signal)}`)
    } catch (error) {
      return Promise.reject(error)
    }
    const signal = options.signal
    if (signal?.aborted) return Promise.reject(aborted(topic, signal))
    const count = this.#subscribers(topic)
    if (count >= min) return Promise.resolve(count)
    return new Promise<number>((resolve, reject) => {
      const wait: Wait = {
        topic, min, resolve, reject, timer: undefined, signal,
        onAbort: () => this.#settle(wait, aborted(topic, signal as AbortSignal)),
      }
      wait.timer = this.#clock.setTimeout(() => {
        wait.timer = undefined
        const peers = this.#peers()
        this.#settle(wait, new MeshNodeError('NODE_TIMEOUT', `${this.#subscribers(topic)} of the ${min} subscribed neighbours waited for had announced topic ${JSON.stringify(topic)} after ${timeoutMs} ms (this node has ${peers} ${peers === 1 ? 'peer' : 'peers'})`))
      }, timeoutMs)
      signal?.addEventListener('abort', wait.onAbort, { once: true })
      let waits = this.#waits.get(topic)
      if (waits === undefined) this.#waits.set(topic, (waits = new Set()))
      waits.add(wait)
    })
  }

  /** A neighbour announced `topics`: resolves the waits it satisfies. */
  onAnnounce(topics: readonly string[]): void {
    if (this.#waits.size === 0) return
    for (const topic of topics) {
      const waits = this.#waits.get(topic)
      if (waits === undefined) continue
      const count = this.#subscribers(topic)
      for (const wait of waits) if (count >= wait.min) this.#settle(wait, count)
    }
  }

  /** Rejects every wait (the node stopped). */
  rejectAll(error: () => Error): void {
    for (const waits of [...this.#waits.values()]) for (const wait of waits) this.#settle(wait, error())
  }

  get size(): number {
    let size = 0
    for (const waits of this.#waits.values()) size += waits.size
    return size
  }

  #settle(wait: Wait, outcome: number | Error): void {
    const waits = this.#waits.get(wait.topic)
    if (waits === undefined || !waits.delete(wait)) return
    if (waits.size === 0) this.#waits.delete(wait.topic)
    if (wait.timer !== undefined) this.#clock.clearTimeout(wait.timer)
    wait.timer = undefined
    wait.signal?.removeEventListener('abort', wait.onAbort)
    if (typeof outcome === 'number') wait.resolve(outcome)
    else wait.reject(outcome)
  }
}

function aborted(topic: string, signal: AbortSignal): MeshNodeError {
  return new MeshNodeError('NODE_ABORTED', `waiting for subscribers of topic ${JSON.stringify(topic)} was aborted`, { cause: signal.reason })
}
