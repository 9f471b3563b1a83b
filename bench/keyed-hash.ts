// Keyed dedup keys (SipHash-2-4 of kind ‖ 32-byte id ‖ u64) as the relay and the router make
// them for every message: the WebAssembly hasher, its twin, and what the node used before,
// noble's BLAKE2s in keyed mode truncated to 64 bits (a user's pick for a keyed PRF in JS).

import { blake2s } from '@noble/hashes/blake2.js'
import type { KeyedHasher } from '../src/core/contracts.js'
import { runTasks, type Context, type TaskSpec } from './harness.js'
import { Random } from './random.js'
import { PAYS, ratioOf, resultTable, WASM_VS_TWIN, type Section } from './report.js'

const IDS = 1_024
const CALLS = 20_000

export function runKeyedHash(ctx: Context): Section {
  const random = new Random(0x51f)
  const ids = random.ids(IDS, 32)
  const key = random.ids(1, 16)[0]
  let checksum = 0n
  const expectWork = (name: string) => () => {
    if (checksum === 0n) throw new Error(`${name}: every key was 0, nothing was hashed`)
  }
  const ours = (name: string, hasher: KeyedHasher): TaskSpec => ({
    name,
    items: CALLS,
    fn: () => {
      let sum = 0n
      for (let i = 0; i < CALLS; i++) sum ^= hasher.keyOf(i & 3, ids[i & (IDS - 1)], BigInt(i))
      checksum = sum
    },
    afterEach: expectWork(name),
  })
  const input = new Uint8Array(41)
  const view = new DataView(input.buffer)
  const noble: TaskSpec = {
    name: '@noble/hashes blake2s keyed, 8 bytes',
    items: CALLS,
    fn: () => {
      let sum = 0n
      for (let i = 0; i < CALLS; i++) {
        input[0] = i & 3
        input.set(ids[i & (IDS - 1)], 1)
        view.setBigUint64(33, BigInt(i))
        const digest = blake2s(input, { key, dkLen: 8 })
        sum ^= new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0, true)
      }
      checksum = sum
    },
    afterEach: expectWork('noble blake2s'),
  }
  // The two backends must agree before their speed means anything.
  const wasm = ctx.wasm.createKeyedHasher(key)
  const twin = ctx.twin.createKeyedHasher(key)
  for (let i = 0; i < IDS; i++) {
    if (wasm.keyOf(1, ids[i], BigInt(i)) !== twin.keyOf(1, ids[i], BigInt(i))) throw new Error('keyed hash: wasm and twin disagree')
  }
  const results = runTasks('keyed-hash', [ours('wasm keyOf (SipHash-2-4)', wasm), ours('twin keyOf (SipHash-2-4)', twin), noble], ctx.settings, 'keys/s')
  return {
    id: 'keyed-hash',
    title: `Keyed dedup keys: ${CALLS.toLocaleString('en-US')} keys of (kind, 32-byte id, u64) per iteration`,
    notes: [
      'Each key hashes 41 bytes under a 16-byte secret and returns a bigint, as the relay and the router use it. ' +
        'wasm and twin are checked to give identical keys on 1,024 inputs first; every iteration XORs its keys, and an all-zero result fails the run.',
      'noble BLAKE2s is what the relay and router used before (a PRF too, but set up afresh for its key on every call).',
    ],
    tables: [resultTable('keyOf', 'keys/s', results)],
    ratios: [
      ratioOf(results, 'wasm keyOf (SipHash-2-4)', 'twin keyOf (SipHash-2-4)', { label: 'keyed hash: wasm vs twin', measures: WASM_VS_TWIN, target: PAYS }),
      ratioOf(results, 'wasm keyOf (SipHash-2-4)', '@noble/hashes blake2s keyed, 8 bytes', {
        label: 'keyed hash: wasm SipHash vs noble BLAKE2s keyed', measures: 'SipHash (wasm) vs BLAKE2s keyed (noble): different hash functions, and WebAssembly', target: 10,
      }),
      ratioOf(results, 'twin keyOf (SipHash-2-4)', '@noble/hashes blake2s keyed, 8 bytes', {
        label: 'keyed hash: twin SipHash vs noble BLAKE2s keyed', measures: 'SipHash vs BLAKE2s keyed, both JavaScript: the hash functions alone',
      }),
    ],
  }
}
