// Follows every broadcast of a run: who published what when, and for each node that got it,
// when and after how many hops. Payloads carry the broadcast's number in their first 4 bytes,
// so a delivery is matched to its publish without any state outside the message.

import type { MeshNode } from '../node.js'
import type { RelayMessage } from '../relay/index.js'
import { summarize, type Distribution } from './distribution.js'

const INDEX_BYTES = 4

interface Broadcast {
  readonly publishedAtMs: number
  /** Running nodes other than the origin when it was published: who should get it. */
  readonly recipients: Set<MeshNode>
  readonly receivedBy: Set<MeshNode>
  isSent: boolean
  lastDeliveryAtMs: number | undefined
}

export interface BroadcastSummary {
  readonly topic: string
  readonly messages: number
  /** Publishes that left their origin for nobody (PublishResult.isSent false). */
  readonly notSent: number
  /** Deliveries owed: for each message, the nodes running (other than its origin) when it was published. */
  readonly expectedDeliveries: number
  readonly deliveries: number
  /** deliveries / expectedDeliveries. */
  readonly deliveryRatio: number
  /** Messages some recipient never got. */
  readonly incompleteMessages: number
  /** A node handed the same message twice (the relay promises once). */
  readonly repeatedDeliveries: number
  /** Virtual ms from publish() to delivery, over all deliveries. */
  readonly latencyMs: Distribution
  /**
   * Sends from the origin to the receiving node, over all deliveries: RelayMessage.hops, the
   * length of the path the message carries (every sender appends itself), exact below the
   * path window of 8; past it the relay counts the TTL spent, exact when the origin used the
   * receiver's defaultTtl (the default 8 equals the window, so with defaults it is always exact).
   */
  readonly hops: Distribution
}

export class BroadcastTracker {
  readonly topic: string
  readonly #broadcasts: Broadcast[] = []
  readonly #latencies: number[] = []
  readonly #hops: number[] = []
  #repeated = 0
  readonly #now: () => number

  constructor(topic: string, now: () => number) {
    this.topic = topic
    this.#now = now
  }

  /** Subscribes `node` to the topic, recording what it receives. */
  follow(node: MeshNode): void {
    node.subscribe(this.topic, (message) => this.#onMessage(node, message))
  }

  /**
   * Publishes broadcast number n (n = messages so far) from `origin`, with `payloadBytes` of
   * payload (at least 4), owed to `recipients`. Resolves once the origin has sent it.
   */
  async publish(origin: MeshNode, recipients: readonly MeshNode[], payloadBytes: number): Promise<void> {
    const index = this.#broadcasts.length
    const payload = new Uint8Array(Math.max(INDEX_BYTES, payloadBytes))
    new DataView(payload.buffer).setUint32(0, index)
    const broadcast: Broadcast = { publishedAtMs: this.#now(), recipients: new Set(recipients.filter((node) => node !== origin)), receivedBy: new Set(), isSent: false, lastDeliveryAtMs: undefined }
    this.#broadcasts.push(broadcast)
    const result = await origin.publish(this.topic, payload)
    broadcast.isSent = result.isSent
  }

  /**
   * `node` stops now: messages published in the last `graceMs` that it has not received are
   * no longer owed to it (it had no fair chance to get them); older ones it missed stay missed.
   */
  noteDeparture(node: MeshNode, graceMs: number): void {
    const since = this.#now() - graceMs
    for (let i = this.#broadcasts.length - 1; i >= 0; i--) {
      const broadcast = this.#broadcasts[i]
      if (broadcast.publishedAtMs < since) break
      if (!broadcast.receivedBy.has(node)) broadcast.recipients.delete(node)
    }
  }

  /** Virtual time of the last delivery of message `index`, if every recipient got it; undefined otherwise. */
  completedAtMs(index: number): number | undefined {
    const broadcast = this.#broadcasts[index]
    if (broadcast === undefined || broadcast.receivedBy.size < broadcast.recipients.size) return undefined
    return broadcast.lastDeliveryAtMs ?? broadcast.publishedAtMs
  }

  /** Messages published so far. */
  get messages(): number {
    return this.#broadcasts.length
  }

  summary(): BroadcastSummary {
    let expected = 0
    let delivered = 0
    let incomplete = 0
    for (const broadcast of this.#broadcasts) {
      expected += broadcast.recipients.size
      delivered += broadcast.receivedBy.size
      if (broadcast.receivedBy.size < broadcast.recipients.size) incomplete++
    }
    return {
      topic: this.topic,
      messages: this.#broadcasts.length,
      notSent: this.#broadcasts.filter((broadcast) => !broadcast.isSent).length,
      expectedDeliveries: expected,
      deliveries: delivered,
      deliveryRatio: expected === 0 ? 0 : delivered / expected,
      incompleteMessages: incomplete,
      repeatedDeliveries: this.#repeated,
      latencyMs: summarize(this.#latencies),
      hops: summarize(this.#hops),
    }
  }

  #onMessage(node: MeshNode, message: RelayMessage): void {
    if (message.data.length < INDEX_BYTES) return
    const broadcast = this.#broadcasts[new DataView(message.data.buffer, message.data.byteOffset, INDEX_BYTES).getUint32(0)]
    // Only deliveries owed count: a node that was not running at publish time is not a recipient.
    if (broadcast === undefined || !broadcast.recipients.has(node)) return
    if (broadcast.receivedBy.has(node)) {
      this.#repeated++
      return
    }
    broadcast.receivedBy.add(node)
    broadcast.lastDeliveryAtMs = this.#now()
    this.#latencies.push(this.#now() - broadcast.publishedAtMs)
    this.#hops.push(message.hops)
  }
}
