// `npm run mutate [-- module...]`: StrykerJS over the modules where a silent bug costs most, one
// module at a time against that module's own tests, then docs/mutation.md from the reports
// (build/mutation-report.mjs). Results accumulate in .cache/mutation/: naming modules reruns
// only those, afresh.
//   npm run mutate                   every module
//   npm run mutate -- wire-frames record-store   only these

import { spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const stryker = join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js')

const WIRE_TESTS = ['test/wire/**/*.test.ts', 'test/vectors/**/*.test.ts']

/** Each module with the tests that must catch its mutants. */
export const MODULES = [
  { name: 'twin-dedup-set', mutate: ['src/core/twin/dedup-set.ts'], tests: ['test/core/dedup-set*.test.ts'] },
  { name: 'twin-keyed-hasher', mutate: ['src/core/twin/keyed-hasher.ts'], tests: ['test/core/keyed-hasher.test.ts'] },
  { name: 'twin-priority-queue', mutate: ['src/core/twin/priority-queue.ts'], tests: ['test/core/priority-queue*.test.ts'] },
  { name: 'twin-rate-limiter', mutate: ['src/core/twin/rate-limiter.ts'], tests: ['test/core/rate-limiter*.test.ts'] },
  { name: 'twin-routing-table', mutate: ['src/core/twin/routing-table.ts'], tests: ['test/core/routing-table*.test.ts'] },
  // src/wire in three parts (1,246 mutants, about 9 s each under its property tests: over three
  // hours in one run), each against all of the wire's tests and vectors.
  { name: 'wire-bytes', mutate: ['src/wire/reader.ts', 'src/wire/writer.ts', 'src/wire/fields.ts', 'src/wire/limits.ts', 'src/wire/errors.ts'], tests: WIRE_TESTS },
  { name: 'wire-messages', mutate: ['src/wire/messages.ts', 'src/wire/message-codecs.ts', 'src/wire/codec.ts'], tests: WIRE_TESTS },
  { name: 'wire-frames', mutate: ['src/wire/frame.ts', 'src/wire/frame-decoder.ts', 'src/wire/coalescer.ts'], tests: WIRE_TESTS },
  { name: 'replay-window', mutate: ['src/relay/replay-window.ts'], tests: ['test/relay/replay-window.test.ts', 'test/relay/replay.test.ts'] },
  { name: 'message-cache', mutate: ['src/relay/message-cache.ts'], tests: ['test/relay/*.test.ts'] },
  { name: 'record-store', mutate: ['src/dht/record-store.ts'], tests: ['test/dht/record-store.test.ts', 'test/dht/dht.test.ts'] },
  {
    name: 'handshake',
    mutate: ['src/peers/handshake.ts', 'src/peers/handshake-transcript.ts'],
    tests: ['test/peers/*.test.ts', 'test/vectors/handshake-auth.test.ts', 'test/vectors/identity.test.ts'],
  },
  { name: 'connection-handshake', mutate: ['src/peers/connection-handshake.ts'], tests: ['test/peers/handshake.test.ts', 'test/peers/connection-manager.test.ts'] },
  { name: 'score', mutate: ['src/peers/score.ts'], tests: ['test/peers/*.test.ts'] },
]

function main() {
  const names = process.argv.slice(2)
  const unknown = names.filter((name) => !MODULES.some((module) => module.name === name))
  if (unknown.length > 0) {
    console.error(`unknown module ${unknown.join(', ')}; the modules are ${MODULES.map((m) => m.name).join(', ')}`)
    process.exit(2)
  }
  const chosen = names.length === 0 ? MODULES : names.map((name) => MODULES.find((module) => module.name === name))
  const dir = join(root, '.cache/mutation')
  mkdirSync(dir, { recursive: true })
  const failed = []
  for (const [index, module] of chosen.entries()) {
    console.log(`\n[${index + 1}/${chosen.length}] mutating ${module.name}: ${module.mutate.join(', ')}`)
    const run = spawnSync(process.execPath, [
      stryker, 'run',
      '--mutate', module.mutate.join(','),
      '--testFiles', module.tests.join(','),
    ], { cwd: root, stdio: 'inherit', env: { ...process.env, WASMESH_MUTATION_MODULE: module.name } })
    // A module whose run fails (its tests fail unmutated, say) is reported, and the rest still run.
    if (run.status !== 0) failed.push(module.name)
  }
  const report = spawnSync(process.execPath, [join(root, 'build/mutation-report.mjs')], { cwd: root, stdio: 'inherit' })
  if (failed.length > 0) console.error(`Stryker failed on ${failed.join(', ')}: see its output above`)
  process.exit(failed.length > 0 ? 1 : report.status ?? 1)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main()
