// An in-process signaling hub: every WebRtcTransport of one process (tests, a single-process
// mesh) reaches the others through it by id. Messages are copied (structuredClone, as a wire
// would) and delivered from a clock timer in the order sent, never inside send().

import { systemClock, type Clock, type TimerHandle } from '../../util/clock.js'
import { checkTime, describeValue } from '../../util/validate.js'
import { TransportError } from '../errors.js'
import { isSignalingId } from './address.js'
import { UNREACHABLE_REASON, type SignalMessage, type Signaling } from './signaling.js'

export interface MemorySignalingOptions {
  /** Timers of deliveries. Default the system clock. */
  clock?: Clock
  /** Delay of each message, in milliseconds. Default 0 (the next timer turn). */
  latencyMs?: number
}

export interface MemorySignalingStats {
  /** Messages handed to an endpoint's handler. */
  readonly delivered: number
  /** Messages to an id nobody holds (answered with a 'bye'), to an endpoint without a handler, or that could not be copied. */
  readonly dropped: number
  /** Endpoints open now. */
  readonly endpoints: number
}

type Handler = (fromId: string, message: unknown) => void

class MemorySignalingEndpoint implements Signaling {
  handler: Handler | undefined
  isClosed = false

  constructor(private readonly hub: MemorySignaling, readonly localId: string) {}

  send(toId: string, message: SignalMessage): void {
    if (!this.isClosed) this.hub.post(this.localId, toId, message)
  }

  onMessage(handler: (fromId: string, message: unknown) => void): void {
    this.handler = handler
  }

  close(): void {
    if (this.isClosed) return
    this.isClosed = true
    this.handler = undefined
    this.hub.leave(this)
  }
}

/**
 * The signaling of one process: `connect(id)` gives the endpoint a transport takes as its
 * `signaling` option. A message to an id nobody holds is answered, from that id, with a 'bye'
 * (reason 'unreachable') for its connection, as a signaling server answers for a peer it does
 * not know.
 */
export class MemorySignaling {
  readonly #clock: Clock
  readonly #latencyMs: number
  readonly #endpoints = new Map<string, MemorySignalingEndpoint>()
  readonly #timers = new Set<TimerHandle>()
  #delivered = 0
  #dropped = 0
  #isClosed = false

  constructor(options: MemorySignalingOptions = {}) {
    const invalid = (message: string) => new TransportError('TRANSPORT_INVALID_OPTION', message)
    if (typeof options !== 'object' || options === null) throw invalid(`MemorySignaling options must be an object, got ${describeValue(options)}`)
    this.#clock = options.clock ?? systemClock
    this.#latencyMs = checkTime('latencyMs', options.latencyMs ?? 0, invalid)
  }

  /**
   * A new endpoint with id `id`. Throws TransportError: TRANSPORT_BAD_ADDRESS for an id that
   * is not 1 to 128 of A-Z a-z 0-9 . _ ~ -, TRANSPORT_ADDRESS_IN_USE when an open endpoint
   * has it, TRANSPORT_CLOSED after close().
   */
  connect(id: string): Signaling {
    if (this.#isClosed) throw new TransportError('TRANSPORT_CLOSED', 'this MemorySignaling is closed')
    if (!isSignalingId(id)) throw new TransportError('TRANSPORT_BAD_ADDRESS', `a signaling id must be 1 to 128 of A-Z a-z 0-9 . _ ~ -, got ${describeValue(id)}`)
    if (this.#endpoints.has(id)) throw new TransportError('TRANSPORT_ADDRESS_IN_USE', `signaling id ${id} is already connected`)
    const endpoint = new MemorySignalingEndpoint(this, id)
    this.#endpoints.set(id, endpoint)
    return endpoint
  }

  stats(): MemorySignalingStats {
    return { delivered: this.#delivered, dropped: this.#dropped, endpoints: this.#endpoints.size }
  }

  /** Closes every endpoint and drops messages in flight. Idempotent. */
  close(): void {
    this.#isClosed = true
    for (const endpoint of [...this.#endpoints.values()]) endpoint.close()
    for (const timer of this.#timers) this.#clock.clearTimeout(timer)
    this.#timers.clear()
  }

  /** @internal */
  post(fromId: string, toId: string, message: SignalMessage): void {
    let copy: unknown
    try {
      copy = structuredClone(message)
    } catch {
      this.#dropped++ // a function or a symbol in it: it would not cross a wire either
      return
    }
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer)
      this.#deliver(fromId, toId, copy)
    }, this.#latencyMs)
    this.#timers.add(timer)
  }

  /** @internal */
  leave(endpoint: MemorySignalingEndpoint): void {
    if (this.#endpoints.get(endpoint.localId) === endpoint) this.#endpoints.delete(endpoint.localId)
  }

  #deliver(fromId: string, toId: string, message: unknown): void {
    const target = this.#endpoints.get(toId)
    const handler = target?.handler
    if (handler !== undefined) {
      this.#delivered++
      handler(fromId, message)
      return
    }
    this.#dropped++
    if (target !== undefined) return // there, but not listening to signaling: silence, like a peer that never answers
    const { type, connectionId } = message as { type?: unknown; connectionId?: unknown }
    if (type === 'bye' || typeof connectionId !== 'string') return
    const sender = this.#endpoints.get(fromId)
    if (sender !== undefined) this.post(toId, fromId, { type: 'bye', connectionId, reason: UNREACHABLE_REASON })
  }
}
