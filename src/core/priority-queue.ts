// PriorityQueue on the WebAssembly backend: a handle into the shared instance (assembly/queue.ts).
// push and pop are one crossing each with numbers only; popBatch pops inside WebAssembly into
// the output scratch region, 16,384 slots per crossing.

import type { PriorityQueue, PriorityQueueOptions } from './contracts.js'
import type { WasmInstance } from './wasm-instance.js'
import {
  checkNow, checkOut, checkPriority, freed, isTime, pushError, resolvePriorityQueueOptions,
} from './priority-queue-options.js'

interface QueueExports {
  queue_create(capacity: number, levels: number, agingMs: number): number
  queue_free(queue: number): void
  queue_size(queue: number): number
  queue_byte_length(queue: number): number
  queue_size_at(queue: number, priority: number): number
  queue_clear(queue: number): void
  queue_push(queue: number, slot: number, priority: number, nowMs: number): number
  queue_pop(queue: number, nowMs: number): number
  queue_pop_batch(queue: number, max: number, nowMs: number): number
}

export class WasmPriorityQueue implements PriorityQueue {
  readonly capacity: number
  readonly levels: number
  readonly agingMs: number
  private readonly wasm: QueueExports
  private readonly instance: WasmInstance
  // The hot exports held directly, so a call does not look them up on the exports object.
  private readonly pushExport: QueueExports['queue_push']
  private readonly popExport: QueueExports['queue_pop']
  private handle: number

  constructor(instance: WasmInstance, options: PriorityQueueOptions) {
    const { capacity, levels, agingMs } = resolvePriorityQueueOptions(options)
    this.capacity = capacity
    this.levels = levels
    this.agingMs = agingMs
    this.instance = instance
    const wasm = instance.exports as unknown as QueueExports
    this.wasm = wasm
    this.pushExport = wasm.queue_push
    this.popExport = wasm.queue_pop
    const handle = wasm.queue_create(capacity, levels, agingMs)
    this.handle = handle
    instance.refresh()
    instance.track(this, () => wasm.queue_free(handle))
  }

  /** Bytes held now: the node pool grows with the backlog and shrinks when it drains (0 once freed). */
  get byteLength(): number {
    return this.handle === 0 ? 0 : this.wasm.queue_byte_length(this.handle)
  }

  get size(): number {
    return this.wasm.queue_size(this.live())
  }

  push(slot: number, priority: number, nowMs: number): boolean {
    const queue = this.handle
    if (queue === 0) throw freed()
    if ((slot >>> 0) !== slot || (priority >>> 0) !== priority || priority >= this.levels || !isTime(nowMs)) {
      throw pushError(slot, priority, nowMs, this.levels)
    }
    return this.pushExport(queue, slot, priority, nowMs) !== 0
  }

  pop(nowMs: number): number {
    const queue = this.handle
    if (queue === 0) throw freed()
    if (!isTime(nowMs)) checkNow(nowMs)
    return this.popExport(queue, nowMs)
  }

  popBatch(nowMs: number, out: Uint32Array): number {
    const queue = this.live()
    checkOut(out)
    checkNow(nowMs)
    const instance = this.instance
    const chunk = instance.scratchBytes >>> 2
    const outputWord = instance.outputOffset >>> 2
    let popped = 0
    // At least one crossing, so an empty `out` still advances the clock as pop() would.
    do {
      const count = this.wasm.queue_pop_batch(queue, Math.min(chunk, out.length - popped), nowMs)
      out.set(instance.u32.subarray(outputWord, outputWord + count), popped)
      popped += count
      if (count < chunk) break
    } while (popped < out.length)
    return popped
  }

  sizeAt(priority: number): number {
    const queue = this.live()
    checkPriority(priority, this.levels)
    return this.wasm.queue_size_at(queue, priority)
  }

  clear(): void {
    this.wasm.queue_clear(this.live())
  }

  free(): void {
    if (this.handle === 0) return
    this.instance.untrack(this)
    this.wasm.queue_free(this.handle)
    this.handle = 0
  }

  private live(): number {
    if (this.handle === 0) throw freed()
    return this.handle
  }
}
