// Static files on the bootstrap server's HTTP port (the page in examples/mesh and the bundle it
// imports): URL prefixes mounted on directories. A request path is taken apart here, segment
// by segment and decoded, before any file system call: '..', '.', empty segments, hidden
// names and encoded slashes or backslashes are refused outright, so no spelling of a path
// (`/../x`, `/%2e%2e/x`, `//etc/passwd`, `/a%2f..%2fb`) reaches a file outside its directory;
// the Node runtime then refuses symbolic links that lead out. Reads are bounded in size and in
// number at once.

import type { HttpRequestLike, HttpResponseLike } from '../transport/websocket/runtime.js'
import { checkInteger, describeValue, type ErrorFactory } from '../util/validate.js'
import { runtime } from './node-runtime.js'

/** URL path prefixes ('/', '/dist/': each starts and ends with '/') and the directory each serves. */
export type StaticFilesOption = Readonly<Record<string, string>>

export interface StaticMount {
  readonly prefix: string
  readonly directory: string
}

/** What a request path names: a file below a mount, nothing mounted, or a path refused as unsafe. */
export type StaticTarget =
  | { readonly mount: StaticMount; readonly segments: readonly string[] }
  | { readonly refused: string }
  | undefined

/** Reads under way at once; past it a request gets 503 rather than another file in memory. */
const MAX_CONCURRENT_READS = 16
const MAX_PATH_LENGTH = 1_024

/** By extension; anything else is application/octet-stream. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  wasm: 'application/wasm',
  json: 'application/json',
  map: 'application/json',
  txt: 'text/plain; charset=utf-8',
  png: 'image/png',
  ico: 'image/x-icon',
}

export function contentTypeOf(name: string): string {
  const dot = name.lastIndexOf('.')
  return (dot < 0 ? undefined : CONTENT_TYPES[name.slice(dot + 1).toLowerCase()]) ?? 'application/octet-stream'
}

/** Checks the option at the boundary: longest prefixes first, so '/dist/' wins over '/'. */
export function checkStaticFiles(value: unknown, invalid: ErrorFactory): readonly StaticMount[] {
  if (value === undefined) return []
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`staticFiles must be an object of URL prefixes to directories, got ${describeValue(value)}`)
  const mounts: StaticMount[] = []
  for (const [prefix, directory] of Object.entries(value as Record<string, unknown>)) {
    if (!/^\/([A-Za-z0-9._~-]+\/)*$/.test(prefix) || prefix.split('/').some((segment) => segment === '.' || segment === '..')) {
      throw invalid(`staticFiles: a prefix must start and end with '/' and hold plain names between ('/', '/dist/'), got ${JSON.stringify(prefix)}`)
    }
    if (typeof directory !== 'string' || directory.length === 0) throw invalid(`staticFiles[${JSON.stringify(prefix)}] must be a directory path, got ${describeValue(directory)}`)
    mounts.push({ prefix, directory })
  }
  return mounts.sort((a, b) => b.prefix.length - a.prefix.length)
}

/**
 * The file a request target names, from its raw path (never a URL parser's normalized one,
 * which would quietly turn '/../x' into '/x'). A path ending in '/' names its index.html.
 */
export function resolveStaticPath(target: string, mounts: readonly StaticMount[]): StaticTarget {
  if (!target.startsWith('/')) return { refused: 'the request target must be a path' }
  const end = target.search(/[?#]/)
  const path = end < 0 ? target : target.slice(0, end)
  if (path.length > MAX_PATH_LENGTH) return { refused: `the path is over ${MAX_PATH_LENGTH} characters` }
  const raw = path.slice(1).split('/')
  if (raw.at(-1) === '') raw[raw.length - 1] = 'index.html'
  const segments: string[] = []
  for (const part of raw) {
    let segment: string
    try {
      segment = decodeURIComponent(part)
    } catch {
      return { refused: 'the path is not valid percent-encoding' }
    }
    // A leading '.' covers '.', '..' and hidden files; '/' and '\\' would split a segment further down.
    if (segment === '' || segment.startsWith('.') || /[/\\\0]/.test(segment)) return { refused: 'the path must be plain names between slashes' }
    segments.push(segment)
  }
  const joined = `/${segments.join('/')}`
  const mount = mounts.find((candidate) => `${joined}/`.startsWith(candidate.prefix))
  if (mount === undefined) return undefined
  const below = segments.slice(mount.prefix.split('/').length - 2)
  return { mount, segments: below.length === 0 ? ['index.html'] : below }
}

/** Serves the mounted directories, at most maxFileBytes a file and MAX_CONCURRENT_READS files at once. */
export class StaticFiles {
  readonly #mounts: readonly StaticMount[]
  readonly #maxFileBytes: number
  #reading = 0

  constructor(mounts: readonly StaticMount[], maxFileBytes: number) {
    this.#mounts = mounts
    this.#maxFileBytes = maxFileBytes
  }

  get isEmpty(): boolean {
    return this.#mounts.length === 0
  }

  /** The first mounted directory that is missing, if any (a server should not start with one). */
  async missingDirectory(): Promise<string | undefined> {
    for (const mount of this.#mounts) if (runtime === undefined || !(await runtime.isDirectory(mount.directory))) return mount.directory
    return undefined
  }

  /** Whether a mount covers the request's path (then serve() answers it, with a file or an error). */
  covers(request: HttpRequestLike): boolean {
    return resolveStaticPath(request.url ?? '/', this.#mounts) !== undefined
  }

  /** Answers with the file, 403 for a refused path or a file over the bound, 404 when there is none, 503 when too many reads are under way. */
  async serve(request: HttpRequestLike, response: HttpResponseLike, headers: Readonly<Record<string, string>>): Promise<void> {
    const text = (status: number, body: string) => {
      response.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8' })
      response.end(body)
    }
    const target = resolveStaticPath(request.url ?? '/', this.#mounts)
    if (target === undefined) return text(404, 'not found')
    if ('refused' in target) return text(403, `refused: ${target.refused}`)
    if (runtime === undefined) return text(404, 'not found')
    if (this.#reading >= MAX_CONCURRENT_READS) return text(503, 'busy: try again')
    this.#reading++
    let read
    try {
      read = await runtime.readFileWithin(target.mount.directory, target.segments, this.#maxFileBytes)
    } catch {
      return text(500, 'the file could not be read')
    } finally {
      this.#reading--
    }
    if (read === undefined) return text(404, 'not found')
    if (!(read instanceof Uint8Array)) return text(403, `refused: the file is over ${this.#maxFileBytes} bytes`)
    response.writeHead(200, {
      ...headers,
      'content-type': contentTypeOf(target.segments.at(-1)!),
      'content-length': read.length,
      'x-content-type-options': 'nosniff',
    })
    response.end(request.method === 'HEAD' ? undefined : read)
  }
}

export function checkStaticFileBytes(value: unknown, invalid: ErrorFactory): number {
  return checkInteger('maxStaticFileBytes', value ?? 16_777_216, 1, 2 ** 30, invalid)
}
