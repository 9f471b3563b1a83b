// Addresses of the in-memory network: 'memory://<name>', the name made of URL-unreserved
// characters, so peer ids in hex, base32, base58 or base64url fit as they are.

import { toHex } from '../../util/hex.js'
import { TransportError } from '../errors.js'

export const MEMORY_SCHEME = 'memory://'

const NAME = /^[A-Za-z0-9._~-]{1,256}$/

/**
 * Where a node is on the network, for the link controls (cut, setLoss, ...): its address, a
 * bare name, or its peer id (a node's default name is the hex of its id).
 */
export type MemoryEndpoint = string | Uint8Array

/**
 * The full address for 'memory://name', a bare 'name' or a peer id (as 'memory://<hex id>').
 * Throws TransportError('TRANSPORT_BAD_ADDRESS') for anything else.
 */
export function toMemoryAddress(addressOrName: MemoryEndpoint): string {
  if (addressOrName instanceof Uint8Array) {
    if (addressOrName.length === 0 || addressOrName.length > 128) {
      throw new TransportError('TRANSPORT_BAD_ADDRESS', `a peer id given as an address must be 1 to 128 bytes, got ${addressOrName.length}`)
    }
    return MEMORY_SCHEME + toHex(addressOrName)
  }
  if (typeof addressOrName !== 'string') {
    throw new TransportError('TRANSPORT_BAD_ADDRESS', `a memory address must be a string, got ${String(addressOrName)}`)
  }
  const name = addressOrName.startsWith(MEMORY_SCHEME) ? addressOrName.slice(MEMORY_SCHEME.length) : addressOrName
  if (!NAME.test(name)) {
    throw new TransportError(
      'TRANSPORT_BAD_ADDRESS',
      `a memory address must be 'memory://<name>' (or a bare name) with a name of 1 to 256 letters, digits or '._~-', got ${JSON.stringify(addressOrName)}`,
    )
  }
  return MEMORY_SCHEME + name
}

/** The full address of a dial target, which must carry the memory:// scheme. */
export function parseDialAddress(address: string): string {
  if (typeof address !== 'string' || !address.startsWith(MEMORY_SCHEME)) {
    throw new TransportError('TRANSPORT_BAD_ADDRESS', `the memory transport dials 'memory://<name>' addresses, got ${typeof address === 'string' ? JSON.stringify(address) : String(address)}`)
  }
  return toMemoryAddress(address)
}
