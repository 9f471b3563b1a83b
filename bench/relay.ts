// Relay decisions per second on one node, through the production layers: frames handed to
// real ManagedSessions (decodeFrame, the per-peer RateLimiter, the outgoing PriorityQueue and
// FrameCoalescer) under a real Relay (dedup, Ed25519 verify, fanout), once over the
// WebAssembly core and once over the TypeScript twins, in the same run.
//
// What is not production: the sessions are built directly, as ConnectionManager#admit builds
// them after a handshake (same SessionHost wiring, copied below), on sink connections that
// count the frames they are given; time is a ManualClock the benchmark moves between
// iterations. Everything from receiveFrame() to the frame handed to the link is the shipped code.

import type { Core, RateLimiter } from '../src/core/contracts.js'
import { ManagedSession, newTrafficCounters, type SessionHost, type TrafficCounters } from '../src/peers/peer-session.js'
import { Identity, verifySignature } from '../src/peers/identity.js'
import { webCryptoEd25519 } from '../src/peers/identity-crypto.js'
import { resolveOptions, type ResolvedOptions } from '../src/peers/options.js'
import type { PeerNetwork, PeerNetworkEvents, PeerSession } from '../src/peers/session.js'
import { signedBytes } from '../src/relay/envelope.js'
import { DEFAULT_FANOUT, DEFAULT_TTL } from '../src/relay/options.js'
import { Relay, RELAY_DROP_REASONS, type RelayStats } from '../src/relay/relay.js'
import type { CloseHandler, Connection, DrainHandler, MessageHandler, Transport } from '../src/transport/transport.js'
import { BatchedTimers } from '../src/util/batched-timers.js'
import { ManualClock } from '../src/util/clock.js'
import { cryptoRandom, SeededRandom } from '../src/util/random.js'
import { decodeFrame, encodeFrame } from '../src/wire/frame.js'
import type { DecodedMessage, PublishMessage } from '../src/wire/messages.js'
import { formatRate, runAsyncTasks, type AsyncTaskSpec, type Context, type TaskResult } from './harness.js'
import { ratioOf, resultTable, WASM_VS_TWIN, type Section } from './report.js'

/** Subscribed neighbours of the measured node. */
const NEIGHBOURS = 30
/** Nodes whose messages are relayed; none of them is a neighbour. */
const ORIGINS = 4
/** Distinct signed messages: one iteration of the fresh workloads. */
const MESSAGES = 256
/** Copies of each message from other neighbours: ~6 per delivery at fanout 6 on 200-node meshes (see DEFAULT_FANOUT). */
const COPIES = 6
const DATA_BYTES = 256
const TOPIC = 'bench/relay'
/** Long enough that the clock's 1 s steps between iterations never make a session ping or time out. */
const KEEPALIVE_MS = 86_400_000
/** The duplicates' hub remembers its seeded messages for the whole run (1 s of virtual time per iteration). */
const SEEDED_DEDUP_TTL_MS = 2 ** 31 - 1
/**
 * The duplicates hub's maxMessageAgeMs, its largest (a day): its clock moves 1 s an iteration, and
 * with the default 120 s the copies would turn stale (refused before dedup) after 120 iterations.
 */
const SEEDED_MAX_AGE_MS = 86_400_000

type Mode = 'fresh' | 'congested' | 'duplicates'

/**
 * One end of a link that takes every frame (counting it) and never delivers anything back. A
 * congested sink answers every send with "above the high-water mark", so the session holds
 * outgoing messages in its PriorityQueue until the benchmark calls the drain handler.
 */
class SinkConnection implements Connection {
  readonly localAddress = 'bench://hub'
  readonly direction = 'inbound' as const
  readonly maxMessageBytes = 1_048_584
  readonly bufferedAmount = 0
  isOpen = true
  frames = 0
  /** Frames kept for inspection while set (the setup check), else only counted. */
  captured: Uint8Array[] | undefined
  private drainHandler: DrainHandler | undefined

  constructor(readonly id: string, readonly remoteAddress: string, private readonly isCongested: boolean) {}

  send(frame: Uint8Array): boolean {
    this.frames++
    this.captured?.push(frame.slice())
    return !this.isCongested
  }

  onMessage(_handler: MessageHandler): void {}
  onClose(_handler: CloseHandler): void {}

  onDrain(handler: DrainHandler): void {
    this.drainHandler = handler
  }

  /** The link caught up: the session moves its queued messages to the coalescer. */
  drain(): void {
    this.drainHandler?.()
  }

  close(): void {
    this.isOpen = false
  }
}

/** The measured node: a PeerNetwork of ManagedSessions wired as ConnectionManager wires them. */
class Hub implements PeerNetwork {
  readonly identity: Identity
  readonly clock = new ManualClock(1_000)
  readonly random = cryptoRandom()
  readonly options: ResolvedOptions
  readonly counters: TrafficCounters = newTrafficCounters()
  readonly sessions: ManagedSession[] = []
  readonly sinks: SinkConnection[] = []
  readonly relay: Relay
  delivered = 0
  bans = 0
  private readonly limiter: RateLimiter
  private readonly relayLimiter: RateLimiter
  private readonly frameLimiter: RateLimiter
  private readonly handlers: { [E in keyof PeerNetworkEvents]: Set<PeerNetworkEvents[E]> } = {
    'peer:connect': new Set(), 'peer:disconnect': new Set(), message: new Set(),
  }
  private waiter: { readonly count: number; readonly done: () => void } | undefined

  constructor(readonly core: Core, neighbours: readonly Identity[], seed: number, isCongested: boolean, dedupTtlMs?: number) {
    this.identity = Identity.generate(new SeededRandom(seed))
    const transport: Transport = {
      kind: 'bench',
      localAddress: 'bench://hub',
      listen: () => Promise.reject(new Error('the bench hub does not listen')),
      dial: () => Promise.reject(new Error('the bench hub does not dial')),
      close: () => Promise.resolve(),
    }
    // Production defaults (100 messages/s per peer, 10,000 queued, 2 ms flush) but the keepalive.
    this.options = resolveOptions({ identity: this.identity, transport, clock: this.clock, random: this.random, keepaliveIntervalMs: KEEPALIVE_MS })
    // As ConnectionManager.start() and its constructor's SessionHost.
    const { rateLimitPerPeer, relayRateLimitPerPeer, maxPeers, queueCapacity, queueAgingMs } = this.options
    this.limiter = core.createRateLimiter({ ratePerSec: rateLimitPerPeer, burst: rateLimitPerPeer, peers: maxPeers })
    this.relayLimiter = core.createRateLimiter({ ratePerSec: relayRateLimitPerPeer, burst: relayRateLimitPerPeer, peers: maxPeers })
    const frameBudgetPerSec = rateLimitPerPeer + relayRateLimitPerPeer
    this.frameLimiter = core.createRateLimiter({ ratePerSec: frameBudgetPerSec, burst: Math.max(frameBudgetPerSec, 1_024), peers: maxPeers })
    const host: SessionHost = {
      options: this.options,
      limiter: this.limiter,
      relayLimiter: this.relayLimiter,
      frameLimiter: this.frameLimiter,
      frameBudgetPerSec,
      counters: this.counters,
      flushTimers: new BatchedTimers(this.clock),
      createQueue: () => core.createPriorityQueue({ capacity: queueCapacity, levels: 4, agingMs: queueAgingMs }),
      deliver: (session, message) => this.emit('message', session, message),
      ban: () => void this.bans++,
      isOverTarget: () => false,
      redirected: () => undefined,
      closed: (session, reason) => this.emit('peer:disconnect', session, reason),
    }
    // Relay options at their defaults (but the duplicates' dedup TTL): the verifier is
    // verifySignature, WebCrypto in Node, else noble.
    this.relay = new Relay({ network: this, core, dedupTtlMs, ...(dedupTtlMs === undefined ? {} : { maxMessageAgeMs: SEEDED_MAX_AGE_MS }) })
    this.relay.subscribe(TOPIC, () => {
      this.delivered++
      if (this.waiter !== undefined && this.delivered >= this.waiter.count) this.waiter.done()
    })
    neighbours.forEach((neighbour, handle) => {
      const sink = new SinkConnection(`bench-${seed}-${handle}`, `bench://neighbour-${handle}`, isCongested)
      const session = new ManagedSession(host, sink, {
        peerId: neighbour.peerId, publicKey: neighbour.publicKey, version: 1, capabilities: [], remoteCapabilities: [], listenAddresses: [],
      }, handle)
      this.sinks.push(sink)
      this.sessions.push(session)
      this.emit('peer:connect', session)
    })
    // Each neighbour announces the topic, through its session like any message.
    const subscribe = encodeFrame([{ type: 'subscribe', topics: [TOPIC] }])
    for (const session of this.sessions) session.receiveFrame(subscribe)
    // The relay's own subscribe announcements go out; on congested links that first frame is
    // what blocks each session.
    this.flush()
  }

  peers(): readonly PeerSession[] {
    return this.sessions.filter((session) => session.isOpen)
  }

  peer(peerId: Uint8Array): PeerSession | undefined {
    return this.sessions.find((session) => session.isOpen && Buffer.compare(session.peerId, peerId) === 0)
  }

  connect(): Promise<PeerSession> {
    return Promise.reject(new Error('the bench hub does not dial'))
  }

  on<E extends keyof PeerNetworkEvents>(event: E, handler: PeerNetworkEvents[E]): () => void {
    const set = this.handlers[event] as Set<PeerNetworkEvents[E]>
    set.add(handler)
    return () => void set.delete(handler)
  }

  /**
   * Resolves once `count` messages have been delivered in all, or once no signature check is
   * in flight (some were dropped: the iteration's check then says which).
   */
  deliveredAtLeast(count: number): Promise<void> {
    if (this.delivered >= count) return Promise.resolve()
    return new Promise((resolve) => {
      const poll = setInterval(() => {
        if (this.relay.stats().pendingVerifications === 0) done()
      }, 100)
      const done = () => {
        clearInterval(poll)
        this.waiter = undefined
        resolve()
      }
      this.waiter = { count, done }
    })
  }

  /** The links caught up (congested mode), then every coalescer's flush timer fires. */
  flush(): void {
    for (const sink of this.sinks) sink.drain()
    this.clock.advance(this.options.flushDelayMs)
  }

  stop(): void {
    this.relay.stop()
    for (const session of this.sessions) session.close('bench done')
    this.limiter.free()
    this.relayLimiter.free()
    this.frameLimiter.free()
  }

  private emit<E extends keyof PeerNetworkEvents>(event: E, ...args: Parameters<PeerNetworkEvents[E]>): void {
    for (const handler of this.handlers[event]) (handler as (...values: Parameters<PeerNetworkEvents[E]>) => void)(...args)
  }
}

/** A message as it arrives: the frame bytes and the neighbour whose session receives them. */
interface Arrival {
  readonly frame: Uint8Array
  readonly from: number
}

interface Signed {
  readonly origin: Identity
  readonly seq: bigint
  readonly timestampMs: number
  readonly data: Uint8Array
  readonly signature: Uint8Array
}

/**
 * ORIGINS nodes publishing on TOPIC, none of them a neighbour. Each batch is MESSAGES new
 * messages (sequence numbers only grow, as the relay's replay windows require), signed
 * outside the timed work.
 */
class Publishers {
  private readonly random = new SeededRandom(0x7e1a)
  private readonly origins = Array.from({ length: ORIGINS }, () => Identity.generate(this.random))
  private readonly nextSeq = this.origins.map(() => 1_000n)

  /** `now`: the hub's clock, which the messages are stamped with (the relay refuses old ones). */
  constructor(private readonly neighbours: readonly Identity[], private readonly now: () => number = () => 0) {}

  async batch(): Promise<Signed[]> {
    const unsigned = Array.from({ length: MESSAGES }, (_, i) => {
      const o = i % ORIGINS
      const data = new Uint8Array(DATA_BYTES)
      this.random.fill(data)
      return { origin: this.origins[o], seq: this.nextSeq[o]++, timestampMs: this.now(), data }
    })
    return Promise.all(unsigned.map(async (m) => ({ ...m, signature: await m.origin.sign(signedBytes(TOPIC, m.origin.peerId, m.seq, m.timestampMs, m.data)) })))
  }

  /** Message i arriving from neighbour i mod NEIGHBOURS, or for copy k > 0, from the k-th one after it. */
  arrivals(messages: readonly Signed[], copy = 0): Arrival[] {
    return messages.map(({ origin, seq, timestampMs, data, signature }, i) => {
      const from = (i + copy) % NEIGHBOURS
      const message: PublishMessage = {
        type: 'publish', topic: TOPIC, origin: origin.peerId, originKey: origin.publicKey, seq, timestampMs, ttl: DEFAULT_TTL - 1,
        path: [origin.peerId, this.neighbours[from].peerId], data, signature,
      }
      return { frame: encodeFrame([message]), from }
    })
  }
}

function feed(hub: Hub, arrivals: readonly Arrival[]): void {
  const sessions = hub.sessions
  for (let i = 0; i < arrivals.length; i++) sessions[arrivals[i].from].receiveFrame(arrivals[i].frame)
}

interface Snapshot {
  readonly relay: RelayStats
  readonly messagesIn: number
  readonly messagesOut: number
  readonly sessionDrops: number
  readonly penalties: number
}

function snapshot(hub: Hub): Snapshot {
  const { counters } = hub
  return {
    relay: hub.relay.stats(),
    messagesIn: counters.messagesIn,
    messagesOut: counters.messagesOut,
    sessionDrops: Object.values(counters.dropped).reduce((a, b) => a + b, 0),
    penalties: Object.values(counters.penalties).reduce((a, b) => a + b, 0),
  }
}

/**
 * Throws unless the relay and the sessions did exactly what `mode` should between two
 * snapshots, so a broken setup (rate limited, dropped, nothing forwarded) cannot pass for fast.
 */
function expectDecisions(name: string, mode: Mode, hub: Hub, before: Snapshot, arrivals: number): void {
  const after = snapshot(hub)
  const drops = Object.fromEntries(
    RELAY_DROP_REASONS.map((reason) => [reason, after.relay.dropped[reason] - before.relay.dropped[reason]] as const).filter(([, n]) => n !== 0),
  )
  const isFresh = mode !== 'duplicates'
  const expected = {
    received: arrivals,
    delivered: isFresh ? arrivals : 0,
    sent: isFresh ? arrivals * DEFAULT_FANOUT : 0,
    sendFailures: 0,
    messagesIn: arrivals,
    // Plus the ihave offers (lazy-push repair), one per neighbour per gossip interval. On
    // congested links they leave the queues in a later iteration than the one that sent them,
    // so there only the publishes are counted exactly (the ihaves are whatever else went out).
    messagesOut: (isFresh ? arrivals * DEFAULT_FANOUT : 0) + after.relay.ihaveSent - before.relay.ihaveSent,
    sessionDrops: 0,
    penalties: 0,
    bans: 0,
    pendingVerifications: 0,
    duplicates: isFresh ? 0 : arrivals,
  }
  const actual = {
    received: after.relay.received - before.relay.received,
    delivered: after.relay.delivered - before.relay.delivered,
    sent: after.relay.sent - before.relay.sent,
    sendFailures: after.relay.sendFailures - before.relay.sendFailures,
    messagesIn: after.messagesIn - before.messagesIn,
    messagesOut: after.messagesOut - before.messagesOut,
    sessionDrops: after.sessionDrops - before.sessionDrops,
    penalties: after.penalties - before.penalties,
    bans: hub.bans,
    pendingVerifications: after.relay.pendingVerifications,
    duplicates: drops.duplicate ?? 0,
  }
  if (mode === 'congested') {
    // The ihaves leave the queues in a later iteration than the one that counted them as
    // sent: what went out is the publishes plus at most every ihave sent so far.
    const ihaves = actual.messagesOut - arrivals * DEFAULT_FANOUT
    if (ihaves >= 0 && ihaves <= after.relay.ihaveSent) expected.messagesOut = actual.messagesOut
  }
  const wrong = Object.keys(expected).filter((key) => expected[key as keyof typeof expected] !== actual[key as keyof typeof actual])
  const unexpectedDrops = Object.keys(drops).filter((reason) => isFresh || reason !== 'duplicate')
  if (wrong.length > 0 || unexpectedDrops.length > 0) {
    throw new Error(`${name}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}, relay drops ${JSON.stringify(drops)}`)
  }
}

/**
 * Decodes what the sinks were given during one fresh iteration: every forwarded publish must
 * be there, one hop older, with this node appended to its path. Run once per hub, untimed.
 */
function expectForwardedFrames(name: string, hub: Hub): void {
  let forwarded = 0
  for (const sink of hub.sinks) {
    for (const frame of sink.captured ?? []) {
      for (const message of decodeFrame(frame) as DecodedMessage[]) {
        if (message.type !== 'publish') continue
        const last = message.path[message.path.length - 1]
        if (message.ttl !== DEFAULT_TTL - 2 || Buffer.compare(last, hub.identity.peerId) !== 0) {
          throw new Error(`${name}: a forwarded publish has ttl ${message.ttl} and does not end its path at the relay`)
        }
        forwarded++
      }
    }
    sink.captured = undefined
  }
  if (forwarded !== MESSAGES * DEFAULT_FANOUT) throw new Error(`${name}: the links carried ${forwarded} publishes, expected ${MESSAGES * DEFAULT_FANOUT}`)
}

/** On congested links every forward waits in a PriorityQueue; on open ones none does. */
function expectQueued(name: string, mode: Mode, hub: Hub): void {
  const queued = hub.sessions.reduce((sum, session) => sum + session.queueDepth, 0)
  const expected = mode === 'congested' ? MESSAGES * DEFAULT_FANOUT : 0
  if (queued !== expected) throw new Error(`${name}: ${queued} messages in the sessions' queues before the links drained, expected ${expected}`)
}

type RelayTask = AsyncTaskSpec & { readonly beforeEach: () => void | Promise<void>; readonly afterEach: () => void }

/**
 * A fresh-message task: MESSAGES new messages fed at once, then awaited until every one is
 * delivered. The next batch is signed and framed before each iteration, untimed.
 */
async function freshTask(name: string, mode: 'fresh' | 'congested', core: Core, neighbours: readonly Identity[], hubs: Hub[]): Promise<RelayTask> {
  const hub = new Hub(core, neighbours, hubs.length + 1, mode === 'congested')
  hubs.push(hub)
  const publishers = new Publishers(neighbours, () => hub.clock.now())
  let arrivals = publishers.arrivals(await publishers.batch())
  let before = snapshot(hub)
  const iteration = async (isChecked = false) => {
    const target = hub.delivered + MESSAGES
    feed(hub, arrivals)
    await hub.deliveredAtLeast(target)
    if (isChecked) expectQueued(name, mode, hub)
    hub.flush()
  }
  // One checked run before timing, with the links' frames decoded.
  for (const sink of hub.sinks) sink.captured = []
  await iteration(true)
  expectDecisions(name, mode, hub, before, MESSAGES)
  expectForwardedFrames(name, hub)
  return {
    name,
    items: MESSAGES,
    isAsync: true,
    fn: () => iteration(),
    beforeEach: async () => {
      arrivals = publishers.arrivals(await publishers.batch())
      // A second of virtual time refills each neighbour's 100 tokens (about 9 arrivals each per iteration).
      hub.clock.advance(1_000)
      before = snapshot(hub)
    },
    afterEach: () => expectDecisions(name, mode, hub, before, MESSAGES),
  }
}

/** The duplicates task: the hub has relayed every message once; each copy stops at dedup. */
async function duplicatesTask(name: string, core: Core, neighbours: readonly Identity[], hubs: Hub[]): Promise<RelayTask> {
  const hub = new Hub(core, neighbours, hubs.length + 1, false, SEEDED_DEDUP_TTL_MS)
  hubs.push(hub)
  const publishers = new Publishers(neighbours, () => hub.clock.now())
  const messages = await publishers.batch()
  const copies = Array.from({ length: COPIES }, (_, k) => publishers.arrivals(messages, k + 1)).flat()
  let before = snapshot(hub)
  feed(hub, publishers.arrivals(messages))
  await hub.deliveredAtLeast(MESSAGES)
  hub.flush()
  expectDecisions(`${name} (seeding)`, 'fresh', hub, before, MESSAGES)
  return {
    name,
    items: copies.length,
    isAsync: false,
    fn: () => feed(hub, copies),
    beforeEach: () => {
      // A second of virtual time refills each neighbour's 100 tokens (51 copies each per iteration).
      hub.clock.advance(1_000)
      before = snapshot(hub)
    },
    afterEach: () => expectDecisions(name, 'duplicates', hub, before, copies.length),
  }
}

/** The crypto alone: MESSAGES production verifySignature calls in flight, awaited together. */
async function verifyOnlyTask(neighbours: readonly Identity[]): Promise<RelayTask> {
  const messages = await new Publishers(neighbours).batch()
  const checks = messages.map((m) => ({ key: m.origin.publicKey, bytes: signedBytes(TOPIC, m.origin.peerId, m.seq, m.timestampMs, m.data), signature: m.signature }))
  let valid = 0
  return {
    name: 'verifySignature alone (context)',
    items: MESSAGES,
    isAsync: true,
    fn: async () => {
      const verdicts = await Promise.all(checks.map((c) => verifySignature(c.key, c.bytes, c.signature)))
      valid = verdicts.filter(Boolean).length
    },
    beforeEach: () => {
      valid = 0
    },
    afterEach: () => {
      if (valid !== MESSAGES) throw new Error(`verifySignature alone: ${valid} of ${MESSAGES} signatures verified`)
    },
  }
}

export async function runRelay(ctx: Context): Promise<Section> {
  const random = new SeededRandom(0x5e1a)
  const neighbours = Array.from({ length: NEIGHBOURS }, () => Identity.generate(random))
  const verifier = (await webCryptoEd25519()) === null ? 'noble (no Ed25519 in WebCrypto here)' : 'WebCrypto'
  const hubs: Hub[] = []
  let results: TaskResult[]
  try {
    const tasks = [
      await freshTask('wasm fresh', 'fresh', ctx.wasm, neighbours, hubs),
      await freshTask('twin fresh', 'fresh', ctx.twin, neighbours, hubs),
      await duplicatesTask('wasm duplicates', ctx.wasm, neighbours, hubs),
      await duplicatesTask('twin duplicates', ctx.twin, neighbours, hubs),
      await freshTask('wasm fresh, congested links', 'congested', ctx.wasm, neighbours, hubs),
      await freshTask('twin fresh, congested links', 'congested', ctx.twin, neighbours, hubs),
      await verifyOnlyTask(neighbours),
    ]
    results = await runAsyncTasks('relay', tasks, ctx.settings, 'decisions/s')
  } finally {
    for (const hub of hubs) hub.stop()
  }
  const rate = (name: string) => results.find((r) => r.name === name)!.itemsPerSec
  const perDelivery = (backend: string) => 1 / (1 / rate(`${backend} fresh`) + COPIES / rate(`${backend} duplicates`))
  return {
    id: 'relay',
    title: `Relay: decisions per second on one node, ${NEIGHBOURS} subscribed neighbours, fanout ${DEFAULT_FANOUT}`,
    notes: [
      'The production path from bytes to bytes: each arrival is one frame handed to a real ManagedSession (decodeFrame, the per-peer ' +
        'RateLimiter at its default 100 messages/s, delivery to the Relay), the Relay\'s checks (dedup before the signature, then ' +
        `Ed25519 verify with production's default verifier, here ${verifier}), fanout to ${DEFAULT_FANOUT} of the 29 eligible neighbours ` +
        '(the other 23 get the id queued for the next ihave: gossip repair, production default) and ManagedSession.send (encode, then the FrameCoalescer or, on a blocked link, the PriorityQueue); the coalescers\' 2 ms flush ' +
        'timers fire inside the timed iteration, so frame assembly is counted. Sessions are built as ConnectionManager#admit builds them, ' +
        'on sink links that count frames; time is a ManualClock.',
      `fresh: ${MESSAGES} new messages from ${ORIGINS} origins (${DATA_BYTES}-byte payloads, sequence numbers only growing), each arriving ` +
        'once, fed at once and awaited until all are delivered: WebCrypto verifies on libuv\'s thread pool, so this is not one core\'s ' +
        'work alone. Each batch is signed and framed before its iteration, untimed; virtual time moves 1 s between iterations.',
      `duplicates: ${MESSAGES} messages, relayed once before timing, arriving ${COPIES} more times each from other neighbours ` +
        `(${MESSAGES * COPIES} arrivals per iteration): decode, rate limit, the relay's checks and keyed dedup hash, dedup hit, drop. ` +
        'Synchronous. This hub\'s dedup TTL is raised so the seeded ids outlive the run.',
      'fresh, congested links: as fresh, but every link reports its buffer above the high-water mark, so each forward waits in the ' +
        'session\'s PriorityQueue until the iteration ends with the links draining (queue push and pop both timed).',
      'Checked every iteration from relay.stats() and the sessions\' counters: all arrivals received, none rate limited or penalized; ' +
        `fresh: all delivered and ${DEFAULT_FANOUT} sends each, besides the ihaves; duplicates: all dropped as duplicates, none delivered or sent. ` +
        'Before timing, the frames given to the links are decoded: every forward is there, one hop older, with the relay on its path.',
      'decisions/s = arrivals handled per second (median iteration). "verifySignature alone" is the crypto ceiling for fresh messages.',
      `Per delivered message with its ${COPIES} duplicate copies (1 fresh + ${COPIES} duplicate decisions, from the medians): ` +
        `wasm ${formatRate(perDelivery('wasm'))} deliveries/s, twin ${formatRate(perDelivery('twin'))} deliveries/s.`,
    ],
    tables: [resultTable('Relay decisions', 'decisions/s', results)],
    ratios: [
      ratioOf(results, 'wasm fresh', 'twin fresh', { label: 'relay: wasm vs twin, fresh', measures: WASM_VS_TWIN }),
      ratioOf(results, 'wasm duplicates', 'twin duplicates', { label: 'relay: wasm vs twin, duplicates', measures: WASM_VS_TWIN }),
      ratioOf(results, 'wasm fresh, congested links', 'twin fresh, congested links', { label: 'relay: wasm vs twin, fresh on congested links', measures: WASM_VS_TWIN }),
      ratioOf(results, 'wasm fresh', 'verifySignature alone (context)', {
        label: 'relay: wasm fresh vs verifySignature alone', measures: 'the whole decision vs its Ed25519 verify alone: the share of a decision\'s time that is the verify',
      }),
    ],
  }
}
