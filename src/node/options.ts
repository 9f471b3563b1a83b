// createMeshNode()'s options: where the node connects (a MemoryNetwork or any Transport), who
// it is, whom it joins through, and the option subsets of each layer. Checked once, here;
// the layers check their own subsets and their errors come back as NODE_INVALID_OPTION.

import type { Core } from '../core/contracts.js'
import { checkKnownPeersStore, type KnownPeersStore } from '../discovery/known-peers.js'
import type { PeerDiscovery } from '../discovery/peer-discovery.js'
import { BootstrapServerDiscovery } from '../discovery/bootstrap-server-discovery.js'
import { isBootstrapServerUrl } from '../discovery/peer-directory.js'
import type { DhtOptions } from '../dht/options.js'
import type { ConnectionManagerOptions } from '../peers/options.js'
import { Identity, type ExportedIdentity } from '../peers/identity.js'
import type { RelayOptions, SignatureVerifier } from '../relay/options.js'
import type { RouterOptions } from '../routing/options.js'
import { MemoryNetwork } from '../transport/memory/network.js'
import type { Transport } from '../transport/transport.js'
import { systemClock, type Clock } from '../util/clock.js'
import { cryptoRandom, SeededRandom, type RandomSource } from '../util/random.js'
import { describeValue } from '../util/validate.js'
import { WasmeshError } from '../util/wasmesh-error.js'
import { MeshNodeError } from './errors.js'
import { MeshSignaling } from './mesh-signaling.js'
import { toHex as hex } from '../util/hex.js'

/** Connection manager options the node passes through (identity, transport, clock, random, core and verify are the node's). */
export type MeshPeersOptions = Omit<ConnectionManagerOptions, 'identity' | 'transport' | 'clock' | 'random' | 'core' | 'maxPeers' | 'capabilities' | 'verify'>
export type MeshRelayOptions = Omit<RelayOptions, 'network' | 'core' | 'verify'>
/** Router options the node passes through (network, core, verify and closestPeers are the node's). */
export type MeshRoutingOptions = Omit<RouterOptions, 'network' | 'core' | 'verify' | 'closestPeers'>
export type MeshDhtOptions = Omit<DhtOptions, 'network' | 'core' | 'verify'>

export interface MeshNodeOptions {
  /** An in-memory network to join: the node listens at 'memory://<its peer id in hex>' (or `address`). */
  network?: MemoryNetwork
  /** The name on `network` to listen at, instead of the peer id in hex. */
  address?: string
  /** Any other transport (give `network` or `transport`, not both). */
  transport?: Transport
  /** The node's key pair, or its exported form. DEFAULT a new one from `random`, or from `seed`. */
  identity?: Identity | ExportedIdentity
  /**
   * Addresses dialled at start(); the DHT then joins through whoever answered. An
   * 'http(s)://host:port' entry is a bootstrap server instead (BootstrapServer): the node
   * registers there, asks its GET /peers and dials whom it lists, as a
   * `new BootstrapServerDiscovery({ servers })` in `discovery` would (give one yourself for
   * its options, or for a server's ws:// URL: a ws:// entry here is a node's WebSocket
   * address). DEFAULT none (the first node).
   */
  bootstrap?: readonly string[]
  /**
   * Where the node keeps the peers it knew across restarts (FileKnownPeers in Node,
   * WebStorageKnownPeers in a browser, or any KnownPeersStore). start() dials the stored peers
   * first and the bootstrap addresses only when none of them answers; the node saves its
   * peers every minute while they change, and when it stops. DEFAULT none.
   */
  knownPeers?: KnownPeersStore
  /**
   * Ways to find peers besides the bootstrap list: `new LanDiscovery()` (Node: UDP multicast on
   * the local network), or any PeerDiscovery, at most 8. Started once the transport listens,
   * stopped with the node; the peers they find are dialled while the node is below its target
   * of peers. DEFAULT none.
   */
  discovery?: readonly PeerDiscovery[]
  /**
   * The MeshSignaling of this node's WebRtcTransport: once the node has peers, its WebRTC
   * signals (and those of others to it) travel through the mesh, so new WebRTC connections
   * need no server. Made with this node's `identity`. DEFAULT none.
   */
  meshSignaling?: MeshSignaling
  /** DEFAULT systemClock; a ManualClock for tests and the simulator. */
  clock?: Clock
  /** DEFAULT cryptoRandom(), or a seeded source when `seed` is given. */
  random?: RandomSource
  /**
   * FOR TESTS AND THE SIMULATOR: derives both the random source and the identity from this
   * seed, so a run is reproducible. Never in production: whoever knows the seed has the key.
   */
  seed?: number | Uint8Array
  /** Most open sessions, 1 to 10,000. DEFAULT 100. */
  maxPeers?: number
  /** Offered in the handshake: at most 16 names of 1-32 printable ASCII characters. DEFAULT none. */
  capabilities?: string[]
  /**
   * Every signature check the node makes: handshakes, relayed messages, direct messages and
   * their acks, DHT records. DEFAULT WebCrypto Ed25519, else noble. The simulator passes its
   * stand-in's, with the signer of `identity` (IdentityOptions) to match.
   */
  verify?: SignatureVerifier
  /** The core structures' factory. DEFAULT await loadCore() (WebAssembly, else the TypeScript twins). */
  core?: Core
  /** The connection manager's options (ConnectionManagerOptions, each with its default and range): targetPeers, watermarks, retries, rate limit, timeouts. DEFAULT all defaults. */
  peers?: MeshPeersOptions
  /** The relay's options (RelayOptions): fanout, TTL, dedup, message cache, subscriptions. DEFAULT all defaults. */
  relay?: MeshRelayOptions
  /** The router's options (RouterOptions) for `send()`: ack timeout, retries, TTLs, the per-origin limit. DEFAULT all defaults. */
  routing?: MeshRoutingOptions
  /** The DHT's options (DhtOptions): k, alpha, timeouts, record TTL, quotas, republish. DEFAULT all defaults. */
  dht?: MeshDhtOptions
}

export interface ResolvedMeshNodeOptions {
  readonly transport: Transport
  readonly identity: Identity
  readonly bootstrap: readonly string[]
  readonly knownPeers: KnownPeersStore | undefined
  readonly discovery: readonly PeerDiscovery[]
  readonly meshSignaling: MeshSignaling | undefined
  readonly clock: Clock
  readonly random: RandomSource
  readonly core: Core | undefined
  readonly verify: SignatureVerifier | undefined
  readonly maxPeers: number | undefined
  readonly capabilities: string[] | undefined
  readonly peers: MeshPeersOptions
  readonly relay: MeshRelayOptions
  readonly routing: MeshRoutingOptions
  readonly dht: MeshDhtOptions
}

/** Bootstrap addresses taken at once: a longer list is a configuration mistake, not a join plan. */
export const MAX_BOOTSTRAP_ADDRESSES = 64
/** Bootstrap server URLs among them (BootstrapServerDiscovery's limit). */
const MAX_BOOTSTRAP_SERVERS = 8

const invalid = (message: string, cause?: unknown) => new MeshNodeError('NODE_INVALID_OPTION', message, cause === undefined ? undefined : { cause })

const OPTION_NAMES: ReadonlySet<string> = new Set<keyof MeshNodeOptions>([
  'network', 'address', 'transport', 'identity', 'bootstrap', 'knownPeers', 'discovery', 'meshSignaling', 'clock', 'random', 'seed', 'maxPeers', 'capabilities', 'verify', 'core', 'peers', 'relay', 'routing', 'dht',
])

export function resolveMeshNodeOptions(options: MeshNodeOptions): ResolvedMeshNodeOptions {
  if (typeof options !== 'object' || options === null) throw invalid(`createMeshNode options must be an object, got ${describeValue(options)}`)
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) throw invalid(`unknown option ${JSON.stringify(name)}; expected one of ${[...OPTION_NAMES].join(', ')}`)
  }
  const clock = options.clock ?? systemClock
  if (typeof clock?.now !== 'function' || typeof clock.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') {
    throw invalid('clock must be a Clock (now, setTimeout, clearTimeout)')
  }
  const seed = options.seed
  if (seed !== undefined && !(seed instanceof Uint8Array) && !(typeof seed === 'number' && Number.isSafeInteger(seed))) {
    throw invalid(`seed must be a safe integer or a Uint8Array, got ${describeValue(seed)}`)
  }
  // One seeded stream, forked: the identity and the node's random source are independent of each other.
  const seeded = seed === undefined ? undefined : new SeededRandom(seed)
  const identitySource = seeded?.fork()
  const random = options.random ?? seeded?.fork() ?? cryptoRandom()
  if (typeof random?.nextU32 !== 'function' || typeof random.nextFloat !== 'function' || typeof random.nextInt !== 'function' || typeof random.fill !== 'function') {
    throw invalid('random must be a RandomSource (nextU32, nextFloat, nextInt, fill)')
  }
  const identity = resolveIdentity(options.identity, identitySource ?? random)
  const bootstrap = resolveBootstrap(options.bootstrap)
  const discovery = checkDiscovery(options.discovery)
  return {
    transport: resolveTransport(options, identity),
    identity,
    bootstrap: bootstrap.addresses,
    knownPeers: options.knownPeers === undefined ? undefined : constructLayer('knownPeers', () => checkKnownPeersStore(options.knownPeers)),
    discovery: bootstrap.servers.length === 0 ? discovery : [...discovery, constructLayer('bootstrap', () => new BootstrapServerDiscovery({ servers: bootstrap.servers, clock, random }))],
    meshSignaling: checkMeshSignaling(options.meshSignaling, identity),
    clock,
    random,
    core: checkCore(options.core),
    verify: checkFunction('verify', options.verify),
    maxPeers: options.maxPeers,
    capabilities: options.capabilities,
    peers: checkSection('peers', options.peers),
    relay: checkSection('relay', options.relay),
    routing: checkSection('routing', options.routing),
    dht: checkSection('dht', options.dht),
  }
}

function checkMeshSignaling(signaling: unknown, identity: Identity): MeshSignaling | undefined {
  if (signaling === undefined) return undefined
  if (!(signaling instanceof MeshSignaling)) throw invalid(`meshSignaling must be a MeshSignaling, got ${describeValue(signaling)}`)
  if (signaling.localId !== hex(identity.peerId)) {
    throw invalid(`meshSignaling was made for peer ${signaling.localId.slice(0, 16)}…, not for this node (${hex(identity.peerId).slice(0, 16)}…): give both the same identity`)
  }
  if (signaling.isAttached) throw invalid('meshSignaling is already the meshSignaling of another node: give each node its own')
  return signaling
}

/** Runs a layer's constructor, turning its option errors into the node's, named by section. */
export function constructLayer<T>(section: string, build: () => T): T {
  try {
    return build()
  } catch (error) {
    if (error instanceof WasmeshError && error.code.endsWith('_INVALID_OPTION')) throw invalid(`${section}: ${error.message}`, error)
    throw error
  }
}

function resolveIdentity(identity: MeshNodeOptions['identity'], random: RandomSource): Identity {
  if (identity === undefined) return Identity.generate(random)
  if (identity instanceof Identity) return identity
  try {
    return Identity.load(identity)
  } catch (error) {
    throw invalid(`identity must be an Identity or an exported identity: ${error instanceof Error ? error.message : String(error)}`, error)
  }
}

function resolveTransport(options: MeshNodeOptions, identity: Identity): Transport {
  const { network, transport, address } = options
  if (network !== undefined && transport !== undefined) throw invalid('give network or transport, not both')
  if (address !== undefined && network === undefined) throw invalid('address names the node on a MemoryNetwork; it needs the network option')
  if (network !== undefined) {
    if (!(network instanceof MemoryNetwork)) throw invalid(`network must be a MemoryNetwork, got ${describeValue(network)}`)
    if (address !== undefined && typeof address !== 'string') throw invalid(`address must be a string, got ${describeValue(address)}`)
    try {
      return network.createTransport(address ?? hex(identity.peerId))
    } catch (error) {
      throw invalid(`cannot listen on the memory network: ${error instanceof Error ? error.message : String(error)}`, error)
    }
  }
  if (transport === undefined) throw invalid('a node needs a network (MemoryNetwork) or a transport')
  if (typeof transport?.listen !== 'function' || typeof transport.dial !== 'function' || typeof transport.close !== 'function') {
    throw invalid('transport must be a Transport (listen, dial, close)')
  }
  return transport
}

/** The bootstrap list, split: peers' addresses to dial, and bootstrap servers' http(s):// URLs to ask. */
function resolveBootstrap(bootstrap: unknown): { addresses: readonly string[]; servers: readonly string[] } {
  if (bootstrap === undefined) return { addresses: [], servers: [] }
  if (!Array.isArray(bootstrap)) throw invalid(`bootstrap must be an array of addresses, got ${describeValue(bootstrap)}`)
  if (bootstrap.length > MAX_BOOTSTRAP_ADDRESSES) throw invalid(`bootstrap takes at most ${MAX_BOOTSTRAP_ADDRESSES} addresses, got ${bootstrap.length}`)
  const addresses = new Set<string>()
  const servers = new Set<string>()
  for (const address of bootstrap) {
    if (typeof address !== 'string' || address.length === 0) throw invalid(`every bootstrap address must be a non-empty string, got ${describeValue(address)}`)
    if (!/^https?:/i.test(address)) addresses.add(address)
    else if (isBootstrapServerUrl(address)) servers.add(address)
    else throw invalid(`a bootstrap server URL must be 'http(s)://host:port' with nothing after the port, got ${describeValue(address)}`)
  }
  if (servers.size > MAX_BOOTSTRAP_SERVERS) throw invalid(`bootstrap takes at most ${MAX_BOOTSTRAP_SERVERS} server URLs, got ${servers.size}`)
  return { addresses: [...addresses], servers: [...servers] }
}

function checkCore(core: Core | undefined): Core | undefined {
  if (core !== undefined && (typeof core !== 'object' || core === null || typeof core.createDedupSet !== 'function' || typeof core.createPriorityQueue !== 'function')) {
    throw invalid('core must be a Core from loadCore()')
  }
  return core
}

function checkFunction<F>(name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw invalid(`${name} must be a function, got ${describeValue(value)}`)
  return value
}

function checkSection<T extends object>(name: string, value: T | undefined): T {
  if (value === undefined) return {} as T
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${name} must be an object of ${name} options, got ${describeValue(value)}`)
  for (const reserved of ['network', 'core', 'verify', 'identity', 'transport', 'clock', 'random', 'closestPeers']) {
    if (reserved in value) throw invalid(`${name}.${reserved} is set by the node; give it at the top level${reserved === 'network' ? ' (network is the MemoryNetwork there)' : ''}`)
  }
  return value
}

export { hex }

const MAX_DISCOVERIES = 8

function checkDiscovery(value: unknown): readonly PeerDiscovery[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.length > MAX_DISCOVERIES) {
    throw new MeshNodeError('NODE_INVALID_OPTION', `discovery must be an array of at most ${MAX_DISCOVERIES} PeerDiscovery objects, got ${describeValue(value)}`)
  }
  value.forEach((discovery: unknown, i) => {
    const candidate = discovery as Partial<PeerDiscovery> | null
    if (typeof candidate !== 'object' || candidate === null || typeof candidate.start !== 'function' || typeof candidate.stop !== 'function' || typeof candidate.kind !== 'string') {
      throw new MeshNodeError('NODE_INVALID_OPTION', `discovery[${i}] must be a PeerDiscovery (kind, start, stop), such as new LanDiscovery(), got ${describeValue(discovery)}`)
    }
  })
  if (new Set(value).size !== value.length) throw new MeshNodeError('NODE_INVALID_OPTION', 'discovery lists the same object twice: each starts once')
  return [...(value as PeerDiscovery[])]
}
