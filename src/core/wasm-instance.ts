// The one WebAssembly instance per thread that every WASM-backed structure lives in, and the
// only place that touches its memory buffer. Views are re-created after memory.grow, which
// detaches the old buffer (xxhash-wasm does the same).

import { wasmBase64 } from './wasm-bytes.generated.js'
import { CoreError } from './errors.js'

/** The raw exports of assembly/index.ts. Handles are addresses; only numbers cross. */
export interface CoreExports {
  readonly memory: WebAssembly.Memory
  scratch_input(): number
  scratch_output(): number
  scratch_bytes(): number
  [name: string]: unknown
}

export class WasmInstance {
  readonly exports: CoreExports
  /** Byte offsets of the scratch regions (see assembly/scratch.ts). */
  readonly inputOffset: number
  readonly outputOffset: number
  readonly scratchBytes: number
  private buffer: ArrayBuffer
  private u8View: Uint8Array
  private u32View: Uint32Array
  private u64View: BigUint64Array
  private f64View: Float64Array
  // Frees the linear memory of structures that were dropped without free(), so a forgotten
  // free() costs memory only until the next garbage collection, not forever.
  private readonly finalizer = new FinalizationRegistry<() => void>((release) => release())

  constructor(instance: WebAssembly.Instance) {
    this.exports = instance.exports as unknown as CoreExports
    this.inputOffset = this.exports.scratch_input()
    this.outputOffset = this.exports.scratch_output()
    this.scratchBytes = this.exports.scratch_bytes()
    this.buffer = this.exports.memory.buffer
    this.u8View = new Uint8Array(this.buffer)
    this.u32View = new Uint32Array(this.buffer)
    this.u64View = new BigUint64Array(this.buffer)
    this.f64View = new Float64Array(this.buffer)
  }

  /** Call after anything that may have grown memory (structure creation, lazy allocation). */
  refresh(): void {
    const buffer = this.exports.memory.buffer
    if (buffer === this.buffer) return
    this.buffer = buffer
    this.u8View = new Uint8Array(buffer)
    this.u32View = new Uint32Array(buffer)
    this.u64View = new BigUint64Array(buffer)
    this.f64View = new Float64Array(buffer)
  }

  get u8(): Uint8Array {
    if (this.u8View.byteLength === 0) this.refresh()
    return this.u8View
  }

  get u32(): Uint32Array {
    if (this.u32View.byteLength === 0) this.refresh()
    return this.u32View
  }

  get u64(): BigUint64Array {
    if (this.u64View.byteLength === 0) this.refresh()
    return this.u64View
  }

  get f64(): Float64Array {
    if (this.f64View.byteLength === 0) this.refresh()
    return this.f64View
  }

  /** Calls `release` once `owner` is garbage collected, unless untrack(owner) came first. */
  track(owner: object, release: () => void): void {
    this.finalizer.register(owner, release, owner)
  }

  untrack(owner: object): void {
    this.finalizer.unregister(owner)
  }

  /** Bytes of linear memory in use by the instance as a whole. */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength
  }
}

let bytes: Uint8Array | undefined
let module: WebAssembly.Module | undefined
let shared: WasmInstance | undefined
let pending: Promise<WasmInstance> | undefined

function wasmBytes(): Uint8Array {
  if (bytes === undefined) {
    const binary = atob(wasmBase64)
    bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  }
  return bytes
}

function unavailable(cause: unknown): CoreError {
  return new CoreError('CORE_WASM_UNAVAILABLE', `WebAssembly core could not be instantiated: ${String(cause)}`, { cause })
}

/** The shared instance, instantiated once per thread (asynchronously, as browsers require). */
export function wasmInstance(): Promise<WasmInstance> {
  if (shared !== undefined) return Promise.resolve(shared)
  if (pending === undefined) {
    pending = (async () => {
      if (typeof WebAssembly !== 'object') throw unavailable('WebAssembly is not defined')
      try {
        module ??= await WebAssembly.compile(wasmBytes() as BufferSource)
        const instance = await WebAssembly.instantiate(module, {
          env: { abort: abortFromWasm },
        })
        shared ??= new WasmInstance(instance)
        return shared
      } catch (error) {
        pending = undefined
        throw unavailable(error)
      }
    })()
  }
  return pending
}

/**
 * The shared instance, instantiated synchronously; undefined where that is not allowed
 * (browsers' main threads refuse synchronous compilation of modules over 4 KB).
 */
export function wasmInstanceSync(): WasmInstance | undefined {
  if (shared !== undefined) return shared
  if (typeof WebAssembly !== 'object') return undefined
  try {
    module ??= new WebAssembly.Module(wasmBytes() as BufferSource)
    shared = new WasmInstance(new WebAssembly.Instance(module, { env: { abort: abortFromWasm } }))
    return shared
  } catch {
    // Synchronous compilation refused here; callers fall back to the async path or the twin.
    return undefined
  }
}

// Built with --noAssert, so abort is reached only on out-of-memory from the allocator.
function abortFromWasm(): never {
  throw new CoreError('CORE_WASM_UNAVAILABLE', 'WebAssembly core aborted (out of memory)')
}
