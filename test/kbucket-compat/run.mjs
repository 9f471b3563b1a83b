// Runs k-bucket 5.1.0's own tape tests (node_modules/k-bucket/test/*.js) against wasmesh/kbucket.
//
//   node test/kbucket-compat/run.mjs            the adapter, bundled from src/kbucket/index.ts
//   node test/kbucket-compat/run.mjs --dist     the built dist/node/kbucket.js (npm run build first)
//   node test/kbucket-compat/run.mjs --original k-bucket itself (checks this harness)
//
// The test files are copied to .cache/kbucket-compat/test/ with `require('../')` pointed at a
// CommonJS shim for the implementation under test and `require('tape')` at a wrapper that turns
// the cases listed in EXCLUDED.md into skips. Prints passed / failed / skipped cases; exits 1 on
// any failure, on an EXCLUDED.md entry that names no test, or when no test ran.

import { build } from 'esbuild'
import { createRequire } from 'node:module'
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const require = createRequire(import.meta.url)
const sourceDir = join(root, 'node_modules/k-bucket/test')
const cacheDir = join(root, '.cache/kbucket-compat')
const testDir = join(cacheDir, 'test')
const mode = process.argv.includes('--original') ? 'original' : process.argv.includes('--dist') ? 'dist' : 'src'

const kBucketVersion = JSON.parse(readFileSync(join(root, 'node_modules/k-bucket/package.json'), 'utf8')).version
if (kBucketVersion !== '5.1.0') fail(`expected k-bucket 5.1.0 in node_modules, found ${kBucketVersion}`)

rmSync(cacheDir, { recursive: true, force: true })
mkdirSync(testDir, { recursive: true })
// The copies are CommonJS; the project's package.json says "type": "module".
writeFileSync(join(cacheDir, 'package.json'), '{ "type": "commonjs" }\n')

// The implementation under test, loadable with require().
let target
if (mode === 'original') {
  target = join(root, 'node_modules/k-bucket/index.js')
} else if (mode === 'dist') {
  target = join(root, 'dist/node/kbucket.js') // ESM: require(esm) needs Node >= 20.19
} else {
  target = join(cacheDir, 'kbucket.cjs')
  await build({
    absWorkingDir: root,
    entryPoints: ['src/kbucket/index.ts'],
    outfile: target,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  })
}
const shim = join(cacheDir, 'kbucket-shim.cjs')
writeFileSync(shim, mode === 'src'
  // esbuild's CommonJS output puts the class on `default`.
  ? `module.exports = require(${JSON.stringify(target)}).default\n`
  // k-bucket, and the adapter through require(esm), give the class itself, as users get it.
  : `module.exports = require(${JSON.stringify(target)})\n`)

// Excluded cases: "- `file.js`: `test name` — reason" lines in EXCLUDED.md.
const excluded = new Map()
const excludedText = readFileSync(join(root, 'test/kbucket-compat/EXCLUDED.md'), 'utf8')
for (const line of excludedText.split('\n')) {
  const match = /^- `([^`]+\.js)`: `(.+)` — (.+)$/.exec(line)
  if (match) excluded.set(`${match[1]}\u0000${match[2]}`, { file: match[1], name: match[2], reason: match[3], used: false })
}
globalThis.__kbucketCompatExcluded = excluded
// The file of each case, in registration order: tape numbers cases in that order.
const fileOfCase = []
globalThis.__kbucketCompatFiles = fileOfCase

// require('tape') in each file becomes this wrapper, told which file it serves.
const tapeWrapper = join(cacheDir, 'tape-wrapper.cjs')
writeFileSync(tapeWrapper, `const tape = require(${JSON.stringify(require.resolve('tape'))})
module.exports = function forFile (file) {
  const test = function (name, ...rest) {
    globalThis.__kbucketCompatFiles.push(file)
    const entry = globalThis.__kbucketCompatExcluded.get(file + '\\u0000' + name)
    if (entry === undefined) return tape(name, ...rest)
    entry.used = true
    return tape(name, { skip: 'EXCLUDED.md: ' + entry.reason }, ...rest.filter((arg) => typeof arg === 'function'))
  }
  return Object.assign(test, { skip: tape.skip, only: tape.only, onFinish: tape.onFinish, onFailure: tape.onFailure })
}
`)

const files = readdirSync(sourceDir).filter((file) => file.endsWith('.js')).sort()
if (files.length === 0) fail(`no test files in ${sourceDir}`)
for (const file of files) {
  let source = readFileSync(join(sourceDir, file), 'utf8')
  const requires = source.match(/require\('\.\.\/?'\)/g) ?? []
  if (requires.length !== 1) fail(`${file}: expected one require('../'), found ${requires.length}`)
  source = source.replace(/require\('\.\.\/?'\)/, `require(${JSON.stringify(shim)})`)
  source = source.replace(/require\('tape'\)/g, `require(${JSON.stringify(tapeWrapper)})(${JSON.stringify(file)})`)
  writeFileSync(join(testDir, file), source)
}

const cases = new Map()
let current
let reported = false
// Registered before tape's own exit handler, so it runs first: a case that never ends lets the
// event loop drain before tape has reported, and that must not pass for success.
process.on('exit', () => {
  if (reported) return
  for (const c of cases.values()) if (!c.ended) c.failures.push({ name: 'the case never ended', operator: 'end' })
  const started = cases.size
  if (started < fileOfCase.length) console.log(`${fileOfCase.length - started} cases never started`)
  report()
  process.exit(1)
})
process.on('uncaughtException', (error) => {
  console.error(`uncaught exception${current ? ` in "${current.name}"` : ''}:`, error)
  if (current) current.failures.push({ name: 'uncaught exception', operator: 'error', actual: String(error) })
  report()
})

// Collect tape's results as objects; tape starts running on the next tick.
const tape = require('tape')
const stream = tape.createStream({ objectMode: true })
stream.on('data', (row) => {
  if (row.type === 'test') {
    current = { name: row.name, file: fileOfCase[row.id] ?? '?', skip: row.skip, asserts: 0, failures: [], ended: false }
    cases.set(row.id, current)
  } else if (row.type === 'assert') {
    const entry = cases.get(row.test)
    entry.asserts++
    if (!row.ok && !row.skip && !row.todo) entry.failures.push(row)
  } else if (row.type === 'end') {
    cases.get(row.test).ended = true
  }
})
stream.on('end', report)

for (const file of files) require(join(testDir, file))

function report() {
  if (reported) return
  reported = true
  const all = [...cases.values()]
  const skipped = all.filter((c) => c.skip)
  const failed = all.filter((c) => !c.skip && c.failures.length > 0)
  const passed = all.filter((c) => !c.skip && c.failures.length === 0)
  const unused = [...excluded.values()].filter((entry) => !entry.used)
  const label = { src: 'wasmesh/kbucket (src/kbucket bundled)', dist: 'wasmesh/kbucket (dist/node/kbucket.js)', original: 'k-bucket itself' }[mode]

  for (const c of failed) {
    console.log(`FAIL ${c.file}: ${c.name}`)
    for (const f of c.failures.slice(0, 3)) {
      const at = f.file ? ` at ${relative(root, f.file)}:${f.line}` : ''
      const values = 'expected' in f || 'actual' in f ? `: expected ${inspect(f.expected)}, got ${inspect(f.actual)}` : ''
      console.log(`  - ${f.name ?? ''} (${f.operator})${at}${values}`)
    }
    if (c.failures.length > 3) console.log(`  - and ${c.failures.length - 3} more failed assertions`)
  }
  for (const c of skipped) console.log(`SKIP ${c.file}: ${c.name} — ${String(c.skip).replace(/^EXCLUDED\.md: /, '')}`)
  for (const entry of unused) console.log(`STALE EXCLUDED.md entry (no such test): ${entry.file}: ${entry.name}`)
  const asserts = all.reduce((sum, c) => sum + c.asserts, 0)
  console.log(
    `k-bucket ${kBucketVersion} tests against ${label}: ${passed.length} passed, ${failed.length} failed, `
    + `${skipped.length} skipped, of ${all.length} cases in ${files.length} files (${asserts} assertions; `
    + `copies in ${relative(root, testDir)})`,
  )
  if (failed.length > 0 || unused.length > 0 || passed.length === 0) process.exit(1)
}

function inspect(value) {
  if (value instanceof Uint8Array) return `<${Buffer.from(value).toString('hex')}>`
  try {
    return JSON.stringify(value)
  } catch {
    return String(value)
  }
}

function fail(message) {
  console.error(`kbucket-compat: ${message}`)
  process.exit(1)
}
