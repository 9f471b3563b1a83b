// The size of the WebAssembly module embedded in the JavaScript build, raw and gzipped:
// what every user downloads whether or not they use the core structures.

import { gzipSync, brotliCompressSync } from 'node:zlib'
import { wasmBase64 } from '../src/core/wasm-bytes.generated.js'
import type { Context } from './harness.js'
import type { Section } from './report.js'

export function runWasmSize(_ctx: Context): Section {
  const bytes = Buffer.from(wasmBase64, 'base64')
  if (!WebAssembly.validate(bytes)) throw new Error('the embedded bytes are not a valid WebAssembly module')
  const gzip = gzipSync(bytes, { level: 9 }).length
  const brotli = brotliCompressSync(bytes).length
  const kib = (n: number) => `${n.toLocaleString('en-US')} B (${(n / 1024).toFixed(1)} KiB)`
  return {
    id: 'wasm-size',
    title: 'Embedded .wasm size',
    notes: [
      'Decoded from src/core/wasm-bytes.generated.ts (export wasmBase64); gzip at level 9 with node:zlib. ' +
        'The base64 text in the JavaScript bundle is 4/3 of the raw size before compression.',
    ],
    tables: [{
      headers: ['form', 'size'],
      numeric: [1],
      rows: [
        ['raw .wasm', kib(bytes.length)],
        ['gzip -9', kib(gzip)],
        ['brotli', kib(brotli)],
        ['base64 as embedded', kib(wasmBase64.length)],
      ],
    }],
    ratios: [],
  }
}
