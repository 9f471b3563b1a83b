// The event base of KBucket. k-bucket extends Node's EventEmitter, so where the platform has
// one (Node, and runtimes with process.getBuiltinModule) KBucket extends it too: `instanceof
// EventEmitter` and every EventEmitter method behave as with k-bucket. Elsewhere (browsers)
// SmallEmitter stands in with the methods k-bucket's users call. Node's module is looked up
// at run time, not imported, so browser bundles carry no reference to it.

// Listeners take any arguments, as EventEmitter's do; TypedEmitter narrows them per event.
type Listener = (...args: any[]) => void
export type EventName = string | symbol

/** Event name -> listener arguments. */
export type EventMap = { [event: EventName]: unknown[] }

/** The EventEmitter methods KBucket offers on every platform, typed by its events. */
export interface TypedEmitter<Events extends EventMap> {
  on<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this
  addListener<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this
  prependListener<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this
  once<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this
  off<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this
  removeListener<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this
  removeAllListeners(event?: keyof Events): this
  emit<E extends keyof Events>(event: E, ...args: Events[E]): boolean
  listenerCount(event: keyof Events): number
  listeners<E extends keyof Events>(event: E): Array<(...args: Events[E]) => void>
  eventNames(): Array<keyof Events>
}

interface OnceWrapper extends Listener {
  listener: Listener
}

/**
 * A minimal EventEmitter: listeners run synchronously in the order they were added, an emit
 * works on a copy of the list (so listeners added or removed during it take effect from the
 * next emit), and emitting 'error' with no listener throws, as Node's does.
 */
export class SmallEmitter {
  private readonly events = new Map<EventName, Listener[]>()

  on(event: EventName, listener: Listener): this {
    return this.insert(event, listener, false)
  }

  addListener(event: EventName, listener: Listener): this {
    return this.insert(event, listener, false)
  }

  prependListener(event: EventName, listener: Listener): this {
    return this.insert(event, listener, true)
  }

  once(event: EventName, listener: Listener): this {
    const wrapper = ((...args: unknown[]) => {
      this.removeListener(event, wrapper)
      listener.apply(this, args)
    }) as OnceWrapper
    wrapper.listener = listener
    return this.insert(event, wrapper, false)
  }

  off(event: EventName, listener: Listener): this {
    return this.removeListener(event, listener)
  }

  /** Removes the most recently added registration of `listener`, as Node does. */
  removeListener(event: EventName, listener: Listener): this {
    const list = this.events.get(event)
    if (list === undefined) return this
    for (let i = list.length - 1; i >= 0; i--) {
      const entry = list[i]!
      if (entry === listener || (entry as Partial<OnceWrapper>).listener === listener) {
        if (list.length === 1) this.events.delete(event)
        else this.events.set(event, [...list.slice(0, i), ...list.slice(i + 1)])
        break
      }
    }
    return this
  }

  removeAllListeners(event?: EventName): this {
    if (event === undefined) this.events.clear()
    else this.events.delete(event)
    return this
  }

  emit(event: EventName, ...args: unknown[]): boolean {
    const list = this.events.get(event)
    if (list === undefined) {
      if (event === 'error') throw args[0] instanceof Error ? args[0] : new Error(`Unhandled error. (${String(args[0])})`)
      return false
    }
    // The stored array is replaced, never mutated, on change: iterating it is iterating a copy.
    for (const listener of list) listener.apply(this, args)
    return true
  }

  listenerCount(event: EventName): number {
    return this.events.get(event)?.length ?? 0
  }

  listeners(event: EventName): Listener[] {
    return (this.events.get(event) ?? []).map((entry) => (entry as Partial<OnceWrapper>).listener ?? entry)
  }

  eventNames(): EventName[] {
    return [...this.events.keys()]
  }

  private insert(event: EventName, listener: Listener, first: boolean): this {
    if (typeof listener !== 'function') {
      throw new TypeError(`The "listener" argument must be of type function. Received ${typeof listener}`)
    }
    const list = this.events.get(event) ?? []
    this.events.set(event, first ? [listener, ...list] : [...list, listener])
    return this
  }
}

export type EmitterConstructor = new <Events extends EventMap>() => TypedEmitter<Events>

function nodeEventEmitter(): (new () => object) | undefined {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  const events = process?.getBuiltinModule?.('node:events') as { EventEmitter?: new () => object } | undefined
  return events?.EventEmitter
}

/** Node's EventEmitter where the platform has it, else SmallEmitter. */
export const Emitter = (nodeEventEmitter() ?? SmallEmitter) as unknown as EmitterConstructor
