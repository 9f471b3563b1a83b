// What the nodes sent and received over a phase of a run, from their own counters
// (stats(): messages and bytes in and out, every protocol), per node and per virtual second.

import type { MeshNode } from '../node.js'
import { perNode, type PerNode } from './distribution.js'

interface Counters {
  messagesOut: number
  bytesOut: number
  messagesIn: number
  bytesIn: number
}

export interface TrafficSummary {
  /** Virtual milliseconds the phase lasted. */
  readonly durationMs: number
  readonly nodes: number
  readonly messagesSentPerNode: PerNode
  readonly bytesSentPerNode: PerNode
  readonly messagesReceivedPerNode: PerNode
  readonly bytesReceivedPerNode: PerNode
  /** Messages a node sent per virtual second: the mean over nodes and the busiest node's. */
  readonly messagesSentPerNodePerSec: PerNode
  readonly bytesSentPerNodePerSec: PerNode
  readonly messagesReceivedPerNodePerSec: PerNode
  readonly bytesReceivedPerNodePerSec: PerNode
}

const ZERO: Counters = Object.freeze({ messagesOut: 0, bytesOut: 0, messagesIn: 0, bytesIn: 0 })

function countersOf(node: MeshNode): Counters {
  const stats = node.stats()
  return { messagesOut: stats.messages.out, bytesOut: stats.bytes.out, messagesIn: stats.messages.in, bytesIn: stats.bytes.in }
}

/**
 * Counters of a set of nodes at the start of a phase; summary() gives what they did since.
 * A node the meter did not see at the start counts from zero (it was created during the phase).
 */
export class TrafficMeter {
  readonly #startMs: number
  readonly #before = new Map<MeshNode, Counters>()

  constructor(nodes: readonly MeshNode[], nowMs: number) {
    this.#startMs = nowMs
    for (const node of nodes) this.#before.set(node, countersOf(node))
  }

  /** What each of `nodes` did since the phase began, read now (before the nodes stop). */
  summary(nodes: readonly MeshNode[], nowMs: number): TrafficSummary {
    const rows: Counters[] = []
    for (const node of nodes) {
      const before = this.#before.get(node) ?? ZERO
      const after = countersOf(node)
      rows.push({
        messagesOut: after.messagesOut - before.messagesOut,
        bytesOut: after.bytesOut - before.bytesOut,
        messagesIn: after.messagesIn - before.messagesIn,
        bytesIn: after.bytesIn - before.bytesIn,
      })
    }
    const durationMs = nowMs - this.#startMs
    const perSec = (value: number) => (durationMs === 0 ? 0 : (value * 1_000) / durationMs)
    return {
      durationMs,
      nodes: rows.length,
      messagesSentPerNode: perNode(rows.map((row) => row.messagesOut)),
      bytesSentPerNode: perNode(rows.map((row) => row.bytesOut)),
      messagesReceivedPerNode: perNode(rows.map((row) => row.messagesIn)),
      bytesReceivedPerNode: perNode(rows.map((row) => row.bytesIn)),
      messagesSentPerNodePerSec: perNode(rows.map((row) => perSec(row.messagesOut))),
      bytesSentPerNodePerSec: perNode(rows.map((row) => perSec(row.bytesOut))),
      messagesReceivedPerNodePerSec: perNode(rows.map((row) => perSec(row.messagesIn))),
      bytesReceivedPerNodePerSec: perNode(rows.map((row) => perSec(row.bytesIn))),
    }
  }
}
