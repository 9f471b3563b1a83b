// npm run build: asc -> embedded wasm module -> esbuild bundles -> type declarations.
//   dist/node/*.js      ESM for Node (platform node)
//   dist/browser/*.js   ESM for browsers and bundlers
//   dist/wasmesh.min.js one self-contained minified ESM file for a <script type="module">
//   dist/types/         declarations from tsc

import { build } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { browserRuntime } from './browser-runtime-plugin.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const entryPoints = { index: 'src/index.ts', kbucket: 'src/kbucket/index.ts', sim: 'src/sim/index.ts' }

await rm(join(root, 'dist'), { recursive: true, force: true })
execFileSync(process.execPath, [join(root, 'build/embed-wasm.mjs'), '--write'], { cwd: root, stdio: 'inherit' })

const common = { absWorkingDir: root, bundle: true, format: 'esm', target: 'es2022', sourcemap: true, logLevel: 'warning' }
await build({ ...common, entryPoints, outdir: 'dist/node', platform: 'node', packages: 'external' })
// The command line, Node only: `wasmesh bootstrap` (package.json bin).
await build({ ...common, entryPoints: { cli: 'src/cli.ts' }, outdir: 'dist/node', platform: 'node', packages: 'external' })
await build({ ...common, entryPoints, outdir: 'dist/browser', platform: 'browser', packages: 'external', plugins: [browserRuntime] })
await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/wasmesh.min.js', platform: 'browser', minify: true, plugins: [browserRuntime] })

execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
console.log('built dist/node, dist/browser, dist/wasmesh.min.js and dist/types')
