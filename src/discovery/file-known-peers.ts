// Known peers in a file (Node): JSON, replaced atomically on every save, read back as
// untrusted (known-peers.ts checks every entry). A missing file is an empty list; one that is
// too large or not a list is an empty list too, counted, so a damaged file never stops a
// node from starting: it asks its bootstrap servers instead.

import { describeValue } from '../util/validate.js'
import { DiscoveryError } from './errors.js'
import { MAX_KNOWN_PEERS_TEXT, parseKnownPeers, serializeKnownPeers, type KnownPeer, type KnownPeersStore } from './known-peers.js'
import { runtime } from './node-runtime.js'

export class FileKnownPeers implements KnownPeersStore {
  readonly path: string
  #invalid = 0
  #writing: Promise<void> = Promise.resolve()

  /** Keeps the list at `path`. Throws DISCOVERY_INVALID_OPTION for a path that is no string, and DISCOVERY_UNSUPPORTED where there is no file system (a browser). */
  constructor(path: string) {
    if (typeof path !== 'string' || path.length === 0) throw new DiscoveryError('DISCOVERY_INVALID_OPTION', `path must be a file path, got ${describeValue(path)}`)
    if (runtime === undefined) throw new DiscoveryError('DISCOVERY_UNSUPPORTED', 'FileKnownPeers needs a file system (Node); in a browser use WebStorageKnownPeers')
    this.path = path
  }

  /** Entries the last load() skipped (a file too large or unreadable as a list counts as one). */
  get invalidOnLastLoad(): number {
    return this.#invalid
  }

  /** The peers saved last; [] when there is no file. Rejects only when the file exists and cannot be read (permissions). */
  async load(): Promise<KnownPeer[]> {
    const text = await runtime!.readText(this.path, MAX_KNOWN_PEERS_TEXT)
    if (text === undefined) return []
    if (typeof text !== 'string') {
      this.#invalid = 1
      return []
    }
    const parsed = parseKnownPeers(text)
    this.#invalid = parsed.invalid
    return parsed.peers
  }

  /** Replaces the file; saves run one after another, so the last one called is the one kept. */
  save(peers: readonly KnownPeer[]): Promise<void> {
    const text = serializeKnownPeers(peers)
    const write = this.#writing.then(() => runtime!.writeTextAtomically(this.path, text))
    this.#writing = write.catch(() => undefined)
    return write
  }
}
