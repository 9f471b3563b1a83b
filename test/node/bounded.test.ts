// "No unbounded growth": a small mesh runs for hours of virtual time under steady traffic of
// every kind (publishes on several topics from many origins, direct sends between random
// nodes and to ids nobody has, DHT puts and gets of records that expire, nodes leaving and
// new ones joining), while the entry count of every long-lived map, set, array and core
// structure of every node is sampled (src/node/sizes.ts). Once warmed up, no count may keep
// climbing: each stays within a margin of its first-hour value and under a stated bound.

import { describe, expect, it } from 'vitest'
import { DhtError } from '../../src/dht/index.js'
import type { MeshNode } from '../../src/node.js'
import { nodeSizes, type StructureSizes } from '../../src/node/sizes.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { sample, seededRandom } from '../../src/util/random.js'
import { createMesh, type Mesh } from './harness.js'

useDeterministicEd25519()

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const HOURS = 3
const STEP_MS = 12_000
const INITIAL_NODES = 10
/** Nodes 0..STABLE-1 never leave, so some nodes carry the whole run's history. */
const STABLE = 5
const CHURN_EVERY_MS = 10 * MINUTE
const TOPICS = ['alpha', 'beta', 'gamma', 'delta']
const RECORD_TTL_MS = 2 * MINUTE
/** Lifetime of the record each node keeps republished: departed nodes' copies must expire within the run. */
const PROFILE_TTL_MS = 30 * MINUTE
const SAMPLE_EVERY_MS = 5 * MINUTE
const bytes = (text: string) => new TextEncoder().encode(text)
const ignore = () => undefined

// Signature checks answer true, asynchronously: the checks are not what this test is about,
// noble's verify would make hours of virtual time take minutes of wall time, and an
// asynchronous answer still sends every message through the relay's and the router's
// pending-verification tables. Signing stays real.
const verify = (): Promise<boolean> => Promise.resolve(true)

/**
 * The most entries each structure may ever hold in this scenario, whatever the time: either
 * the structure's configured cap or what ten-odd nodes with this traffic can fill.
 * A key missing here fails the test, so a new structure has to state its bound.
 */
const BOUNDS: Readonly<Record<string, number>> = {
  'node.timings': 6, //               one per DHT operation kind
  'node.disposers': 4, //             peer:connect and peer:disconnect forwarding, the relay's retention advisor, its announcements
  'node.subscriberWaits': 0, //       waitForSubscribers() is not called here (each wait ends by its timeoutMs at the latest)
  'peers.sessions': 100, //           maxPeers
  'peers.bans': 10_000, //            MAX_BANS
  'peers.handlers': 14, //            the layers' listeners and the upkeep's two
  'peers.pendingConnects': 50, //     each ends within its retries
  'peers.handshakes': 100, //         maxPeers
  'peers.pendingInbound': 32, //      maxPendingHandshakes: inbound connections before their hello
  'peers.dialing': 50, //             each ends within its retries
  'peers.dialled': 100, //            one per open session's dialled address
  'peers.sessionWaiters': 50, //      each ends within handshakeTimeoutMs
  'peers.freeHandles': 100, //        handles of closed sessions, reused
  'peers.handshakeFailureCodes': 30, // one per error code
  'peers.addressBook': 512, //        MAX_ADDRESS_BOOK_ENTRIES
  'peers.retentionAdvisors': 1, //    the relay's
  'upkeep.bootstrapRetry': 64, //     one per bootstrap address (MAX_BOOTSTRAP_ADDRESSES)
  'upkeep.dialingKeys': 8, //         MAX_DIALS_PER_ROUND
  'upkeep.upkeepTimers': 1, //        one scheduled round at most
  'relay.handlers': TOPICS.length, // topics subscribed
  'relay.validators': 1, //           one topic validated
  'relay.pending': 1_024, //          maxPendingVerifications
  'relay.pendingCopies': 1_024, //    copies waiting on a pending check
  'relay.peersWithTopics': 100, //    maxPeers
  'relay.topicsWithPeers': TOPICS.length,
  'relay.dedup': 65_536, //           dedupCapacity
  'relay.messageCache': 1_000, //     maxCachedMessages (and messageCacheMs)
  'relay.pendingWants': 4_096, //     maxPendingWants
  'relay.gossipQueues': 100, //       one per neighbour with ids to offer: maxPeers
  'relay.replayOrigins': 10_000, //   maxReplayOrigins
  'router.handlers': 1, //            one onDirect handler
  'router.pendingSends': 1_024, //    maxPendingSends
  'router.verifying': 1_024, //       maxPendingVerifications
  'router.breadcrumbs': 8_192, //     MAX_BREADCRUMBS
  'router.dedup': 65_536, //          dedupCapacity
  'router.deliveredSends': 16_384, // maxDeliveredSends
  'dht.published': 100, //            one republished key a node, plus puts younger than their TTL
  'dht.records': 400, //              records younger than their TTL
  'dht.storers': 100, //              peers with records stored here
  'dht.timers': 3, //                 refresh, republish, sweep
  'dht.hopHistogram': 20, //          longest lookup + 1
  'dht.storesRefusedReasons': 8, //   StoreRejectReason names
  'dht.contacts': 100, //             at most the nodes ever met (k per bucket)
  'dht.contactHandles': 100, //       mirrors contacts
  'dht.contactFreeHandles': 100, //   handles of removed contacts, reused
  'dht.probing': 256, //              one per bucket
  'dht.rpcPending': 500, //           each ends within requestTimeoutMs
  'dht.rpcConnecting': 50, //         each ends within requestTimeoutMs
  'network.transports': INITIAL_NODES,
  'network.connections': 2 * INITIAL_NODES * (INITIAL_NODES - 1),
  'network.messagesInFlight': 1_000,
  'clock.timers': 5_000,
}

/**
 * Structures whose steady-state value moves a lot with the instant of the sample (requests
 * and sends in flight): their later samples are checked against the bound only, not against
 * the first hour.
 */
const IN_FLIGHT = new Set([
  'peers.pendingConnects', 'peers.handshakes', 'upkeep.dialingKeys', 'upkeep.upkeepTimers', 'peers.dialing', 'peers.sessionWaiters', 'relay.pending', 'relay.pendingCopies',
  'relay.pendingWants', 'relay.gossipQueues',
  'router.pendingSends', 'router.verifying', 'dht.rpcPending', 'dht.rpcConnecting', 'dht.probing', 'network.messagesInFlight', 'clock.timers',
])

/**
 * Capped by count but deliberately not expiring: the replay table keeps refusing an origin's
 * old messages for as long as it can remember the origin, so it fills up with the origins met
 * (18 over this run's churn) towards maxReplayOrigins, and is checked against that bound only.
 * The address book likewise keeps the former peers it met, up to MAX_ADDRESS_BOOK_ENTRIES.
 */
const CAPPED_BY_COUNT = new Set(['relay.replayOrigins', 'peers.addressBook'])

/** A later sample may exceed the first hour's by this factor plus this many entries. */
const GROWTH_FACTOR = 1.25
const GROWTH_SLACK = 5


interface Scenario {
  readonly mesh: Mesh
  live: MeshNode[]
  /** Ids of stopped nodes: sends to them must fail, and their state must leave the others. */
  readonly gone: Uint8Array[]
}

async function createNode(scenario: Scenario, bootstrap: readonly MeshNode[]): Promise<MeshNode> {
  const node = await scenario.mesh.node({
    bootstrap: bootstrap.flatMap((peer) => peer.addresses),
    verify,
    dht: { republishMs: 10 * MINUTE, refreshMs: 5 * MINUTE, sweepMs: 30_000 },
  })
  for (const topic of TOPICS) node.subscribe(topic, ignore)
  node.setValidator(TOPICS[0]!, () => 'accept')
  node.onDirect(ignore)
  return node
}

/** Per structure, the largest count over the live nodes, plus the network's and the clock's counts. */
function sampleSizes(scenario: Scenario): StructureSizes {
  const out: StructureSizes = {}
  for (const node of scenario.live) {
    for (const [name, size] of Object.entries(nodeSizes(node))) out[name] = Math.max(out[name] ?? 0, size)
  }
  const net = scenario.mesh.net.stats()
  out['network.transports'] = net.transports
  out['network.connections'] = net.connections
  out['network.messagesInFlight'] = net.messagesInFlight
  out['clock.timers'] = scenario.mesh.clock.pending
  return out
}

/** One step of traffic: a publish, a send, and now and then DHT work. */
function traffic(scenario: Scenario, step: number, random: ReturnType<typeof seededRandom>): void {
  const { live, gone } = scenario
  const pick = () => live[random.nextInt(live.length)]!
  const origin = pick()
  origin.publish(TOPICS[random.nextInt(TOPICS.length)]!, bytes(`m${step}`)).catch(ignore)

  const from = pick()
  let target: Uint8Array
  const draw = random.nextFloat()
  if (draw < 0.1) {
    target = new Uint8Array(32)
    random.fill(target) // nobody has this id
  } else if (draw < 0.2 && gone.length > 0) {
    target = gone[random.nextInt(gone.length)]!
  } else {
    const to = pick()
    target = to === from ? live[(live.indexOf(from) + 1) % live.length]!.id : to.id
  }
  from.send(target, bytes(`d${step}`)).catch(ignore)

  if (step % 6 === 0) {
    // A fresh key each time, not republished: both its copy here and its copies on the
    // storing nodes must go once RECORD_TTL_MS has passed.
    const owner = pick()
    owner.dht.put(`k${step}`, bytes(`v${step}`), { ttlMs: RECORD_TTL_MS, republish: false }).catch(ignore)
    owner.dht.putImmutable(bytes(`blob ${step}`), { ttlMs: RECORD_TTL_MS, republish: false }).catch(ignore)
    const reader = pick()
    reader.dht.get(`k${step - 6}`, { owner: pick().publicKey }).catch(ignore)
  }
  if (step % 30 === 0) {
    // The key each node keeps (republished), updated: still one entry, a rising seq.
    const owner = pick()
    owner.dht.put('profile', bytes(`p${step}`), { ttlMs: PROFILE_TTL_MS }).catch(ignore)
  }
}

/** The largest count of each structure over each virtual hour (samples every SAMPLE_EVERY_MS), and the live nodes at the end. */
async function runScenario(): Promise<{ hours: StructureSizes[]; scenario: Scenario }> {
  const random = seededRandom(2026)
  const mesh = createMesh({ seed: 31 })
  const scenario: Scenario = { mesh, live: [], gone: [] }
  for (let i = 0; i < INITIAL_NODES; i++) scenario.live.push(await createNode(scenario, sample(scenario.live, 2, random)))
  for (const node of scenario.live) await mesh.settle(node.start())
  // Every node keeps one republished record from the start, so the first hour is steady already.
  for (const node of scenario.live) await mesh.settle(node.dht.put('profile', bytes('p'), { ttlMs: PROFILE_TTL_MS }))

  const hours: StructureSizes[] = []
  const startAt = mesh.clock.now()
  let step = 0
  let nextChurnAt = startAt + CHURN_EVERY_MS
  let nextSampleAt = startAt + SAMPLE_EVERY_MS
  while (mesh.clock.now() < startAt + HOURS * HOUR) {
    traffic(scenario, step++, random)
    await mesh.runFor(STEP_MS)
    if (mesh.clock.now() >= nextChurnAt) {
      // One node leaves, one new node joins through two live ones.
      nextChurnAt += CHURN_EVERY_MS
      const index = STABLE + random.nextInt(scenario.live.length - STABLE)
      const leaving = scenario.live[index]!
      scenario.live.splice(index, 1)
      scenario.gone.push(leaving.id)
      await mesh.settle(leaving.stop())
      const joining = await createNode(scenario, sample(scenario.live, 2, random))
      await mesh.settle(joining.start())
      await mesh.settle(joining.dht.put('profile', bytes('p'), { ttlMs: PROFILE_TTL_MS }))
      scenario.live.push(joining)
    }
    if (mesh.clock.now() >= nextSampleAt) {
      const hour = Math.min(HOURS - 1, Math.floor((nextSampleAt - startAt - 1) / HOUR))
      nextSampleAt += SAMPLE_EVERY_MS
      const sizes = sampleSizes(scenario)
      const window = (hours[hour] ??= {})
      for (const [key, size] of Object.entries(sizes)) window[key] = Math.max(window[key] ?? 0, size)
    }
  }
  if (process.env.WASMESH_PRINT_SIZES !== undefined) {
    console.table(Object.fromEntries(Object.keys(hours[0]!).map((key) => [key, hours.map((window) => window[key])])))
  }
  await mesh.stopAll()
  return { hours, scenario }
}

/** Keys whose hourly maximum after hour 1 exceeds hour 1's by more than the margin. */
function grown(hours: readonly StructureSizes[], keys: readonly string[]): string[] {
  const [first, ...later] = hours
  const out: string[] = []
  for (const key of keys) {
    const ceiling = first![key]! * GROWTH_FACTOR + GROWTH_SLACK
    later.forEach((window, i) => {
      if (window[key]! > ceiling) out.push(`${key}: ${first![key]} in hour 1, ${window[key]} in hour ${i + 2}`)
    })
  }
  return out
}

describe('MeshNode: no unbounded growth', () => {
  // One run of the scenario (about 10 s of wall time) serves every assertion below.
  let run: Promise<Awaited<ReturnType<typeof runScenario>>> | undefined
  const scenarioRun = () => (run ??= runScenario())

  it(`${INITIAL_NODES} nodes, ${HOURS} virtual hours of traffic and churn: every map, set and core structure stays under its bound and flat after the first hour`, async () => {
    const { hours, scenario } = await scenarioRun()
    expect(hours).toHaveLength(HOURS)
    // Traffic of every kind really flowed, through nodes that stayed the whole run.
    for (const node of scenario.live.slice(0, STABLE)) {
      const stats = node.stats()
      expect(stats.messages.delivered).toBeGreaterThan(0)
      expect(stats.layers.routing.delivered).toBeGreaterThan(0)
      expect(stats.layers.routing.unreachable).toBeGreaterThan(0)
      expect(stats.layers.dht.storesAccepted).toBeGreaterThan(0)
    }
    expect(scenario.gone.length).toBe(HOURS * HOUR / CHURN_EVERY_MS)

    const keys = Object.keys(hours[0]!)
    for (const key of keys) {
      expect(BOUNDS[key], `no stated bound for ${key}`).toBeDefined()
      for (const window of hours) expect(window[key], `${key} over its bound`).toBeLessThanOrEqual(BOUNDS[key]!)
    }
    expect(grown(hours, keys.filter((key) => !IN_FLIGHT.has(key) && !CAPPED_BY_COUNT.has(key)))).toEqual([])
  }, 240_000)

  it('the records a node put itself are kept within maxPublishedBytes: past it put rejects DHT_QUOTA_EXCEEDED, and expired ones free their place', async () => {
    const mesh = createMesh({ seed: 5 })
    const maxPublishedBytes = 2_048
    const a = await mesh.node({ verify, dht: { maxPublishedBytes, sweepMs: 1_000 } })
    await mesh.settle(a.start())
    const b = await mesh.node({ verify, bootstrap: a.addresses })
    await mesh.settle(b.start())
    const value = new Uint8Array(100) // a mutable record of it costs 32 + 100 + 168 = 300 bytes
    const fit = Math.floor(maxPublishedBytes / 300)
    for (let i = 0; i < fit; i++) await mesh.settle(a.dht.put(`q${i}`, value, { ttlMs: 60_000, republish: i > 0 }))
    const refusal = await mesh.settle(a.dht.put('one-too-many', value)).catch((error: unknown) => error)
    expect(refusal).toBeInstanceOf(DhtError)
    expect((refusal as DhtError).code).toBe('DHT_QUOTA_EXCEEDED')
    expect(nodeSizes(a)['dht.published']).toBe(fit)
    // A new version of a key held takes the old one's place.
    await mesh.settle(a.dht.put('q1', value))
    // q0 was not republished: once it expires, its place is free again.
    await mesh.runFor(61_000)
    expect(nodeSizes(a)['dht.published']).toBe(fit - 1)
    await mesh.settle(a.dht.put('one-more', value))
    await mesh.stopAll()
  })
})
