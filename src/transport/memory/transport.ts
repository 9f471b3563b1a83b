// A transport on the in-memory network: one address, dialling out and (once listening)
// accepting in. Created by MemoryNetwork.createTransport().

import { addressesParsedBy } from '../addresses.js'
import { TransportError } from '../errors.js'
import type { Connection, DialOptions, Transport } from '../transport.js'
import { parseDialAddress } from './address.js'
import type { MemoryConnection } from './connection.js'
import type { PendingDial } from './dial.js'
import type { Fabric } from './fabric.js'

/** Traffic through one transport, counted at send and at delivery. */
export interface MemoryTransportStats {
  readonly messagesSent: number
  readonly bytesSent: number
  readonly messagesReceived: number
  readonly bytesReceived: number
  /** Open connections. */
  readonly connections: number
}

export class MemoryTransport implements Transport {
  readonly kind = 'memory'
  /** @internal */ messagesSent = 0
  /** @internal */ bytesSent = 0
  /** @internal */ messagesReceived = 0
  /** @internal */ bytesReceived = 0
  /** @internal */ readonly pendingDials = new Set<PendingDial>()
  /** @internal */ connectionHandler: ((connection: Connection) => void) | undefined
  private closed = false

  constructor(private readonly fabric: Fabric, readonly localAddress: string) {}

  get isListening(): boolean {
    return this.connectionHandler !== undefined
  }

  get isClosed(): boolean {
    return this.closed
  }

  listen(onConnection: (connection: Connection) => void): Promise<void> {
    if (this.closed) return Promise.reject(new TransportError('TRANSPORT_CLOSED', `transport ${this.localAddress} is closed`))
    if (typeof onConnection !== 'function') {
      return Promise.reject(new TransportError('TRANSPORT_INVALID_OPTION', `listen() takes a connection handler function, got ${String(onConnection)}`))
    }
    if (this.connectionHandler !== undefined) {
      return Promise.reject(new TransportError('TRANSPORT_INVALID_STATE', `transport ${this.localAddress} is already listening`))
    }
    this.connectionHandler = onConnection
    return Promise.resolve()
  }

  /** The 'memory://' addresses among `addresses`, in their order. */
  dialOrder(addresses: readonly string[]): string[] {
    return addressesParsedBy(addresses, parseDialAddress)
  }

  dial(address: string, options?: DialOptions): Promise<MemoryConnection> {
    return this.fabric.dial(this, address, options)
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true
      this.connectionHandler = undefined
      this.fabric.closeTransport(this)
    }
    return Promise.resolve()
  }

  /** The open connections of this transport, both directions. */
  get connections(): MemoryConnection[] {
    return this.fabric.connectionsOf(this)
  }

  stats(): MemoryTransportStats {
    return {
      messagesSent: this.messagesSent,
      bytesSent: this.bytesSent,
      messagesReceived: this.messagesReceived,
      bytesReceived: this.bytesReceived,
      connections: this.connections.length,
    }
  }
}
