// The code of the WireError `fn` throws, failing the test on any other exception.

import { expect } from 'vitest'
import { WireError, type WireErrorCode } from '../../src/wire/errors.js'

export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(WireError)
    return (error as WireError).code
  }
  return undefined
}

/**
 * The WireError `fn` throws, checked for its code and, when given, its whole message (a string)
 * or its shape (a RegExp); the test fails on any other exception, or on no throw.
 */
export function refusal(fn: () => unknown, code: WireErrorCode, message?: string | RegExp): WireError {
  let thrown: unknown
  try {
    fn()
  } catch (error) {
    thrown = error
  }
  expect(thrown, 'expected a WireError').toBeInstanceOf(WireError)
  const error = thrown as WireError
  expect(error.code).toBe(code)
  if (typeof message === 'string') expect(error.message).toBe(message)
  else if (message !== undefined) expect(error.message).toMatch(message)
  return error
}
