// What a transport says about addresses, with the defaults of the optional parts of the
// contract filled in, so callers need not know which transports implement them.

import type { Transport } from './transport.js'

/** Every address others can dial `transport` at, best first. */
export function addressesOf(transport: Transport): readonly string[] {
  return transport.localAddresses ?? [transport.localAddress]
}

/** Of one peer's `addresses`, those `transport` can dial, best first. */
export function dialOrderOf(transport: Transport, addresses: readonly string[]): string[] {
  return transport.dialOrder === undefined ? [...addresses] : transport.dialOrder(addresses)
}

/** The addresses `parse` takes (it throws for the others), in their order: a transport's dialOrder. */
export function addressesParsedBy(addresses: readonly string[], parse: (address: string) => unknown): string[] {
  return addresses.filter((address) => {
    try {
      parse(address)
      return true
    } catch {
      return false
    }
  })
}
