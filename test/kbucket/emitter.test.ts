// SmallEmitter, KBucket's event base where Node's EventEmitter is not available (browsers):
// the behaviour k-bucket's users rely on from EventEmitter, checked against Node's own.

import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { Emitter, SmallEmitter } from '../../src/kbucket/emitter.js'

type Events = { tick: [n: number]; error: [error: Error] }

describe.each([
  ['SmallEmitter', () => new SmallEmitter()],
  ['Node EventEmitter', () => new EventEmitter()],
] as const)('%s', (_, create) => {
  it('calls listeners in the order they were added, prepended ones first, with the emitted arguments', () => {
    const emitter = create()
    const calls: string[] = []
    emitter.on('tick', (n: number) => calls.push(`a${n}`))
    emitter.addListener('tick', (n: number) => calls.push(`b${n}`))
    emitter.prependListener('tick', (n: number) => calls.push(`p${n}`))
    expect(emitter.emit('tick', 1)).toBe(true)
    expect(emitter.emit('other')).toBe(false)
    expect(calls).toEqual(['p1', 'a1', 'b1'])
  })

  it('runs a once listener one time, and off() removes it by the original function', () => {
    const emitter = create()
    const calls: number[] = []
    const listener = (n: number) => calls.push(n)
    emitter.once('tick', listener)
    emitter.emit('tick', 1)
    emitter.emit('tick', 2)
    emitter.once('tick', listener)
    expect(emitter.listeners('tick')).toEqual([listener])
    emitter.off('tick', listener)
    emitter.emit('tick', 3)
    expect(calls).toEqual([1])
    expect(emitter.listenerCount('tick')).toBe(0)
  })

  it('lets a listener remove another during an emit without skipping or adding calls in that emit', () => {
    const emitter = create()
    const calls: string[] = []
    const second = () => calls.push('second')
    emitter.on('tick', () => {
      calls.push('first')
      emitter.removeListener('tick', second)
      emitter.on('tick', () => calls.push('late'))
    })
    emitter.on('tick', second)
    emitter.emit('tick', 0)
    expect(calls).toEqual(['first', 'second'])
    emitter.emit('tick', 0)
    expect(calls).toEqual(['first', 'second', 'first', 'late'])
  })

  it('removes one registration at a time, and all of an event or of every event', () => {
    const emitter = create()
    const listener = () => {}
    emitter.on('tick', listener)
    emitter.on('tick', listener)
    emitter.on('error', listener)
    emitter.removeListener('tick', listener)
    expect(emitter.listenerCount('tick')).toBe(1)
    expect(emitter.eventNames()).toEqual(['tick', 'error'])
    emitter.removeAllListeners('tick')
    expect(emitter.eventNames()).toEqual(['error'])
    emitter.removeAllListeners()
    expect(emitter.eventNames()).toEqual([])
  })

  it('throws an emitted error that nobody listens to', () => {
    const emitter = create()
    const error = new Error('boom')
    expect(() => emitter.emit('error', error)).toThrow(error)
    emitter.on('error', () => {})
    expect(emitter.emit('error', error)).toBe(true)
  })

  it('refuses a listener that is not a function', () => {
    expect(() => create().on('tick', 'nope' as never)).toThrow(TypeError)
  })
})

describe('Emitter', () => {
  it('is Node\'s EventEmitter where the platform has one', () => {
    const emitter = new Emitter<Events>()
    expect(emitter).toBeInstanceOf(EventEmitter)
  })
})
