// The bootstrap server's static files (staticFiles), over real HTTP on 127.0.0.1: files come
// with their content types, a path ending in '/' serves index.html, the longest prefix wins,
// every spelling of a way out of the directory is refused before the file system is asked
// (raw request targets, sent as written: a URL parser would normalize them away), a link out
// is refused, a missing file is 404, a file over the bound is refused unread, and the
// server's own routes stay its own.

import { execFileSync } from 'node:child_process'
import { request } from 'node:http'
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve, sep } from 'node:path'
import fc from 'fast-check'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BootstrapServer, type BootstrapServerOptions } from '../../src/discovery/index.js'
import { resolveStaticPath } from '../../src/discovery/static-files.js'
import { serverFixture } from './server-fixture.js'

const { serve, cleanup } = serverFixture()
let dir = ''

/** GET (or `method`) with the target exactly as given. */
function get(server: BootstrapServer, target: string, method = 'GET'): Promise<{ status: number; type: string | undefined; body: string }> {
  const { port } = new URL(server.url)
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(port), path: target, method }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end()
  })
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmesh-static-'))
  await mkdir(join(dir, 'site', 'sub'), { recursive: true })
  await mkdir(join(dir, 'bundle'))
  await writeFile(join(dir, 'secret.txt'), 'outside the site')
  await writeFile(join(dir, 'site', 'index.html'), '<!doctype html><title>page</title>')
  await writeFile(join(dir, 'site', 'app.js'), 'export const app = 1')
  await writeFile(join(dir, 'site', 'style.css'), 'body { margin: 0 }')
  await writeFile(join(dir, 'site', 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
  await writeFile(join(dir, 'site', 'core.wasm'), Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0))
  await writeFile(join(dir, 'site', 'data.json'), '{"a":1}')
  await writeFile(join(dir, 'site', 'large.bin'), new Uint8Array(2_048))
  await writeFile(join(dir, 'site', '.env'), 'hidden')
  await writeFile(join(dir, 'site', 'sub', 'index.html'), 'sub index')
  await writeFile(join(dir, 'bundle', 'wasmesh.min.js'), 'export const bundle = 2')
  await symlink(join(dir, 'secret.txt'), join(dir, 'site', 'link.txt'))
  execFileSync('mkfifo', [join(dir, 'site', 'pipe.txt')]) // nobody ever writes to it
})
afterAll(() => rm(dir, { recursive: true, force: true }))
afterEach(cleanup)

const site = (): BootstrapServerOptions => ({ staticFiles: { '/': join(dir, 'site'), '/dist/': join(dir, 'bundle') }, maxStaticFileBytes: 1_024 })

describe('BootstrapServer static files', () => {
  it('serves files with their content types, index.html for a path ending in /, the longest prefix first', async () => {
    const server = await serve(site())
    expect(await get(server, '/')).toEqual({ status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><title>page</title>' })
    expect(await get(server, '/index.html?v=1')).toMatchObject({ status: 200, body: '<!doctype html><title>page</title>' })
    expect(await get(server, '/app.js')).toEqual({ status: 200, type: 'text/javascript; charset=utf-8', body: 'export const app = 1' })
    expect((await get(server, '/style.css')).type).toBe('text/css; charset=utf-8')
    expect((await get(server, '/icon.svg')).type).toBe('image/svg+xml')
    expect((await get(server, '/core.wasm')).type).toBe('application/wasm')
    expect(await get(server, '/data.json')).toEqual({ status: 200, type: 'application/json', body: '{"a":1}' })
    expect(await get(server, '/sub/')).toMatchObject({ status: 200, body: 'sub index' })
    expect(await get(server, '/dist/wasmesh.min.js')).toEqual({ status: 200, type: 'text/javascript; charset=utf-8', body: 'export const bundle = 2' })
    expect(await get(server, '/app.js', 'HEAD')).toEqual({ status: 200, type: 'text/javascript; charset=utf-8', body: '' })
    expect(server.stats().httpRequests.static).toBe(10)
  })

  it('refuses every way out of the directory, hidden files and links out; a missing file is 404 and a large one is refused', async () => {
    const server = await serve(site())
    for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E/secret.txt', '/sub/../../secret.txt', '/%2e%2e%2fsecret.txt', '/..%5csecret.txt',
      '//etc/passwd', '/%2fetc%2fpasswd', '/dist/../secret.txt', '/./index.html', '/.env', '/%2eenv', '/index.html%00.js', '/%zz']) {
      const answer = await get(server, target)
      expect(answer.status, target).toBe(403)
      expect(answer.body, target).toMatch(/^refused: /)
    }
    expect((await get(server, '/link.txt')).status).toBe(404)
    expect((await get(server, '/nothing.html')).status).toBe(404)
    expect((await get(server, '/sub')).status).toBe(404) // a directory is no file
    expect((await get(server, '/pipe.txt')).status).toBe(404) // nor a FIFO, which a blocking read would wait on forever
    expect(await get(server, '/large.bin')).toMatchObject({ status: 403, body: 'refused: the file is over 1024 bytes' })
  })

  it("keeps the server's routes its own, and without staticFiles other paths stay 404", async () => {
    const server = await serve(site())
    expect(JSON.parse((await get(server, '/health')).body)).toMatchObject({ status: 'ok' })
    expect(JSON.parse((await get(server, '/peers')).body)).toEqual({ peers: [] })
    const plain = await serve()
    expect((await get(plain, '/index.html')).status).toBe(404)
    expect((await get(plain, '/../package.json')).status).toBe(404)
    expect(resolveStaticPath('/a/b.js', [{ prefix: '/x/', directory: '.' }])).toBeUndefined()
  })

  it('no request target resolves to a path outside its mount, however it is spelled (property)', () => {
    const mounts = [{ prefix: '/dist/', directory: '/srv/dist' }, { prefix: '/', directory: '/srv/site' }]
    const part = fc.oneof(
      fc.constantFrom('..', '.', '', '%2e%2e', '%2E%2e', '.%2e', '%2e', '%2f', '%2F', '%5c', '%00', '..%2f..', 'dist', 'a', 'b.js', '.env', '%', '%zz', '?x', '#y'),
      fc.string({ maxLength: 6 }),
    )
    fc.assert(fc.property(fc.array(part, { maxLength: 8 }), (parts) => {
      const target = resolveStaticPath(`/${parts.join('/')}`, mounts)
      if (target === undefined || 'refused' in target) return
      const root = resolve(target.mount.directory)
      expect(resolve(root, ...target.segments).startsWith(root + sep)).toBe(true)
      for (const segment of target.segments) expect(segment).toMatch(/^[^./\\\0][^/\\\0]*$/)
    }), { numRuns: 2_000 })
  })

  it('refuses bad options with DISCOVERY_INVALID_OPTION, and a missing directory at start()', async () => {
    for (const staticFiles of [[], 'dir', { dist: 'dist' }, { '/dist': 'dist' }, { '/../': 'x' }, { '/a//': 'x' }, { '/': '' }, { '/': 7 }]) {
      expect(() => new BootstrapServer({ staticFiles } as never), JSON.stringify(staticFiles)).toThrow(expect.objectContaining({ code: 'DISCOVERY_INVALID_OPTION' }))
    }
    expect(() => new BootstrapServer({ maxStaticFileBytes: 0 })).toThrow(expect.objectContaining({ code: 'DISCOVERY_INVALID_OPTION' }))
    const server = new BootstrapServer({ staticFiles: { '/': join(dir, 'no-such-dir') } })
    await expect(server.start()).rejects.toThrow(expect.objectContaining({ code: 'DISCOVERY_INVALID_OPTION', message: expect.stringContaining('no-such-dir') }))
    await server.close()
  })
})
