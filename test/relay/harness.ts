// Builds a FakeMesh with one Relay per node, for the relay's tests and its fanout measurement.

import { sha256 } from '@noble/hashes/sha2.js'
import { loadCoreSync } from '../../src/core/load-core.js'
import { verifySignatureSync } from '../../src/peers/identity.js'
import { Relay, type RelayMessage, type RelayOptions } from '../../src/relay/index.js'
import { FakeMesh, type FakeMeshOptions } from './fake-network.js'

/**
 * A synchronous verifier that checks each distinct (key, message, signature) once with noble
 * and remembers the answer: every node of a 200-node run verifies the same signature, and
 * memoising keeps runs fast and the answers exact (an altered byte is a new entry).
 */
export function memoVerifier(): (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean {
  const answers = new Map<string, boolean>()
  return (publicKey, message, signature) => {
    const id = Buffer.concat([publicKey, signature, sha256(message)]).toString('base64')
    let answer = answers.get(id)
    if (answer === undefined) {
      answer = verifySignatureSync(publicKey, message, signature)
      answers.set(id, answer)
    }
    return answer
  }
}

export interface Testnet {
  mesh: FakeMesh
  relays: Relay[]
  /** received[i]: messages node i's handler got, in order. */
  received: RelayMessage[][]
}

export interface TestnetOptions extends FakeMeshOptions {
  /** Each node dials this many random others (default 3); 0 links nothing. */
  dials?: number
  /** Topic every node subscribes to (default 'news'); null subscribes nobody. */
  topic?: string | null
  relay?: Omit<RelayOptions, 'network'>
}

export function testnet(options: TestnetOptions): Testnet {
  const mesh = new FakeMesh(options)
  const verify = memoVerifier()
  const core = loadCoreSync()
  // A small dedup set per node: 200 default ones would hold ~200 MB of WebAssembly memory.
  const relays = mesh.nodes.map((network) => new Relay({ core, verify, dedupCapacity: 8_192, ...options.relay, network }))
  const received: RelayMessage[][] = relays.map(() => [])
  const topic = options.topic === undefined ? 'news' : options.topic
  if (topic !== null) relays.forEach((relay, i) => relay.subscribe(topic, (message) => received[i].push(message)))
  if ((options.dials ?? 3) > 0) mesh.linkRandom(options.dials ?? 3)
  mesh.run() // subscriptions announced
  return { mesh, relays, received }
}

/** Publishes from node `from` and runs the mesh until every copy has arrived or been lost. */
export async function publishAndRun(net: Testnet, from: number, topic: string, data: Uint8Array): Promise<bigint> {
  const { seq } = await net.relays[from].publish(topic, data)
  net.mesh.run()
  return seq
}

export function stopAll(net: Testnet): void {
  for (const relay of net.relays) relay.stop()
}
