// One Transport over several: a node that speaks WebRTC and WebSocket (or any mix) listens on
// each, dials each address with the transport that takes it, and tells the node which of a
// peer's addresses to try first. The fallback itself is the node's: it tries a peer's
// addresses in dialOrder(), so a WebRTC address that cannot connect is followed by the
// peer's WebSocket one, and a session that works is never touched by a dial that failed.

import { addressesOf } from '../addresses.js'
import { TransportError } from '../errors.js'
import type { Connection, DialOptions, Transport } from '../transport.js'
import { checkTransportManagerOptions, type TransportManagerOptions } from './options.js'

/** One transport of a manager, as stats() reports it. */
export interface ManagedTransportStats {
  readonly kind: string
  readonly localAddress: string
  /** False for a transport that only dials (it cannot listen here). */
  readonly isListening: boolean
  readonly dialsStarted: number
  readonly dialsFailed: number
  /** The transport's own stats(), when it has them. */
  readonly stats: unknown
}

export interface TransportManagerStats {
  /** Best first, as given. */
  readonly transports: readonly ManagedTransportStats[]
  /** Dials refused because no transport takes the address. */
  readonly dialsUnroutable: number
}

interface Managed {
  readonly transport: Transport
  isListening: boolean
  dialsStarted: number
  dialsFailed: number
}

/**
 * Several transports as one, best first.
 *
 * - `listen()` listens on every transport that can listen here (`canListen` not false; a
 *   WebSocket transport in a browser only dials), and `localAddresses` lists where each
 *   listens, in the manager's order. A peer learns them all from the handshake.
 * - `dial(address)` goes to the first transport whose `dialOrder()` takes the address, and
 *   rejects with TRANSPORT_BAD_ADDRESS when none does.
 * - `dialOrder(addresses)` sorts one peer's addresses by the manager's order (all of the first
 *   transport's, then the second's…), leaving out those no transport takes: the order a node
 *   tries them in, each later one the fallback of the ones before.
 * - `close()` closes every transport; idempotent.
 */
export class TransportManager implements Transport {
  readonly kind = 'manager'
  readonly #managed: readonly Managed[]
  #dialsUnroutable = 0
  #isClosed = false
  #closing: Promise<void> | undefined

  constructor(options: TransportManagerOptions) {
    this.#managed = checkTransportManagerOptions(options).transports.map((transport) => ({ transport, isListening: false, dialsStarted: 0, dialsFailed: 0 }))
  }

  /** The transports, best first. */
  get transports(): readonly Transport[] {
    return this.#managed.map(({ transport }) => transport)
  }

  /** The first of localAddresses; the first transport's address when none listens. */
  get localAddress(): string {
    return this.localAddresses[0] ?? this.#managed[0].transport.localAddress
  }

  /** Where others dial this manager, best first: every transport that listens (or, before listen(), can). */
  get localAddresses(): readonly string[] {
    const listening = this.#managed.some((managed) => managed.isListening)
    return this.#managed
      .filter((managed) => (listening ? managed.isListening : managed.transport.canListen !== false))
      .flatMap((managed) => addressesOf(managed.transport))
  }

  get canListen(): boolean {
    return this.#managed.some(({ transport }) => transport.canListen !== false)
  }

  get isListening(): boolean {
    return this.#managed.some((managed) => managed.isListening)
  }

  /**
   * Listens on every transport that can. Rejects with the first transport's refusal (the
   * others may be listening by then: close() the manager), with TRANSPORT_INVALID_STATE when
   * none can listen here or it already listens, and TRANSPORT_CLOSED after close().
   */
  async listen(onConnection: (connection: Connection) => void): Promise<void> {
    if (this.#isClosed) throw new TransportError('TRANSPORT_CLOSED', 'the transport manager is closed')
    if (typeof onConnection !== 'function') {
      throw new TransportError('TRANSPORT_INVALID_OPTION', `listen() takes a connection handler function, got ${String(onConnection)}`)
    }
    if (this.isListening) throw new TransportError('TRANSPORT_INVALID_STATE', 'the transport manager is already listening')
    const listeners = this.#managed.filter(({ transport }) => transport.canListen !== false)
    if (listeners.length === 0) throw new TransportError('TRANSPORT_INVALID_STATE', `none of this manager's transports (${this.#kinds()}) can listen here`)
    await Promise.all(listeners.map(async (managed) => {
      await managed.transport.listen(onConnection)
      managed.isListening = true
    }))
    if (this.#isClosed) throw new TransportError('TRANSPORT_CLOSED', 'the transport manager closed while it started listening')
  }

  dialOrder(addresses: readonly string[]): string[] {
    const ordered: string[] = []
    for (const { transport } of this.#managed) {
      for (const address of transport.dialOrder!(addresses)) if (!ordered.includes(address)) ordered.push(address)
    }
    return ordered
  }

  async dial(address: string, options?: DialOptions): Promise<Connection> {
    if (this.#isClosed) throw new TransportError('TRANSPORT_CLOSED', 'the transport manager is closed')
    const managed = this.#managed.find(({ transport }) => transport.dialOrder!([address]).length === 1)
    if (managed === undefined) {
      this.#dialsUnroutable++
      const shown = typeof address === 'string' ? JSON.stringify(address.slice(0, 300)) : String(address)
      throw new TransportError('TRANSPORT_BAD_ADDRESS', `no transport of this manager (${this.#kinds()}) dials ${shown}`)
    }
    managed.dialsStarted++
    try {
      return await managed.transport.dial(address, options)
    } catch (error) {
      managed.dialsFailed++
      throw error
    }
  }

  /** Closes every transport; resolves once each has closed. Idempotent. */
  close(): Promise<void> {
    this.#isClosed = true
    this.#closing ??= Promise.all(this.#managed.map(({ transport }) => transport.close())).then(() => undefined)
    return this.#closing
  }

  stats(): TransportManagerStats {
    return {
      transports: this.#managed.map(({ transport, isListening, dialsStarted, dialsFailed }) => ({
        kind: transport.kind,
        localAddress: transport.localAddress,
        isListening,
        dialsStarted,
        dialsFailed,
        stats: (transport as { stats?: () => unknown }).stats?.(),
      })),
      dialsUnroutable: this.#dialsUnroutable,
    }
  }

  #kinds(): string {
    return this.#managed.map(({ transport }) => transport.kind).join(', ')
  }
}
