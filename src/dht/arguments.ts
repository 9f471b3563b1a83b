// Checks of the arguments of the Dht's public methods, each failing with
// DhtError('DHT_INVALID_ARGUMENT') and a message naming what was expected and what was given.

import { ID_BYTES, MAX_RECORD_VALUE_BYTES } from '../wire/limits.js'
import { DhtError } from './errors.js'

const encoder = new TextEncoder()

export function checkId(name: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== ID_BYTES) {
    throw new DhtError('DHT_INVALID_ARGUMENT', `${name} must be a Uint8Array of ${ID_BYTES} bytes, got ${describe(value)}`)
  }
  return value
}

export function checkUserKey(key: unknown): Uint8Array | string {
  if (typeof key === 'string' ? key.length === 0 : !(key instanceof Uint8Array) || key.length === 0) {
    throw new DhtError('DHT_INVALID_ARGUMENT', `key must be a non-empty string or Uint8Array, got ${describe(key)}`)
  }
  return typeof key === 'string' ? encoder.encode(key) : (key as Uint8Array)
}

/** `maxBytes`: MAX_RECORD_VALUE_BYTES for an immutable value, less the 32-byte user key hash for a mutable one. */
export function checkValue(value: unknown, maxBytes: number = MAX_RECORD_VALUE_BYTES): void {
  if (!(value instanceof Uint8Array) || value.length > maxBytes) {
    throw new DhtError('DHT_INVALID_ARGUMENT', `value must be a Uint8Array of at most ${maxBytes} bytes, got ${describe(value)}`)
  }
}

export function checkTtl(ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > 0xffff_ffff) {
    throw new DhtError('DHT_INVALID_ARGUMENT', `ttlMs must be an integer from 1 to ${0xffff_ffff}, got ${describe(ttlMs)}`)
  }
  return ttlMs
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)
  return String(value)
}
