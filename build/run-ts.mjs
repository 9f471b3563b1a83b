// Runs a TypeScript entry (the benchmarks, the CLI) without a separate TS runtime: esbuild
// bundles it to .cache/ with dependencies left external, then Node imports the result.
//   node build/run-ts.mjs bench/index.ts [args...]

import { build } from 'esbuild'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { dirname, join, basename } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const [entry, ...args] = process.argv.slice(2)
if (!entry) {
  console.error('usage: node build/run-ts.mjs <entry.ts> [args...]')
  process.exit(2)
}
const outfile = join(root, '.cache', basename(entry).replace(/\.ts$/, '.mjs'))
await build({
  absWorkingDir: root, entryPoints: [entry], outfile, bundle: true, format: 'esm',
  platform: 'node', target: 'node20', packages: 'external', sourcemap: 'inline', logLevel: 'warning',
})
process.argv = [process.argv[0], outfile, ...args]
await import(pathToFileURL(outfile).href)
