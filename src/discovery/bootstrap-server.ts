// The bootstrap and signaling server: one WebSocket port where clients register a signaling
// id and have their WebRTC signals relayed to other ids, and plain HTTP on the same port for
// GET /peers (a bounded random sample of clients that announced addresses), GET /health and
// GET /metrics (Prometheus text), and static files when asked (static-files.ts: the page in
// examples/mesh). Whatever a client sends is checked (protocol.ts) and
// rate-limited per client; a bad frame gets an error frame and is counted, never a crash, and
// a client that keeps misbehaving, never registers, or cannot keep up is disconnected, so
// one client's flood costs the others nothing but the time to drop it.

import { WebSocketTransport } from '../transport/websocket/transport.js'
import type { HttpRequestLike, HttpResponseLike } from '../transport/websocket/runtime.js'
import type { Connection } from '../transport/transport.js'
import type { TimerHandle } from '../util/clock.js'
import { DiscoveryError } from './errors.js'
import { PROMETHEUS_CONTENT_TYPE, renderMetrics, type MetricFamily } from './metrics.js'
import { checkBootstrapServerOptions, type BootstrapServerOptions, type BootstrapServerSettings } from './options.js'
import { encodeFrame, MAX_FRAME_BYTES, parseClientFrame, type ErrorFrameCode, type ServerFrame } from './protocol.js'
import { StaticFiles } from './static-files.js'
import { decodeRelayFrame, encodeRelayClose, encodeRelayFrame, readdressRelayFrame, RELAY_MARKER, type RelayFrame } from './relay-frame.js'

/** Why a client frame was dropped, as counted in stats() and /metrics. */
export type BootstrapDropReason = 'malformed' | 'rate-limited' | 'not-registered' | 'unreachable' | 'target-slow'

export interface BootstrapServerStats {
  /** Connections open now, registered or not, and those registered. */
  readonly clients: number
  readonly registered: number
  readonly connectionsAccepted: number
  /** Connections refused at once because maxClients were connected. */
  readonly connectionsRefused: number
  /** Clients disconnected for misbehaving: too many drops, no register in time, too slow to read. */
  readonly clientsDisconnected: number
  readonly signalsRelayed: number
  /** Relay frames (relay-frame.ts) forwarded between clients, and their bytes. */
  readonly relayFramesForwarded: number
  readonly relayBytesForwarded: number
  /** Times the server stopped reading a client that went over relayBytesPerSecond. */
  readonly relayReadPauses: number
  readonly dropped: Readonly<Record<BootstrapDropReason, number>>
  readonly httpRequests: Readonly<Record<string, number>>
}

interface Client {
  readonly connection: Connection
  id: string | undefined
  addresses: readonly string[]
  /** The mesh peer id it announced (hex), listed with its addresses. */
  peerId: string | undefined
  tokens: number
  refilledAtMs: number
  drops: number
  lastRateErrorAtMs: number
  registerTimer: TimerHandle | undefined
  /** Relay bytes it may still send now (relayBytesPerSecond, bursts of twice that); negative while reading is paused. */
  relayTokens: number
  relayRefilledAtMs: number
  relayResumeTimer: TimerHandle | undefined
  /** Clients it relayed with, told when it leaves (at most MAX_RELAY_PEERS, the latest kept). */
  readonly relayPeers: Set<Client>
}

/** One entry of GET /peers. */
interface Listed {
  readonly id: string
  readonly addresses: readonly string[]
  readonly peerId?: string
}

/** Relay peers remembered per client, so a client that leaves can be announced gone to them. */
const MAX_RELAY_PEERS = 256

const ROUTES = ['/peers', '/health', '/metrics'] as const

/**
 * A bootstrap and signaling server. `start()` listens and resolves with the URL to give
 * clients (`WebSocketSignaling.connect(url, { id })`); `close()` disconnects everyone and
 * resolves once no socket or timer of it is left.
 */
export class BootstrapServer {
  readonly #settings: BootstrapServerSettings
  readonly #transport: WebSocketTransport
  readonly #clients = new Set<Client>()
  readonly #byId = new Map<string, Client>()
  readonly #dropped: Record<BootstrapDropReason, number> = { malformed: 0, 'rate-limited': 0, 'not-registered': 0, unreachable: 0, 'target-slow': 0 }
  readonly #http: Record<string, number> = { '/peers': 0, '/health': 0, '/metrics': 0, static: 0, other: 0 }
  readonly #static: StaticFiles
  #connectionsAccepted = 0
  #connectionsRefused = 0
  #clientsDisconnected = 0
  #signalsRelayed = 0
  #relayFramesForwarded = 0
  #relayBytesForwarded = 0
  #relayReadPauses = 0
  #startedAtMs = 0
  #state: 'new' | 'starting' | 'running' | 'closed' = 'new'

  constructor(options: BootstrapServerOptions = {}) {
    this.#settings = checkBootstrapServerOptions(options)
    const perClient = this.#settings.maxBufferedBytesPerClient
    this.#static = new StaticFiles(this.#settings.staticFiles, this.#settings.maxStaticFileBytes)
    try {
      this.#transport = new WebSocketTransport({
        listenAddress: this.#settings.listenAddress,
        ...(this.#settings.tls === undefined ? {} : { tls: this.#settings.tls }),
        maxMessageBytes: MAX_FRAME_BYTES,
        maxBufferedBytes: perClient,
        highWaterMarkBytes: Math.min(perClient, 262_144),
        onHttpRequest: (request, response) => this.#onHttp(request, response),
      })
    } catch (error) {
      throw new DiscoveryError('DISCOVERY_INVALID_OPTION', (error as Error).message, { cause: error })
    }
  }

  /** 'ws://host:port' once started (the bound port when 0 was asked). */
  get url(): string {
    return this.#transport.localAddress
  }

  /**
   * Listens; resolves with the URL. Rejects with DISCOVERY_INVALID_STATE when started before,
   * DISCOVERY_INVALID_OPTION when a staticFiles directory is missing, and with the transport's
   * error when it cannot listen.
   */
  async start(): Promise<string> {
    if (this.#state !== 'new') throw new DiscoveryError('DISCOVERY_INVALID_STATE', `start() may be called once, on a new server; this one is ${this.#state}`)
    this.#state = 'starting'
    const missing = await this.#static.missingDirectory()
    if (missing !== undefined) {
      this.#state = 'new'
      throw new DiscoveryError('DISCOVERY_INVALID_OPTION', `staticFiles: ${JSON.stringify(missing)} is not a directory here`)
    }
    this.#startedAtMs = this.#settings.clock.now()
    await this.#transport.listen((connection) => this.#onConnection(connection))
    if (this.#state !== 'starting') throw new DiscoveryError('DISCOVERY_CLOSED', 'the server closed while it started')
    this.#state = 'running'
    return this.url
  }

  /** Disconnects every client and stops listening; idempotent. */
  async close(): Promise<void> {
    this.#state = 'closed'
    for (const client of this.#clients) this.#clearTimers(client)
    await this.#transport.close()
  }

  stats(): BootstrapServerStats {
    return {
      clients: this.#clients.size,
      registered: this.#byId.size,
      connectionsAccepted: this.#connectionsAccepted,
      connectionsRefused: this.#connectionsRefused,
      clientsDisconnected: this.#clientsDisconnected,
      signalsRelayed: this.#signalsRelayed,
      relayFramesForwarded: this.#relayFramesForwarded,
      relayBytesForwarded: this.#relayBytesForwarded,
      relayReadPauses: this.#relayReadPauses,
      dropped: { ...this.#dropped },
      httpRequests: { ...this.#http },
    }
  }

  #onConnection(connection: Connection): void {
    if (this.#state !== 'running' && this.#state !== 'starting') return connection.close('server closed')
    if (this.#clients.size >= this.#settings.maxClients) {
      this.#connectionsRefused++
      this.#tell(connection, { type: 'error', code: 'server-full', message: `the server has its ${this.#settings.maxClients} clients` })
      return connection.close('server full')
    }
    this.#connectionsAccepted++
    const clock = this.#settings.clock
    const client: Client = {
      connection, id: undefined, addresses: [], peerId: undefined, tokens: 2 * this.#settings.messagesPerSecond, refilledAtMs: clock.now(), drops: 0, lastRateErrorAtMs: -Infinity, registerTimer: undefined,
      relayTokens: 2 * this.#settings.relayBytesPerSecond, relayRefilledAtMs: clock.now(), relayResumeTimer: undefined, relayPeers: new Set(),
    }
    client.registerTimer = clock.setTimeout(() => {
      client.registerTimer = undefined
      if (client.id === undefined) this.#disconnect(client, 'too-slow', `no register within ${this.#settings.registerTimeoutMs} ms`)
    }, this.#settings.registerTimeoutMs)
    this.#clients.add(client)
    connection.onMessage((frame) => this.#onFrame(client, frame))
    connection.onClose(() => this.#forget(client))
  }

  #onFrame(client: Client, bytes: Uint8Array): void {
    if (!client.connection.isOpen) return
    if (bytes[0] === RELAY_MARKER) return this.#onRelayFrame(client, bytes)
    if (!this.#takeToken(client)) return this.#drop(client, 'rate-limited')
    const frame = parseClientFrame(bytes)
    if ('malformed' in frame) return this.#drop(client, 'malformed', frame.malformed)
    if (frame.type === 'register') return this.#register(client, frame.id)
    if (client.id === undefined) return this.#drop(client, 'not-registered', 'register first')
    if (frame.type === 'announce') {
      client.addresses = frame.addresses
      client.peerId = frame.peerId
      return
    }
    const target = this.#byId.get(frame.to)
    if (target === undefined) {
      this.#dropped.unreachable++
      // The Signaling contract: a peer nobody holds answers with a 'bye' for the same connection.
      const connectionId = (frame.message as { connectionId?: unknown }).connectionId
      if (typeof connectionId === 'string') this.#tell(client.connection, { type: 'signal', from: frame.to, message: { type: 'bye', connectionId, reason: 'unreachable' } })
      return
    }
    if (this.#tell(target.connection, { type: 'signal', from: client.id, message: frame.message })) this.#signalsRelayed++
    else {
      this.#dropped['target-slow']++
      this.#disconnect(target, 'too-slow', 'it does not read what is sent to it')
    }
  }

  /**
   * Forwards a relay frame to the client it names, as coming from this one. The server keeps
   * no state per stream: opening and closing cost a frame token like a signal, data and
   * credit cost relay bytes, and a target that is behind gets the stream closed rather than
   * more bytes queued for it.
   */
  #onRelayFrame(client: Client, bytes: Uint8Array): void {
    const frame = decodeRelayFrame(bytes)
    if (frame === undefined) return this.#drop(client, 'malformed', 'a relay frame must follow docs/protocol.md (relay frames)')
    if (client.id === undefined) return this.#drop(client, 'not-registered', 'register first')
    if (frame.kind === 'gone') return this.#drop(client, 'malformed', 'only the server says a client is gone')
    // Forwarded under the sender's id, which may be longer than the one it named (ids are ASCII).
    if (bytes.length - bytes[2] + client.id.length > MAX_FRAME_BYTES) return this.#drop(client, 'malformed', `a relay frame must fit in ${MAX_FRAME_BYTES} bytes under the sender's id`)
    const isControl = frame.kind === 'open' || frame.kind === 'accept' || frame.kind === 'close'
    if (isControl && !this.#takeToken(client)) return this.#drop(client, 'rate-limited')
    const target = this.#byId.get(frame.peer)
    if (target === undefined || target === client) {
      this.#dropped.unreachable++
      if (frame.kind !== 'close') this.#closeRelayStream(client, frame, 'unreachable')
      return
    }
    if (frame.kind === 'data' && target.connection.bufferedAmount > this.#settings.relayTargetBufferBytes) {
      this.#dropped['target-slow']++
      this.#closeRelayStream(client, frame, 'target-slow')
      this.#closeRelayStream(target, { ...frame, isFromOpener: !frame.isFromOpener, peer: client.id }, 'target-slow')
      return
    }
    if (!isControl) this.#chargeRelayBytes(client, bytes.length)
    if (frame.kind === 'open' || frame.kind === 'accept') {
      rememberRelayPeer(client, target)
      rememberRelayPeer(target, client)
    }
    if (!this.#post(target.connection, readdressRelayFrame(bytes, client.id))) {
      this.#dropped['target-slow']++
      this.#disconnect(target, 'too-slow', 'it does not read what is sent to it')
      return
    }
    this.#relayFramesForwarded++
    this.#relayBytesForwarded += bytes.length
  }

  /** Tells `client` that the stream of `frame` is closed, as if its peer had closed it. */
  #closeRelayStream(client: Client, frame: RelayFrame, reason: string): void {
    this.#post(client.connection, encodeRelayClose(!frame.isFromOpener, frame.peer, frame.stream, reason))
  }

  /** Charges relayed bytes; past the budget, stops reading the client until it has refilled. */
  #chargeRelayBytes(client: Client, bytes: number): void {
    const now = this.#settings.clock.now()
    const rate = this.#settings.relayBytesPerSecond
    client.relayTokens = Math.min(2 * rate, client.relayTokens + ((now - client.relayRefilledAtMs) * rate) / 1_000)
    client.relayRefilledAtMs = now
    client.relayTokens -= bytes
    const connection = client.connection
    if (client.relayTokens >= 0 || client.relayResumeTimer !== undefined || connection.pauseReading === undefined) return
    this.#relayReadPauses++
    connection.pauseReading()
    client.relayResumeTimer = this.#settings.clock.setTimeout(() => {
      client.relayResumeTimer = undefined
      if (connection.isOpen) connection.resumeReading?.()
    }, Math.ceil((-client.relayTokens * 1_000) / rate))
  }

  #register(client: Client, id: string): void {
    if (client.id !== undefined) return this.#drop(client, 'malformed', `already registered as ${client.id}`, 'already-registered')
    if (this.#byId.has(id)) {
      this.#tell(client.connection, { type: 'error', code: 'id-taken', message: `another client holds the id ${id}` })
      return
    }
    client.id = id
    this.#clearTimers(client)
    this.#byId.set(id, client)
    this.#tell(client.connection, { type: 'registered', id })
  }

  #takeToken(client: Client): boolean {
    const now = this.#settings.clock.now()
    const rate = this.#settings.messagesPerSecond
    client.tokens = Math.min(2 * rate, client.tokens + ((now - client.refilledAtMs) * rate) / 1_000)
    client.refilledAtMs = now
    if (client.tokens < 1) return false
    client.tokens--
    return true
  }

  /** Counts a dropped frame, tells the client why (a rate-limit error at most once a second), and disconnects it past maxDropsBeforeClose. */
  #drop(client: Client, reason: BootstrapDropReason, message?: string, code?: ErrorFrameCode): void {
    this.#dropped[reason]++
    client.drops++
    if (client.drops >= this.#settings.maxDropsBeforeClose) return this.#disconnect(client, reason === 'rate-limited' ? 'rate-limited' : 'malformed', `${client.drops} frames dropped`)
    const now = this.#settings.clock.now()
    if (reason === 'rate-limited') {
      if (now - client.lastRateErrorAtMs < 1_000) return
      client.lastRateErrorAtMs = now
    }
    this.#tell(client.connection, { type: 'error', code: code ?? (reason as ErrorFrameCode), message: message ?? `over ${this.#settings.messagesPerSecond} frames a second` })
  }

  #disconnect(client: Client, code: ErrorFrameCode, why: string): void {
    if (!client.connection.isOpen) return
    this.#clientsDisconnected++
    this.#tell(client.connection, { type: 'error', code, message: `disconnected: ${why}` })
    client.connection.close(why.slice(0, 100))
    this.#forget(client)
  }

  #forget(client: Client): void {
    if (!this.#clients.delete(client)) return
    this.#clearTimers(client)
    if (client.id !== undefined && this.#byId.get(client.id) === client) this.#byId.delete(client.id)
    // Its relayed streams end with it: a relay has no link of its own to drop.
    if (client.id !== undefined) {
      const gone = encodeRelayFrame('gone', false, client.id, 0)
      for (const peer of client.relayPeers) {
        peer.relayPeers.delete(client)
        this.#post(peer.connection, gone)
      }
    }
    client.relayPeers.clear()
  }

  #clearTimers(client: Client): void {
    if (client.registerTimer !== undefined) this.#settings.clock.clearTimeout(client.registerTimer)
    client.registerTimer = undefined
    if (client.relayResumeTimer !== undefined) this.#settings.clock.clearTimeout(client.relayResumeTimer)
    client.relayResumeTimer = undefined
  }

  /** Sends a frame; false when the client's buffer is full (it is then too slow to keep). */
  #tell(connection: Connection, frame: ServerFrame): boolean {
    return this.#post(connection, encodeFrame(frame))
  }

  #post(connection: Connection, bytes: Uint8Array): boolean {
    if (!connection.isOpen) return false
    try {
      connection.send(bytes)
      return true
    } catch {
      return false
    }
  }

  #onHttp(request: HttpRequestLike, response: HttpResponseLike): void {
    let url: URL
    try {
      url = new URL(request.url ?? '/', 'http://bootstrap')
    } catch {
      this.#http.other++
      response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' })
      return void response.end('bad request target')
    }
    const isRoute = (ROUTES as readonly string[]).includes(url.pathname)
    const route = isRoute ? url.pathname : !this.#static.isEmpty && this.#static.covers(request) ? 'static' : 'other'
    this.#http[route]++
    const headers = { 'access-control-allow-origin': '*', 'cache-control': 'no-store' }
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { ...headers, 'content-type': 'application/json' })
      response.end(JSON.stringify(body))
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return json(405, { error: 'only GET' })
    switch (route) {
      case '/peers':
        return json(200, { peers: this.#samplePeers(url.searchParams.get('count')) })
      case '/health':
        return json(200, { status: 'ok', clients: this.#clients.size, registered: this.#byId.size, uptimeSeconds: Math.floor((this.#settings.clock.now() - this.#startedAtMs) / 1_000) })
      case '/metrics':
        response.writeHead(200, { ...headers, 'content-type': PROMETHEUS_CONTENT_TYPE })
        return void response.end(renderMetrics(this.#metrics()))
      case 'static':
        // serve() answers every outcome itself (404, 403, 500, 503); what could still throw is
        // writing to a socket that went away, which leaves nobody to answer.
        return void this.#static.serve(request, response, headers).catch(() => undefined)
      default:
        return json(404, { error: `no such path: try ${ROUTES.join(', ')}` })
    }
  }

  /** Up to peersSampleSize (or `count`, if smaller) registered clients that announced addresses, chosen at random. */
  #samplePeers(count: string | null): Listed[] {
    const asked = count === null ? this.#settings.peersSampleSize : Number.parseInt(count, 10)
    const size = Number.isFinite(asked) && asked > 0 ? Math.min(asked, this.#settings.peersSampleSize) : this.#settings.peersSampleSize
    const sample: Listed[] = []
    const listed = (id: string, client: Client): Listed => (client.peerId === undefined ? { id, addresses: client.addresses } : { id, addresses: client.addresses, peerId: client.peerId })
    let seen = 0
    // Reservoir sampling: one pass, bounded memory, however many clients there are.
    for (const [id, client] of this.#byId) {
      if (client.addresses.length === 0) continue
      seen++
      if (sample.length < size) sample.push(listed(id, client))
      else {
        const slot = this.#settings.random.nextInt(seen)
        if (slot < size) sample[slot] = listed(id, client)
      }
    }
    return sample
  }

  #metrics(): MetricFamily[] {
    const prefix = 'wasmesh_bootstrap_'
    return [
      { name: `${prefix}clients`, help: 'WebSocket clients connected now.', type: 'gauge', samples: [{ labels: {}, value: this.#clients.size }] },
      { name: `${prefix}registered_clients`, help: 'Clients registered under a signaling id now.', type: 'gauge', samples: [{ labels: {}, value: this.#byId.size }] },
      { name: `${prefix}connections_total`, help: 'WebSocket connections accepted.', type: 'counter', samples: [{ labels: {}, value: this.#connectionsAccepted }] },
      { name: `${prefix}connections_refused_total`, help: 'Connections refused because maxClients were connected.', type: 'counter', samples: [{ labels: {}, value: this.#connectionsRefused }] },
      { name: `${prefix}clients_disconnected_total`, help: 'Clients disconnected for misbehaving.', type: 'counter', samples: [{ labels: {}, value: this.#clientsDisconnected }] },
      { name: `${prefix}signals_relayed_total`, help: 'WebRTC signals relayed to their target.', type: 'counter', samples: [{ labels: {}, value: this.#signalsRelayed }] },
      { name: `${prefix}relay_frames_total`, help: 'Relay frames forwarded between clients.', type: 'counter', samples: [{ labels: {}, value: this.#relayFramesForwarded }] },
      { name: `${prefix}relay_bytes_total`, help: 'Bytes of relay frames forwarded between clients.', type: 'counter', samples: [{ labels: {}, value: this.#relayBytesForwarded }] },
      { name: `${prefix}relay_read_pauses_total`, help: 'Times a client was not read for going over its relay byte budget.', type: 'counter', samples: [{ labels: {}, value: this.#relayReadPauses }] },
      {
        name: `${prefix}frames_dropped_total`, help: 'Client frames dropped, by reason.', type: 'counter',
        samples: Object.entries(this.#dropped).map(([reason, value]) => ({ labels: { reason }, value })),
      },
      {
        name: `${prefix}http_requests_total`, help: 'Plain HTTP requests, by path.', type: 'counter',
        samples: Object.entries(this.#http).map(([path, value]) => ({ labels: { path }, value })),
      },
      { name: `${prefix}uptime_seconds`, help: 'Seconds since the server started.', type: 'gauge', samples: [{ labels: {}, value: Math.floor((this.#settings.clock.now() - this.#startedAtMs) / 1_000) }] },
    ]
  }
}

function rememberRelayPeer(client: Client, peer: Client): void {
  client.relayPeers.delete(peer)
  client.relayPeers.add(peer)
  if (client.relayPeers.size > MAX_RELAY_PEERS) client.relayPeers.delete(client.relayPeers.values().next().value!)
}
