// The one WebAssembly module of wasmesh: every core structure lives in it as a handle, so a
// thread needs a single instance however many structures it creates (DESIGN.md, boundary
// rule 1). Each structure is one file; this file only gathers their exports.

export { scratch_input, scratch_output, scratch_bytes } from './scratch'
export * from './dedup'
export * from './routing'
export * from './queue'
export * from './limiter'
export * from './keyed-hash'
