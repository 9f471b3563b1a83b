// The transport manager's options, checked where a user hands them over.

import { TransportError } from '../errors.js'
import type { Transport } from '../transport.js'

/** A node announces at most this many listen addresses (the wire's limit on a hello). */
export const MAX_MANAGED_TRANSPORTS = 8

export interface TransportManagerOptions {
  /**
   * The transports, best first (say WebRTC, then WebSocket): a peer's addresses are tried in
   * this order. 1 to 8 transports, each given once, each with a `dialOrder()` (every wasmesh
   * transport has one), so the manager knows which of them takes an address.
   */
  readonly transports: readonly Transport[]
}

export function checkTransportManagerOptions(options: TransportManagerOptions): { transports: readonly Transport[] } {
  const invalid = (message: string) => new TransportError('TRANSPORT_INVALID_OPTION', message)
  if (typeof options !== 'object' || options === null) throw invalid(`TransportManager takes { transports }, got ${String(options)}`)
  const { transports } = options
  if (!Array.isArray(transports) || transports.length === 0 || transports.length > MAX_MANAGED_TRANSPORTS) {
    throw invalid(`transports must be an array of 1 to ${MAX_MANAGED_TRANSPORTS} transports, got ${Array.isArray(transports) ? `${transports.length}` : String(transports)}`)
  }
  transports.forEach((transport: Transport, i) => {
    if (typeof transport?.listen !== 'function' || typeof transport.dial !== 'function' || typeof transport.close !== 'function') {
      throw invalid(`transports[${i}] is not a Transport (listen, dial, close)`)
    }
    if (typeof transport.dialOrder !== 'function') {
      throw invalid(`transports[${i}] (${String(transport.kind)}) has no dialOrder(): the manager could not tell which addresses it dials`)
    }
    if (transports.indexOf(transport) !== i) throw invalid(`transports[${i}] is given twice`)
  })
  return { transports: [...transports] }
}
