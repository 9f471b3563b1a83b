// The known-peers stores: what they keep comes back the same, and what they read back is
// checked as untrusted (a damaged, foreign or hostile file is an empty or shorter list, never
// a crash or an unbounded one).

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DiscoveryError, FileKnownPeers, MAX_KNOWN_PEERS, MemoryKnownPeers, WebStorageKnownPeers, type KnownPeer } from '../../src/discovery/index.js'
import { checkKnownPeers, MAX_KNOWN_PEERS_TEXT, parseKnownPeers, serializeKnownPeers } from '../../src/discovery/known-peers.js'

const peer = (n: number, addresses = [`ws://127.0.0.1:${4_000 + n}`]): KnownPeer => ({ id: n.toString(16).padStart(64, '0'), addresses })
const peers = (count: number) => Array.from({ length: count }, (_, i) => peer(i + 1))

describe('known peers: the stored form', () => {
  it('round-trips through serialize and parse', () => {
    const list = [peer(1), peer(2, ['webrtc://b', 'ws://127.0.0.1:9'])]
    expect(parseKnownPeers(serializeKnownPeers(list))).toEqual({ peers: list, invalid: 0 })
  })

  it('skips and counts entries that do not check out, duplicates included, keeping the good ones in order', () => {
    const stored = [
      peer(1), { id: 'zz'.repeat(32), addresses: ['ws://x:1'] }, { id: peer(10).id.toUpperCase(), addresses: ['ws://x:1'] }, peer(1),
      { id: peer(3).id, addresses: [] }, { id: peer(4).id, addresses: Array(9).fill('ws://x:1') }, { id: peer(5).id, addresses: ['x'.repeat(257)] },
      { id: peer(6).id, addresses: [7] }, null, 'peer', peer(7),
    ]
    expect(checkKnownPeers(stored)).toEqual({ peers: [peer(1), peer(7)], invalid: 9 })
  })

  it('keeps at most MAX_KNOWN_PEERS and reads only so far into a longer list', () => {
    const { peers: kept, invalid } = checkKnownPeers(peers(10_000))
    expect(kept).toHaveLength(MAX_KNOWN_PEERS)
    expect(kept[0]).toEqual(peer(1))
    expect(invalid).toBe(10_000 - 2 * MAX_KNOWN_PEERS)
  })

  it('reads anything that is not its JSON as an empty list with one invalid entry', () => {
    for (const text of ['', 'not json', '[]', '{"version":2,"peers":[]}', 'null', JSON.stringify({ version: 1, peers: 'x' }), ' '.repeat(MAX_KNOWN_PEERS_TEXT + 1)]) {
      expect(parseKnownPeers(text)).toEqual({ peers: [], invalid: 1 })
    }
  })

  it('refuses to write what is no list of known peers', () => {
    for (const bad of [[{ id: 'x', addresses: ['a'] }], peers(MAX_KNOWN_PEERS + 1), 'peers']) {
      expect(() => serializeKnownPeers(bad as KnownPeer[])).toThrow(DiscoveryError)
    }
  })
})

describe('MemoryKnownPeers and WebStorageKnownPeers', () => {
  it('MemoryKnownPeers keeps the last list saved', () => {
    const store = new MemoryKnownPeers()
    expect(store.load()).toEqual([])
    store.save(peers(3))
    store.save(peers(2))
    expect(store.load()).toEqual(peers(2))
  })

  it('WebStorageKnownPeers keeps the list in one item of a Web Storage, checked when read back', () => {
    const items = new Map<string, string>()
    const storage = { getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => void items.set(key, value) }
    const store = new WebStorageKnownPeers({ storage, key: 'app:peers' })
    expect(store.load()).toEqual([])
    store.save(peers(2))
    expect(JSON.parse(items.get('app:peers')!)).toEqual({ version: 1, peers: peers(2) })
    expect(new WebStorageKnownPeers({ storage, key: 'app:peers' }).load()).toEqual(peers(2))
    items.set('app:peers', '{"version":1,"peers":[{"id":"evil","addresses":["ws://x:1"]}]}')
    expect(store.load()).toEqual([])
  })

  it('WebStorageKnownPeers needs a storage: Node has no localStorage', () => {
    expect(() => new WebStorageKnownPeers()).toThrow(expect.objectContaining({ code: 'DISCOVERY_INVALID_OPTION' }))
    expect(() => new WebStorageKnownPeers({ storage: { getItem: () => null, setItem: () => undefined }, key: '' })).toThrow(expect.objectContaining({ code: 'DISCOVERY_INVALID_OPTION' }))
  })
})

describe('FileKnownPeers', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })
  const tempDir = async () => (dir = await mkdtemp(join(tmpdir(), 'wasmesh-known-peers-')))

  it('saves to a file and loads it back; a missing file is an empty list; no temporary file is left', async () => {
    const path = join(await tempDir(), 'peers.json')
    const store = new FileKnownPeers(path)
    expect(await store.load()).toEqual([])
    await store.save(peers(3))
    await Promise.all([store.save(peers(4)), store.save(peers(5))])
    expect(await new FileKnownPeers(path).load()).toEqual(peers(5))
    expect(await readdir(dir!)).toEqual(['peers.json'])
    expect(JSON.parse(await readFile(path, 'utf8')).version).toBe(1)
  })

  it('a damaged, foreign or oversized file is an empty list, counted, never an error', async () => {
    const path = join(await tempDir(), 'peers.json')
    const store = new FileKnownPeers(path)
    await writeFile(path, '{"version":1,"peers":[')
    expect(await store.load()).toEqual([])
    expect(store.invalidOnLastLoad).toBe(1)
    await writeFile(path, 'x'.repeat(MAX_KNOWN_PEERS_TEXT + 10))
    expect(await store.load()).toEqual([])
    expect(store.invalidOnLastLoad).toBe(1)
    await writeFile(path, JSON.stringify({ version: 1, peers: [peer(1), { id: 'bad', addresses: [] }] }))
    expect(await store.load()).toEqual([peer(1)])
    expect(store.invalidOnLastLoad).toBe(1)
  })

  it('rejects a save where it cannot write, and a load of what is no file', async () => {
    const dirPath = await tempDir()
    await expect(new FileKnownPeers(join(dirPath, 'no', 'such', 'dir', 'peers.json')).save(peers(1))).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(new FileKnownPeers(dirPath).load()).rejects.toThrow()
    expect(await readdir(dirPath)).toEqual([])
    expect(() => new FileKnownPeers('')).toThrow(expect.objectContaining({ code: 'DISCOVERY_INVALID_OPTION' }))
  })
})
