import { afterEach, describe, expect, it, vi } from 'vitest'
import { callEach } from '../../src/util/handlers.js'

describe('callEach', () => {
  afterEach(() => vi.restoreAllMocks())

  it('calls every handler in order; one that throws does not stop the rest, and its error is rethrown later, uncaught', () => {
    const reported: (() => void)[] = []
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((callback) => void reported.push(callback))
    const calls: string[] = []
    const boom = new Error('boom')
    callEach<number>([(n) => calls.push(`a${n}`), () => { throw boom }, (n) => calls.push(`c${n}`)], 7)
    expect(calls).toEqual(['a7', 'c7'])
    expect(reported).toHaveLength(1)
    expect(() => reported[0]!()).toThrow(boom)
  })
})
