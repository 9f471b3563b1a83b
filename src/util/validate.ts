// Checks for options and arguments at the public boundary. Each throws the error the caller
// builds, with a message naming the value, the accepted range and what was given.

export type ErrorFactory = (message: string) => Error

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'string') return JSON.stringify(value)
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`
  return String(value)
}

/** An integer in [min, max]. */
export function checkInteger(name: string, value: unknown, min: number, max: number, fail: ErrorFactory): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw fail(`${name} must be an integer from ${min} to ${max}, got ${describe(value)}`)
  }
  return value
}

/** A finite number in [min, max]. */
export function checkNumber(name: string, value: unknown, min: number, max: number, fail: ErrorFactory): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw fail(`${name} must be a finite number from ${min} to ${max}, got ${describe(value)}`)
  }
  return value
}

/** A time in milliseconds: finite and not negative. */
export function checkTime(name: string, value: unknown, fail: ErrorFactory): number {
  if (typeof value !== 'number' || !(value >= 0) || value === Infinity) {
    throw fail(`${name} must be a finite, non-negative time in milliseconds, got ${describe(value)}`)
  }
  return value
}

/** A Uint8Array of exactly `length` bytes. */
export function checkBytes(name: string, value: unknown, length: number, fail: ErrorFactory): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw fail(`${name} must be a Uint8Array of ${length} bytes, got ${describe(value)}`)
  }
  return value
}

/** An unsigned 64-bit integer as a bigint. */
export function checkU64(name: string, value: unknown, fail: ErrorFactory): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > 0xffff_ffff_ffff_ffffn) {
    throw fail(`${name} must be a bigint from 0n to 2n ** 64n - 1n, got ${describe(value)}`)
  }
  return value
}

export function describeValue(value: unknown): string {
  return describe(value)
}
