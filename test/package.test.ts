// What `npm install` gives a user: the packed tarball holds what the package's exports point
// at and nothing a user does not need (no src/, assembly/, source maps, .wat), and, unpacked
// into a fresh folder's node_modules as npm would, `import 'wasmesh'`, `wasmesh/kbucket` and
// `wasmesh/sim` work in Node. Offline: the built dist/ is packed with --ignore-scripts and the runtime
// dependencies are linked from this checkout's node_modules. `npm test` builds dist/ first.
// (Installs from a git URL and a folder, which run `prepare`, are measured by hand:
// bench/RESULTS.md, section "Package size".)

import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { scenarioNames } from '../src/sim/index.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const exec = promisify(execFile)
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

interface PackedFile {
  readonly path: string
  readonly size: number
}

interface PackManifest {
  exports: Record<string, Record<string, string> | string>
  dependencies: Record<string, string>
  scripts: Record<string, string>
}

const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as PackManifest
const scratch = await mkdtemp(join(tmpdir(), 'wasmesh-package-'))
afterAll(() => rm(scratch, { recursive: true, force: true }))

function exportTargets(): string[] {
  const targets: string[] = []
  for (const entry of Object.values(manifest.exports)) {
    if (typeof entry === 'string') targets.push(entry)
    else targets.push(...Object.values(entry))
  }
  return targets.map((target) => target.replace(/^\.\//, ''))
}

describe('the package', () => {
  it('builds on install from git or a folder: prepare runs the build', () => {
    expect(manifest.scripts.prepare).toBe('node build/build.mjs')
  })

  it('packs what its exports point at, the types, README and LICENSE, and no sources, maps or .wat', async () => {
    if (!existsSync(join(root, 'dist/node/index.js'))) throw new Error('dist/ is not built: run npm run build (npm test does)')
    const { stdout } = await exec(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, maxBuffer: 16 << 20 })
    const files = (JSON.parse(stdout) as [{ files: PackedFile[] }])[0].files.map((file) => file.path)
    for (const target of exportTargets()) expect(files).toContain(target)
    expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json', 'dist/types/kbucket/index.d.ts', 'dist/types/sim/index.d.ts']))
    const unwanted = files.filter((file) => /^(src|assembly|test|bench|build)\//.test(file) || /\.(map|wat|wasm|ts)$/.test(file.replace(/\.d\.ts$/, '')))
    expect(unwanted).toEqual([])
  }, 60_000)

  it('unpacked into a fresh folder, import "wasmesh", "wasmesh/kbucket" and "wasmesh/sim" work and two nodes meet', async () => {
    if (!existsSync(join(root, 'dist/node/index.js'))) throw new Error('dist/ is not built: run npm run build (npm test does)')
    const { stdout: packed } = await exec(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], { cwd: root, maxBuffer: 16 << 20 })
    const tarball = join(scratch, (JSON.parse(packed) as [{ filename: string }])[0].filename)
    const app = join(scratch, 'app')
    const installed = join(app, 'node_modules', 'wasmesh')
    await mkdir(installed, { recursive: true })
    await exec('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'])
    for (const name of Object.keys(manifest.dependencies)) {
      const link = join(app, 'node_modules', name)
      await mkdir(dirname(link), { recursive: true })
      await symlink(join(root, 'node_modules', name), link, 'dir')
    }
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
    await writeFile(join(app, 'try.mjs'), [
      "import { createMeshNode, MemoryNetwork, loadCore } from 'wasmesh'",
      "import KBucket from 'wasmesh/kbucket'",
      "import { scenarioNames } from 'wasmesh/sim'",
      "import { createRequire } from 'node:module'",
      'const required = createRequire(import.meta.url)(\'wasmesh/kbucket\')',
      'const net = new MemoryNetwork({ latencyMs: 5 })',
      'const a = await createMeshNode({ network: net }); await a.start()',
      'const b = await createMeshNode({ network: net, bootstrap: a.addresses }); await b.start()',
      'console.log((await loadCore()).backend, typeof KBucket, required === KBucket, a.stats().peers, b.stats().peers, scenarioNames.join(\'+\'))',
      'await Promise.all([a.stop(), b.stop()])',
    ].join('\n'))
    const { stdout } = await exec(process.execPath, ['try.mjs'], { cwd: app, timeout: 60_000 })
    // The scenarios as the installed package lists them: the same list as the sources'.
    expect(stdout.trim()).toBe(`wasm function true 1 1 ${scenarioNames.join('+')}`)
    expect(scenarioNames).toEqual(expect.arrayContaining(['join', 'broadcast', 'dht', 'churn']))
    // The bin that npm would link: the installed command line runs.
    const bin = join(installed, (manifest as unknown as { bin: { wasmesh: string } }).bin.wasmesh)
    const { stdout: help } = await exec(process.execPath, [bin, 'bootstrap', '--help'], { cwd: app, timeout: 30_000 })
    expect(help).toMatch(/^usage: wasmesh bootstrap/)
  }, 120_000)
})
