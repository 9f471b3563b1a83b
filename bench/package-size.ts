// The size of what `npm install wasmesh` downloads and unpacks: `npm pack --dry-run` over the
// built dist/ (package.json `files`), in total and by folder; and what a page downloads: the
// browser bundles raw, gzipped and brotli-compressed. Needs `npm run build` first.

import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import type { Context } from './harness.js'
import type { Section } from './report.js'

const root = fileURLToPath(new URL('..', import.meta.url))

interface PackResult {
  readonly size: number
  readonly unpackedSize: number
  readonly entryCount: number
  readonly files: readonly { readonly path: string; readonly size: number }[]
}

/** The browser bundles: what a page loads without a bundler, and what a bundler starts from. */
const BUNDLES = [
  ['dist/wasmesh.min.js', 'one file for <script type="module">: everything, @noble included, minified'],
  ['dist/browser/index.js', "the bundlers' entry ('browser' export): @noble left to the bundler, not minified"],
  ['dist/browser/kbucket.js', 'wasmesh/kbucket for bundlers'],
] as const

function bundleRows(kb: (n: number) => string): string[][] {
  return BUNDLES.map(([path, what]) => {
    const bytes = readFileSync(`${root}${path}`)
    const gzip = gzipSync(bytes, { level: 9 }).length
    const brotli = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length
    return [path, what, kb(bytes.length), kb(gzip), kb(brotli)]
  })
}

export function runPackageSize(_ctx: Context): Section {
  if (!existsSync(`${root}dist/node/index.js`)) throw new Error('dist/ is not built: run npm run build before the package-size section')
  const stdout = execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', maxBuffer: 16 << 20 })
  const pack = (JSON.parse(stdout) as PackResult[])[0]
  const groups = new Map<string, { files: number; bytes: number }>()
  for (const file of pack.files) {
    const parts = file.path.split('/')
    const group = parts[0] === 'dist' && parts.length > 2 ? `${parts[0]}/${parts[1]}/` : file.path
    const entry = groups.get(group) ?? { files: 0, bytes: 0 }
    entry.files++
    entry.bytes += file.size
    groups.set(group, entry)
  }
  const kb = (n: number) => `${(n / 1000).toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 })} kB`
  return {
    id: 'package-size',
    title: 'Package size',
    notes: [
      '`npm pack --dry-run --json --ignore-scripts` over the built dist/ (what `files` in package.json ships: dist/node, dist/browser and ' +
        'dist/wasmesh.min.js without source maps, dist/types declarations, README.md, LICENSE). kB = 1,000 bytes, as npm prints them.',
      'Before `files` was trimmed (commit 8effd4c: dist with maps, .wat and .wasm, plus src/ and assembly/): 1.6 MB packed, 6.1 MB unpacked, 251 files; ' +
        'right after (3b8f090, before the WebRTC transport landed): 461.5 kB packed, 1,656.1 kB unpacked, 132 files.',
      'Installs that build on `prepare` (node build/build.mjs, ~21 s here): `npm install git+file://<clone>` 3 min 46 s with a cold npm cache ' +
        '(npm installs the devDependencies to build), `npm install --install-links <folder>` 51 s and `npm install <folder>` (a link) 65 s, each then `import "wasmesh"` in Node.',
    ],
    tables: [
      {
        headers: ['form', 'size', 'files'],
        numeric: [1, 2],
        rows: [
          ['packed (.tgz)', kb(pack.size), String(pack.entryCount)],
          ['unpacked', kb(pack.unpackedSize), String(pack.entryCount)],
        ],
      },
      {
        caption: 'Unpacked, by folder',
        headers: ['path', 'size', 'files'],
        numeric: [1, 2],
        rows: [...groups.entries()].sort((a, b) => b[1].bytes - a[1].bytes).map(([group, entry]) => [group, kb(entry.bytes), String(entry.files)]),
      },
      {
        caption: 'Browser bundles: what a page downloads (gzip level 9, brotli quality 11, as a static server would precompress them)',
        headers: ['file', 'what', 'raw', 'gzip', 'brotli'],
        numeric: [2, 3, 4],
        rows: bundleRows(kb),
      },
    ],
    ratios: [],
  }
}
