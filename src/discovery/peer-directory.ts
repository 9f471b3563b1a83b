// Asking bootstrap servers who is there: GET /peers of each URL in turn, with a per-request
// timeout and a backoff between rounds, until one answers. The answer is checked (a server
// is trusted to list peers, not to send anything at all): a body of at most `maxBodyBytes`,
// read as it arrives and cut off past that; JSON with a `peers` array; at most `maxPeers`
// entries, each an id, up to 8 addresses of at most 256 characters and, when the peer gave
// it, its peer id in hex. Anything else is left out and counted, or fails that server.

import { systemClock, type Clock } from '../util/clock.js'
import { delay } from '../util/delay.js'
import { checkInteger, checkTime, describeValue } from '../util/validate.js'
import { isSignalingId } from '../transport/webrtc/address.js'
import { DiscoveryError } from './errors.js'
import { MAX_ADDRESS_LENGTH, MAX_ANNOUNCED_ADDRESSES, PEER_ID_HEX } from './protocol.js'

export interface DirectoryPeer {
  /** Its signaling id on that server ('webrtc://<id>' dials it there). */
  readonly id: string
  readonly addresses: readonly string[]
  /** Its mesh peer id (64 hex digits), when it announced one (BootstrapServerDiscovery does). */
  readonly peerId?: string
}

/** Why a server gave no usable answer: no answer in time, an HTTP error status, a body over maxBodyBytes, or one that is not JSON with a `peers` array; 'unreachable' for everything else (refused, DNS, reset). */
export type FetchFailureReason = 'timeout' | 'http-status' | 'too-large' | 'malformed' | 'unreachable'

/** One server's last failure, as DISCOVERY_UNREACHABLE's `failures` lists them. */
export interface FetchFailure {
  readonly server: string
  readonly reason: FetchFailureReason
  readonly message: string
}

/** The parts of a fetch Response that fetchPeers reads: the body as a stream when there is one (it is then read bounded), else json(). */
export interface FetchPeersResponse {
  readonly ok: boolean
  readonly status: number
  readonly body?: ReadableStream<Uint8Array> | null
  json(): Promise<unknown>
}

export interface FetchPeersOptions {
  /** Rounds over the whole list, 1 to 100. Default 3. */
  rounds?: number
  /** The wait after a round in which no server answered; it doubles each round. Default 1,000 ms. */
  backoffMs?: number
  /** Each request's timeout. Default 5,000 ms. */
  timeoutMs?: number
  /** Entries kept from an answer, 1 to 100. Default 20. */
  maxPeers?: number
  /** The largest answer read, 1,024 to 16,777,216 bytes; a longer one is cut off and that server counts as failed ('too-large'). Default 262,144. */
  maxBodyBytes?: number
  signal?: AbortSignal
  /** The backoff's timer. Default the system clock. */
  clock?: Clock
  /** Default the global fetch. */
  fetch?: (url: string, init: { signal: AbortSignal }) => Promise<FetchPeersResponse>
}

export interface FetchPeersResult {
  /** The server that answered (as given). */
  readonly server: string
  readonly peers: readonly DirectoryPeer[]
  /** Entries of the answer left out: malformed, or past maxPeers. */
  readonly leftOut: number
  /** Requests made, the one that answered included. */
  readonly attempts: number
  /** The servers that failed before this one answered, each with its last failure. */
  readonly failures: readonly FetchFailure[]
}

/** DISCOVERY_UNREACHABLE from fetchPeers: no server answered; `failures` has each server's last failure. */
export class FetchPeersError extends DiscoveryError {
  readonly failures: readonly FetchFailure[]

  constructor(message: string, failures: readonly FetchFailure[]) {
    super('DISCOVERY_UNREACHABLE', message)
    this.failures = failures
  }
}

const invalid = (message: string) => new DiscoveryError('DISCOVERY_INVALID_OPTION', message)
const DEFAULT_MAX_BODY_BYTES = 262_144

const SERVER_URL = /^(https?|wss?):\/\/([^/?#\s]+)\/?$/

/** Whether `url` names a bootstrap server: 'http(s)://host:port' (its HTTP side) or 'ws(s)://host:port' (its signaling URL, same port). */
export function isBootstrapServerUrl(url: unknown): url is string {
  return typeof url === 'string' && url.length <= MAX_ADDRESS_LENGTH && SERVER_URL.test(url)
}

/** 'ws://host:port' or 'http://host:port' -> 'http://host:port' (wss and https -> https). */
export function serverHttpBase(server: string): string {
  const match = SERVER_URL.exec(server)
  if (match === null || server.length > MAX_ADDRESS_LENGTH) throw invalid(`a bootstrap server URL must be 'http(s)://host:port' or 'ws(s)://host:port', got ${describeValue(server)}`)
  return `${match[1] === 'wss' || match[1] === 'https' ? 'https' : 'http'}://${match[2]}`
}

/** 'http://host:port' -> 'ws://host:port' (https -> wss): where the server's WebSocket side is. */
export function serverWebSocketUrl(server: string): string {
  return serverHttpBase(server).replace(/^http/, 'ws')
}

class FetchFailed extends Error {
  constructor(readonly reason: FetchFailureReason, message: string) {
    super(message)
  }
}

function readPeers(body: unknown, maxPeers: number): { peers: DirectoryPeer[]; leftOut: number } {
  const list = (body as { peers?: unknown } | null)?.peers
  if (!Array.isArray(list)) throw new FetchFailed('malformed', 'the answer is not a JSON object with a peers array')
  const peers: DirectoryPeer[] = []
  let leftOut = 0
  for (const entry of list.slice(0, 1_000)) {
    const { id, addresses, peerId } = (entry ?? {}) as { id?: unknown; addresses?: unknown; peerId?: unknown }
    const ok = isSignalingId(id) && Array.isArray(addresses) && addresses.length <= MAX_ANNOUNCED_ADDRESSES &&
      addresses.every((address) => typeof address === 'string' && address.length > 0 && address.length <= MAX_ADDRESS_LENGTH) &&
      (peerId === undefined || (typeof peerId === 'string' && PEER_ID_HEX.test(peerId)))
    if (!ok || peers.length >= maxPeers) leftOut++
    else peers.push({ id, addresses: [...(addresses as string[])], ...(peerId === undefined ? {} : { peerId: peerId as string }) })
  }
  return { peers, leftOut: leftOut + Math.max(0, list.length - 1_000) }
}

/** The body as JSON, read chunk by chunk and cut off past `maxBytes` (a server cannot make us buffer more). */
async function readBody(response: FetchPeersResponse, maxBytes: number): Promise<unknown> {
  const body = response.body
  if (body === undefined || body === null) {
    try {
      return await response.json()
    } catch (error) {
      throw new FetchFailed('malformed', `the answer is not JSON: ${(error as Error).message}`)
    }
  }
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let length = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      length += value.byteLength
      if (length > maxBytes) throw new FetchFailed('too-large', `the answer is over ${maxBytes} bytes`)
      chunks.push(value)
    }
  } finally {
    // Cancelling a finished or failed stream is harmless; for a cut-off one it closes the socket.
    void reader.cancel().catch(() => undefined)
  }
  const bytes = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (error) {
    throw new FetchFailed('malformed', `the answer is not UTF-8 JSON: ${(error as Error).message}`)
  }
}

/**
 * Asks each server in `servers` ('http(s)://host:port' or its 'ws(s)://' signaling URL) for
 * its peers, in order, round after round with a doubling backoff, and resolves with the first
 * answer. Rejects with FetchPeersError (DISCOVERY_UNREACHABLE, with each server's last
 * failure in `failures`) when none answered, DISCOVERY_INVALID_OPTION for bad input, and an
 * AbortError-named DiscoveryError ('DISCOVERY_CLOSED') when `signal` aborts.
 */
export async function fetchPeers(servers: readonly string[], options: FetchPeersOptions = {}): Promise<FetchPeersResult> {
  if (!Array.isArray(servers) || servers.length === 0 || servers.length > 32) throw invalid(`servers must be 1 to 32 bootstrap server URLs, got ${describeValue(servers)}`)
  const rounds = checkInteger('rounds', options.rounds ?? 3, 1, 100, invalid)
  const backoffMs = checkTime('backoffMs', options.backoffMs ?? 1_000, invalid)
  const timeoutMs = checkTime('timeoutMs', options.timeoutMs ?? 5_000, invalid)
  const maxPeers = checkInteger('maxPeers', options.maxPeers ?? 20, 1, 100, invalid)
  const maxBodyBytes = checkInteger('maxBodyBytes', options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 1_024, 16_777_216, invalid)
  const clock = options.clock ?? systemClock
  const fetchFn = options.fetch ?? (globalThis.fetch as unknown as NonNullable<FetchPeersOptions['fetch']>)
  if (typeof fetchFn !== 'function') throw invalid('there is no fetch here: pass one as the fetch option')
  const urls = servers.map((server) => `${serverHttpBase(server)}/peers?count=${maxPeers}`)
  const signal = options.signal
  const failures = new Map<string, FetchFailure>()
  let attempts = 0
  const aborted = () => new DiscoveryError('DISCOVERY_CLOSED', 'fetchPeers was aborted', { cause: signal?.reason })
  for (let round = 0; round < rounds; round++) {
    for (const [i, url] of urls.entries()) {
      if (signal?.aborted) throw aborted()
      attempts++
      const controller = new AbortController()
      const onAbort = () => controller.abort(signal?.reason)
      signal?.addEventListener('abort', onAbort, { once: true })
      const timer = clock.setTimeout(() => controller.abort(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs)
      try {
        const response = await fetchFn(url, { signal: controller.signal })
        if (!response.ok) {
          void response.body?.cancel().catch(() => undefined)
          throw new FetchFailed('http-status', `HTTP ${response.status}`)
        }
        const { peers, leftOut } = readPeers(await readBody(response, maxBodyBytes), maxPeers)
        failures.delete(servers[i])
        return { server: servers[i], peers, leftOut, attempts, failures: [...failures.values()] }
      } catch (error) {
        if (signal?.aborted) throw aborted()
        const server = servers[i]
        if (controller.signal.aborted) failures.set(server, { server, reason: 'timeout', message: String((controller.signal.reason as Error)?.message) })
        else if (error instanceof FetchFailed) failures.set(server, { server, reason: error.reason, message: error.message })
        else failures.set(server, { server, reason: 'unreachable', message: describeFetchError(error) })
      } finally {
        clock.clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        // Whatever is still open of this request (a body cut off past maxBodyBytes) is let go.
        controller.abort()
      }
    }
    if (round < rounds - 1) await delay(clock, backoffMs * 2 ** round, signal).catch(() => Promise.reject(aborted()))
  }
  const why = [...failures.values()].map((failure) => `${failure.server}: ${failure.message}`).join('; ')
  throw new FetchPeersError(`no bootstrap server answered in ${rounds} rounds (${why})`, [...failures.values()])
}

/** undici's 'fetch failed' says nothing; its cause (ECONNREFUSED…) does. */
function describeFetchError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause
  return typeof cause?.code === 'string' ? `${message} (${cause.code})` : message
}
