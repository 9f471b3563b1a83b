// Validation of KeyedHasher keys and arguments, shared by the WebAssembly facade and the twin.

import type { Core, KeyedHasher } from './contracts.js'
import { CoreError } from './errors.js'
import type { RandomSource } from '../util/random.js'
import { checkBytes, checkInteger, checkU64 } from '../util/validate.js'

/** Bytes of a SipHash key. */
export const KEYED_HASH_KEY_BYTES = 16
/** Bytes of the id hashed with each kind and value. */
export const KEYED_HASH_ID_BYTES = 32

const invalidOption = (message: string) => new CoreError('CORE_INVALID_OPTION', message)
const invalidArgument = (message: string) => new CoreError('CORE_INVALID_ARGUMENT', message)

/** The key's two little-endian 64-bit halves, as SipHash reads them. */
export function keyHalves(key: unknown): [bigint, bigint] {
  const bytes = checkBytes('key', key, KEYED_HASH_KEY_BYTES, invalidOption)
  const view = new DataView(bytes.buffer, bytes.byteOffset, KEYED_HASH_KEY_BYTES)
  return [view.getBigUint64(0, true), view.getBigUint64(8, true)]
}

/** True when keyOf's arguments are well-formed: the cheap inline form of keyOfError's checks. */
export function isKeyOfInput(kind: unknown, id: unknown, value: unknown): boolean {
  return (kind as number) >>> 0 === kind && (kind as number) <= 255 && id instanceof Uint8Array && id.length === KEYED_HASH_ID_BYTES &&
    typeof value === 'bigint' && value >= 0n && value <= 0xffff_ffff_ffff_ffffn
}

export function keyOfError(kind: unknown, id: unknown, value: unknown): CoreError {
  try {
    checkInteger('kind', kind, 0, 255, invalidArgument)
    checkBytes('id', id, KEYED_HASH_ID_BYTES, invalidArgument)
    checkU64('value', value, invalidArgument)
  } catch (error) {
    return error as CoreError
  }
  return invalidArgument('keyOf arguments are invalid')
}

/** A hasher under a fresh secret drawn from `random`: a node's dedup keys, which nobody else can aim collisions at. */
export function secretKeyedHasher(core: Core, random: RandomSource): KeyedHasher {
  const secret = new Uint8Array(KEYED_HASH_KEY_BYTES)
  random.fill(secret)
  return core.createKeyedHasher(secret)
}
