// The code of the WireError `fn` throws, failing the test on any other exception.

import { expect } from 'vitest'
import { WireError } from '../../src/wire/errors.js'

export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(WireError)
    return (error as WireError).code
  }
  return undefined
}
