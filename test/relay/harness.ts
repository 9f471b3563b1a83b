// Builds a FakeMesh with one Relay per node, for the relay's tests and its fanout measurement.

import { sha256 } from '@noble/hashes/sha2.js'
import { loadCoreSync } from '../../src/core/load-core.js'
import { verifySignatureSync } from '../../src/peers/identity.js'
import { Relay, type RelayMessage, type RelayOptions } from '../../src/relay/index.js'
import { FakeMesh, type FakeMeshOptions } from './fake-network.js'
import type { PublishMessage } from '../../src/wire/messages.js'

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

/** Nodes 0 - 1 - 2 - … - (n-1) in a line, all subscribed to 'news'. */
export function line(n: number, options: Omit<TestnetOptions, 'nodes'> = {}): Testnet {
  const net = testnet({ seed: 7, ...options, nodes: n, dials: 0 })
  for (let i = 0; i + 1 < n; i++) net.mesh.link(i, i + 1)
  net.mesh.run()
  return net
}

/** The publish messages node `from` queued to node `to`. */
export function publishesSent(net: Testnet, from: number, to: number): PublishMessage[] {
  return net.mesh.nodes[from].session(to).sent.filter((m): m is PublishMessage => m.type === 'publish')
}

/** Genuine messages node 0 signs (one per `payloads` entry, in order), captured on their way to node 1 of a separate line of the same seed. */
export async function signedByNode0(payloads: readonly Uint8Array[], options: Omit<TestnetOptions, 'nodes'> = {}): Promise<PublishMessage[]> {
  const source = line(2, options)
  for (const data of payloads) await publishAndRun(source, 0, 'news', data)
  const messages = publishesSent(source, 0, 1)
  stopAll(source)
  return messages
}

/** Hands `message` to node `to` as if node `from` had sent it, and runs the mesh. */
export function inject(net: Testnet, to: number, from: number, message: PublishMessage): void {
  net.mesh.nodes[to].emit('message', net.mesh.nodes[to].session(from), message)
  net.mesh.run()
}
