// Asking bootstrap servers who is there: GET /peers of each URL in turn, with a per-request
// timeout and a backoff between rounds, until one answers. The answer is checked (a server
// is trusted to list peers, not to send anything at all): at most `maxPeers` entries, each an
// id and up to 8 addresses of at most 256 characters; anything else is left out and counted.

import { systemClock, type Clock } from '../util/clock.js'
import { delay } from '../util/delay.js'
import { checkInteger, checkTime, describeValue } from '../util/validate.js'
import { isSignalingId } from '../transport/webrtc/address.js'
import { DiscoveryError } from './errors.js'
import { MAX_ADDRESS_LENGTH, MAX_ANNOUNCED_ADDRESSES } from './protocol.js'

export interface DirectoryPeer {
  /** Its signaling id on that server ('webrtc://<id>' dials it there). */
  readonly id: string
  readonly addresses: readonly string[]
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
  signal?: AbortSignal
  /** The backoff's timer. Default the system clock. */
  clock?: Clock
  /** Default the global fetch. */
  fetch?: (url: string, init: { signal: AbortSignal }) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>
}

export interface FetchPeersResult {
  /** The server that answered ('ws://…' as given). */
  readonly server: string
  readonly peers: readonly DirectoryPeer[]
  /** Entries of the answer left out: malformed, or past maxPeers. */
  readonly leftOut: number
  /** Requests made, the one that answered included. */
  readonly attempts: number
}

const invalid = (message: string) => new DiscoveryError('DISCOVERY_INVALID_OPTION', message)

/** 'ws://host:port' -> 'http://host:port/peers?count=N' (wss -> https). */
function peersUrl(server: string, count: number): string {
  const match = /^(wss?):\/\/([^/?#]+)\/?$/.exec(server)
  if (match === null) throw invalid(`a bootstrap server URL must be 'ws://host:port' or 'wss://host:port', got ${describeValue(server)}`)
  return `${match[1] === 'wss' ? 'https' : 'http'}://${match[2]}/peers?count=${count}`
}

function readPeers(body: unknown, maxPeers: number): { peers: DirectoryPeer[]; leftOut: number } {
  const list = (body as { peers?: unknown } | null)?.peers
  if (!Array.isArray(list)) return { peers: [], leftOut: 0 }
  const peers: DirectoryPeer[] = []
  let leftOut = 0
  for (const entry of list.slice(0, 1_000)) {
    const { id, addresses } = (entry ?? {}) as { id?: unknown; addresses?: unknown }
    const ok = isSignalingId(id) && Array.isArray(addresses) && addresses.length <= MAX_ANNOUNCED_ADDRESSES &&
      addresses.every((address) => typeof address === 'string' && address.length > 0 && address.length <= MAX_ADDRESS_LENGTH)
    if (!ok || peers.length >= maxPeers) leftOut++
    else peers.push({ id, addresses: [...(addresses as string[])] })
  }
  return { peers, leftOut: leftOut + Math.max(0, list.length - 1_000) }
}

/**
 * Asks each server in `servers` for its peers, in order, round after round with a doubling
 * backoff, and resolves with the first answer. Rejects with DISCOVERY_UNREACHABLE (with each
 * server's last failure) when none answered, DISCOVERY_INVALID_OPTION for bad input, and an
 * AbortError-named DiscoveryError ('DISCOVERY_CLOSED') when `signal` aborts.
 */
export async function fetchPeers(servers: readonly string[], options: FetchPeersOptions = {}): Promise<FetchPeersResult> {
  if (!Array.isArray(servers) || servers.length === 0 || servers.length > 32) throw invalid(`servers must be 1 to 32 bootstrap server URLs, got ${describeValue(servers)}`)
  const rounds = checkInteger('rounds', options.rounds ?? 3, 1, 100, invalid)
  const backoffMs = checkTime('backoffMs', options.backoffMs ?? 1_000, invalid)
  const timeoutMs = checkTime('timeoutMs', options.timeoutMs ?? 5_000, invalid)
  const maxPeers = checkInteger('maxPeers', options.maxPeers ?? 20, 1, 100, invalid)
  const clock = options.clock ?? systemClock
  const fetchFn = options.fetch ?? (globalThis.fetch as unknown as NonNullable<FetchPeersOptions['fetch']>)
  if (typeof fetchFn !== 'function') throw invalid('there is no fetch here: pass one as the fetch option')
  const urls = servers.map((server) => peersUrl(server, maxPeers))
  const signal = options.signal
  const failures = new Map<string, string>()
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
        if (!response.ok) throw new Error(`HTTP ${response.status}`)
        const { peers, leftOut } = readPeers(await response.json(), maxPeers)
        return { server: servers[i], peers, leftOut, attempts }
      } catch (error) {
        if (signal?.aborted) throw aborted()
        failures.set(servers[i], controller.signal.aborted ? String((controller.signal.reason as Error)?.message) : (error as Error).message)
      } finally {
        clock.clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
    }
    if (round < rounds - 1) await delay(clock, backoffMs * 2 ** round, signal).catch(() => Promise.reject(aborted()))
  }
  const why = [...failures].map(([server, reason]) => `${server}: ${reason}`).join('; ')
  throw new DiscoveryError('DISCOVERY_UNREACHABLE', `no bootstrap server answered in ${rounds} rounds (${why})`)
}
