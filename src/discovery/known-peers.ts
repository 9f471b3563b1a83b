// Peers a node knew, kept across restarts, so a restarted node rejoins through them before it
// asks a bootstrap server (every client asking a few servers at every start is what takes them
// down). A store is anything with load() and save(); the library has one in memory, one on a
// Web Storage (a browser's localStorage) and one in a file (Node, file-known-peers.ts).
//
// What is stored is read back as untrusted: another program, an old version or a disk error
// may have written it. So it is parsed, bounded and checked entry by entry here; an entry
// that does not check out is skipped and counted, and a store that is no list is empty.

import { describeValue } from '../util/validate.js'
import { DiscoveryError } from './errors.js'

/** One peer as stored: its id and where it listened. */
export interface KnownPeer {
  /** Its peer id, 64 lowercase hex characters. */
  readonly id: string
  /** Its addresses, best first: 1 to MAX_KNOWN_PEER_ADDRESSES strings of 1 to 256 characters. */
  readonly addresses: readonly string[]
}

/** Where a node keeps the peers it knew. Either method may be synchronous or return a promise. */
export interface KnownPeersStore {
  /** What the last save() kept (most recent first); an empty list when nothing was saved. */
  load(): readonly KnownPeer[] | Promise<readonly KnownPeer[]>
  /** Replaces what is kept with `peers` (at most MAX_KNOWN_PEERS, most recent first). */
  save(peers: readonly KnownPeer[]): void | Promise<void>
}

/** Peers kept at most; a node keeps its open sessions first, then the most recent it heard of. */
export const MAX_KNOWN_PEERS = 64
export const MAX_KNOWN_PEER_ADDRESSES = 8
const MAX_ADDRESS_LENGTH = 256
/** The most characters a stored list may have: 64 peers of 8 addresses of 256 characters, and change. */
export const MAX_KNOWN_PEERS_TEXT = 160_000
const FORMAT_VERSION = 1

const PEER_ID = /^[0-9a-f]{64}$/

/** What was read from a store: the peers that checked out, and how many entries did not. */
export interface ParsedKnownPeers {
  readonly peers: KnownPeer[]
  readonly invalid: number
}

/** Checks one entry; undefined for anything that is not a KnownPeer. */
function checkPeer(value: unknown): KnownPeer | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { id, addresses } = value as { id?: unknown; addresses?: unknown }
  if (typeof id !== 'string' || !PEER_ID.test(id)) return undefined
  if (!Array.isArray(addresses) || addresses.length === 0 || addresses.length > MAX_KNOWN_PEER_ADDRESSES) return undefined
  if (!addresses.every((address) => typeof address === 'string' && address.length > 0 && address.length <= MAX_ADDRESS_LENGTH)) return undefined
  return { id, addresses: [...(addresses as string[])] }
}

/** The peers in `list`, checked: duplicates and bad entries skipped (and counted), at most MAX_KNOWN_PEERS kept. */
export function checkKnownPeers(list: unknown): ParsedKnownPeers {
  if (!Array.isArray(list)) return { peers: [], invalid: list === undefined || list === null ? 0 : 1 }
  const peers: KnownPeer[] = []
  const seen = new Set<string>()
  let invalid = 0
  for (const value of list.slice(0, MAX_KNOWN_PEERS * 2)) {
    const peer = checkPeer(value)
    if (peer === undefined || seen.has(peer.id)) invalid++
    else if (peers.length < MAX_KNOWN_PEERS) {
      seen.add(peer.id)
      peers.push(peer)
    }
  }
  return { peers, invalid: invalid + Math.max(0, list.length - MAX_KNOWN_PEERS * 2) }
}

/** Reads what serializeKnownPeers() wrote; anything else is an empty list with one invalid entry. */
export function parseKnownPeers(text: string): ParsedKnownPeers {
  if (text.length > MAX_KNOWN_PEERS_TEXT) return { peers: [], invalid: 1 }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { peers: [], invalid: 1 }
  }
  if (typeof value !== 'object' || value === null || (value as { version?: unknown }).version !== FORMAT_VERSION) return { peers: [], invalid: 1 }
  return checkKnownPeers((value as { peers?: unknown }).peers)
}

/** The stored form: JSON, versioned. Throws DISCOVERY_INVALID_OPTION for peers that are not KnownPeer[]. */
export function serializeKnownPeers(peers: readonly KnownPeer[]): string {
  const checked = checkKnownPeers(peers)
  if (checked.invalid > 0 || peers.length > MAX_KNOWN_PEERS) {
    throw new DiscoveryError('DISCOVERY_INVALID_OPTION', `known peers must be up to ${MAX_KNOWN_PEERS} entries of { id: 64 hex characters, addresses: 1 to ${MAX_KNOWN_PEER_ADDRESSES} strings }, got ${describeValue(peers)}`)
  }
  return JSON.stringify({ version: FORMAT_VERSION, peers: checked.peers })
}

/** Throws DISCOVERY_INVALID_OPTION unless `store` has load() and save(). */
export function checkKnownPeersStore(store: unknown, name = 'knownPeers'): KnownPeersStore {
  const candidate = store as Partial<KnownPeersStore> | null
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.load !== 'function' || typeof candidate.save !== 'function') {
    throw new DiscoveryError('DISCOVERY_INVALID_OPTION', `${name} must be an object with load() and save() (a KnownPeersStore), got ${describeValue(store)}`)
  }
  return candidate as KnownPeersStore
}

/** Keeps the list in memory, as the stored text (so it is checked on the way back too): for tests, and a process that restarts its node. */
export class MemoryKnownPeers implements KnownPeersStore {
  #text: string | undefined
  #invalid = 0

  load(): KnownPeer[] {
    if (this.#text === undefined) return []
    const parsed = parseKnownPeers(this.#text)
    this.#invalid = parsed.invalid
    return parsed.peers
  }

  save(peers: readonly KnownPeer[]): void {
    this.#text = serializeKnownPeers(peers)
  }

  /** Entries the last load() skipped. */
  get invalidOnLastLoad(): number {
    return this.#invalid
  }
}

/** The part of the Web Storage API (localStorage, sessionStorage) WebStorageKnownPeers uses. */
export interface WebStorageLike {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

export interface WebStorageKnownPeersOptions {
  /** DEFAULT globalThis.localStorage (a browser's). */
  storage?: WebStorageLike
  /** The item's key. DEFAULT 'wasmesh:known-peers'. */
  key?: string
}

/** Keeps the list in a Web Storage item: a browser's localStorage by default. */
export class WebStorageKnownPeers implements KnownPeersStore {
  readonly key: string
  readonly #storage: WebStorageLike

  /** Throws DISCOVERY_INVALID_OPTION when no storage is given and there is no localStorage (Node), or for a bad key. */
  constructor(options: WebStorageKnownPeersOptions = {}) {
    const storage = options.storage ?? (globalThis as { localStorage?: WebStorageLike }).localStorage
    if (typeof storage?.getItem !== 'function' || typeof storage.setItem !== 'function') {
      throw new DiscoveryError('DISCOVERY_INVALID_OPTION', `storage must have getItem() and setItem() (there is no localStorage here: in Node use FileKnownPeers), got ${describeValue(storage)}`)
    }
    const key = options.key ?? 'wasmesh:known-peers'
    if (typeof key !== 'string' || key.length === 0 || key.length > 256) throw new DiscoveryError('DISCOVERY_INVALID_OPTION', `key must be 1 to 256 characters, got ${describeValue(key)}`)
    this.#storage = storage
    this.key = key
  }

  load(): KnownPeer[] {
    const text = this.#storage.getItem(this.key)
    return text === null ? [] : parseKnownPeers(text).peers
  }

  save(peers: readonly KnownPeer[]): void {
    // A full storage throws a QuotaExceededError: the caller counts the failed save.
    this.#storage.setItem(this.key, serializeKnownPeers(peers))
  }
}
