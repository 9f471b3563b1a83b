// Validation of RoutingTable options and arguments, shared by the WebAssembly facade and the twin.

import type { RoutingTableOptions } from './contracts.js'
import { CoreError } from './errors.js'
import { checkInteger, checkTime, describeValue } from '../util/validate.js'

export const ROUTING_MAX_ID_BYTES = 32
export const ROUTING_MAX_K = 256
export const ROUTING_DEFAULT_K = 20

const invalidOption = (message: string) => new CoreError('CORE_INVALID_OPTION', message)
const invalidArgument = (message: string) => new CoreError('CORE_INVALID_ARGUMENT', message)

export interface ResolvedRoutingTableOptions {
  /** A copy of the caller's id, so later changes to theirs cannot corrupt the table. */
  localId: Uint8Array
  k: number
}

export function resolveRoutingTableOptions(options: RoutingTableOptions): ResolvedRoutingTableOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption(`RoutingTable options must be an object with localId, got ${String(options)}`)
  }
  const { localId } = options
  if (!(localId instanceof Uint8Array) || localId.length < 1 || localId.length > ROUTING_MAX_ID_BYTES) {
    throw invalidOption(`localId must be a Uint8Array of 1 to ${ROUTING_MAX_ID_BYTES} bytes, got ${describeValue(localId)}`)
  }
  return {
    localId: localId.slice(),
    k: checkInteger('k', options.k ?? ROUTING_DEFAULT_K, 1, ROUTING_MAX_K, invalidOption),
  }
}

export function checkId(name: string, id: unknown, idBytes: number): Uint8Array {
  if (!(id instanceof Uint8Array)) throw invalidArgument(`${name} must be a Uint8Array, got ${describeValue(id)}`)
  if (id.length !== idBytes) {
    throw new CoreError('CORE_ID_LENGTH', `${name} must be ${idBytes} bytes like the local id, got ${id.length}`)
  }
  return id
}

export function checkPeer(peer: unknown): number {
  if (typeof peer !== 'number' || peer >>> 0 !== peer) {
    throw invalidArgument(`peer must be an integer from 0 to ${2 ** 32 - 1}, got ${describeValue(peer)}`)
  }
  return peer
}

export function checkBucket(index: unknown, bucketCount: number): number {
  return checkInteger('bucket index', index, 0, bucketCount - 1, invalidArgument)
}

export function checkRoutingTime(name: string, nowMs: unknown): number {
  return checkTime(name, nowMs, invalidArgument)
}

/** How many results closest() returns for a request of n with an optional out array. */
export function closestCount(n: unknown, size: number, out: unknown): number {
  if (typeof n !== 'number' || !(n >= 0) || (n !== Infinity && !Number.isInteger(n))) {
    throw invalidArgument(`n must be a non-negative integer or Infinity, got ${describeValue(n)}`)
  }
  let count = Math.min(n, size)
  if (out !== undefined) {
    if (!(out instanceof Uint32Array)) throw invalidArgument(`out must be a Uint32Array, got ${describeValue(out)}`)
    count = Math.min(count, out.length)
  }
  return count
}

export function selfId(): CoreError {
  return new CoreError('CORE_SELF_ID', 'a routing table cannot hold its own local id')
}

export function routingFreed(): CoreError {
  return new CoreError('CORE_FREED', 'RoutingTable was used after free()')
}

/**
 * Bytes a table holds: header slot, bucket records, local id, each allocated bucket (k tag
 * bytes rounded up to 8, k ids and k u32 peers), the closest() candidate buffer and the large-result buffer.
 */
export function routingByteLength(
  idBytes: number, k: number, allocatedBuckets: number, candidateCap: number, resultCap: number,
): number {
  const wordBytes = Math.ceil(idBytes / 8) * 8
  const tagBytes = Math.ceil(k / 8) * 8
  return 128 + idBytes * 8 * 16 + wordBytes + allocatedBuckets * (tagBytes + k * (wordBytes + 4))
    + candidateCap * 16 + resultCap * 4
}

/** Validates addBatch arguments; returns how many contacts the batch holds. */
export function checkBatch(ids: unknown, peers: unknown, out: unknown, idBytes: number): number {
  if (!(ids instanceof Uint8Array) || ids.length % idBytes !== 0) {
    throw new CoreError('CORE_ID_LENGTH', `ids must be a Uint8Array of whole ${idBytes}-byte ids, got ${describeValue(ids)}`)
  }
  const count = ids.length / idBytes
  if (!(peers instanceof Uint32Array) || peers.length < count) {
    throw invalidArgument(`peers must be a Uint32Array of at least ${count} handles, got ${describeValue(peers)}`)
  }
  if (out !== undefined && (!(out instanceof Uint8Array) || out.length < count)) {
    throw invalidArgument(`out must be a Uint8Array of at least ${count} bytes, got ${describeValue(out)}`)
  }
  return count
}
