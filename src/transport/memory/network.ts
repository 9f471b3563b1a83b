// The in-memory network: transports that reach each other through simulated links with
// latency, jitter, loss, bandwidth and partitions, on an injected clock. Public, for users'
// own tests and for the simulator, which runs 10,000+ nodes on one of these in virtual time.

import { systemClock, type Clock } from '../../util/clock.js'
import { SeededRandom, type RandomSource } from '../../util/random.js'
import { checkInteger, checkNumber, checkTime, describeValue } from '../../util/validate.js'
import { TransportError } from '../errors.js'
import { toMemoryAddress, type MemoryEndpoint } from './address.js'
import { Fabric } from './fabric.js'
import { checkLinkOptions, toBytesPerMs, type LinkOptions } from './link.js'
import type { MemoryTransport } from './transport.js'

export interface MemoryNetworkOptions extends LinkOptions {
  /** One-way delay of every link, in milliseconds. Default 0 (frames still arrive from a timer, never synchronously). */
  latencyMs?: number
  /** Extra one-way delay drawn uniformly from [0, jitterMs) per frame. Default 0. Order on a connection is kept regardless. */
  jitterMs?: number
  /** Probability from 0 to 1 that a frame is dropped, drawn from the seeded source. Default 0. */
  loss?: number
  /** Bytes a second each direction of a connection carries. Default Infinity (no limit, so bufferedAmount stays 0). */
  bandwidthBytesPerSec?: number
  /** Seed of the random source that draws jitter and loss. Default 1. */
  seed?: number | Uint8Array
  /** A random source to use instead of one seeded from `seed`. */
  random?: RandomSource
  /** Default systemClock; a ManualClock for tests and the simulator. */
  clock?: Clock
  /** Per-link settings computed once per connection (e.g. from coordinates); setLink() overrides win. */
  linkFor?: (from: string, to: string) => LinkOptions | undefined
  /** The largest frame a connection accepts, 1 to 2**30. Default 262,144 (256 KiB, Chrome's SCTP maxMessageSize). */
  maxMessageBytes?: number
  /** send() returns false once bufferedAmount is above this. Default 1 MiB. */
  highWaterMarkBytes?: number
  /** onDrain fires once bufferedAmount falls to this. Default 256 KiB; at most highWaterMarkBytes. */
  lowWaterMarkBytes?: number
  /** send() throws TRANSPORT_BUFFER_FULL past this (RTCDataChannel's 16 MiB). Default 16 MiB; at least highWaterMarkBytes. */
  maxBufferedBytes?: number
  /** Default timeout of a dial, in milliseconds. Default 10,000. */
  dialTimeoutMs?: number
  /**
   * Copy every frame at send(), as a real transport does, so a sender may reuse its buffer.
   * Default true; false saves the copy when senders never touch a frame after sending it.
   */
  copyFrames?: boolean
}

export interface MemoryNetworkStats {
  /** Open transports. */
  readonly transports: number
  /** Open connection ends (a connection between two transports has two). */
  readonly connections: number
  readonly messagesSent: number
  readonly bytesSent: number
  readonly messagesDelivered: number
  readonly bytesDelivered: number
  /** Sent and neither delivered nor dropped yet (including frames waiting for a message handler). */
  readonly messagesInFlight: number
  /** Frames dropped: by the loss draw, by a cut link, or because an end was closed (or reset) before they arrived. */
  readonly dropped: { readonly loss: number; readonly cut: number; readonly closed: number }
}

const invalid = (message: string) => new TransportError('TRANSPORT_INVALID_OPTION', message)

/**
 * An in-memory network of transports.
 *
 * - Addresses are 'memory://<name>'; every method taking an address also takes the bare name.
 * - A frame sent at t arrives at t + (transmission time) + latency + jitter, and never before
 *   the frame sent before it on the same connection. Loss and jitter are drawn from a seeded
 *   source, so a run is reproducible.
 * - cut(a, b) is a partition: frames in flight between a and b are dropped, so are frames
 *   sent while cut, close notices included; connections stay open at both ends, silent, as
 *   in a real partition, until someone closes them or heal(a, b). A dial across a cut link
 *   gets no answer and rejects with TRANSPORT_TIMEOUT.
 * - disconnect(a, b) resets every connection between a and b: both ends close at once with
 *   initiator 'network' and what was in flight is dropped.
 * - A dial to an address where nothing listens rejects with TRANSPORT_UNREACHABLE after one
 *   round trip, like a refused TCP connection.
 * - Frames arriving at an end without a message handler wait, in order (with the close
 *   notice behind them), until a handler is set.
 */
export class MemoryNetwork {
  readonly clock: Clock
  private readonly fabric: Fabric

  constructor(options: MemoryNetworkOptions = {}) {
    if (typeof options !== 'object' || options === null) throw invalid(`MemoryNetwork options must be an object, got ${describeValue(options)}`)
    const link = checkLinkOptions(options, 'options')
    const maxMessageBytes = checkInteger('maxMessageBytes', options.maxMessageBytes ?? 262_144, 1, 2 ** 30, invalid)
    const maxBufferedBytes = checkNumber('maxBufferedBytes', options.maxBufferedBytes ?? 16 * 1_048_576, 1, 2 ** 40, invalid)
    const highWaterMarkBytes = checkNumber('highWaterMarkBytes', options.highWaterMarkBytes ?? Math.min(1_048_576, maxBufferedBytes), 0, maxBufferedBytes, invalid)
    const lowWaterMarkBytes = checkNumber('lowWaterMarkBytes', options.lowWaterMarkBytes ?? Math.min(262_144, highWaterMarkBytes), 0, highWaterMarkBytes, invalid)
    const dialTimeoutMs = checkTime('dialTimeoutMs', options.dialTimeoutMs ?? 10_000, invalid)
    if (options.linkFor !== undefined && typeof options.linkFor !== 'function') throw invalid(`linkFor must be a function, got ${describeValue(options.linkFor)}`)
    if (options.clock !== undefined && (typeof options.clock !== 'object' || typeof options.clock.setTimeout !== 'function')) {
      throw invalid(`clock must be a Clock (now, setTimeout, clearTimeout), got ${describeValue(options.clock)}`)
    }
    this.clock = options.clock ?? systemClock
    let random = options.random
    if (random === undefined) {
      try {
        random = new SeededRandom(options.seed ?? 1)
      } catch (error) {
        throw invalid(`seed must be a safe integer or a Uint8Array, got ${describeValue(options.seed)}`)
      }
    }
    this.fabric = new Fabric({
      clock: this.clock,
      random,
      defaults: {
        latencyMs: link.latencyMs ?? 0,
        jitterMs: link.jitterMs ?? 0,
        loss: link.loss ?? 0,
        bytesPerMs: toBytesPerMs(link.bandwidthBytesPerSec ?? Infinity),
      },
      linkFor: options.linkFor,
      maxMessageBytes,
      highWaterMarkBytes,
      lowWaterMarkBytes,
      maxBufferedBytes,
      dialTimeoutMs,
      copyFrames: options.copyFrames ?? true,
    })
  }

  /**
   * A new transport at 'memory://<name>' ('memory://node-<n>' when no address is given).
   * Throws TRANSPORT_ADDRESS_IN_USE while another open transport has the address, and
   * TRANSPORT_BAD_ADDRESS for a malformed one.
   */
  createTransport(address?: string): MemoryTransport {
    return this.fabric.createTransport(address === undefined ? undefined : toMemoryAddress(address))
  }

  /** The open transport at an address, if any. */
  transport(address: string): MemoryTransport | undefined {
    return this.fabric.transportAt(toMemoryAddress(address))
  }

  /**
   * Overrides the link between a and b for frames sent from now on (in flight ones keep their
   * schedule), in both directions unless `oneWay` (then from a to b only). Fields not given
   * keep their current value. Applies to connections made later, too.
   */
  setLink(a: MemoryEndpoint, b: MemoryEndpoint, options: LinkOptions, { oneWay = false }: { oneWay?: boolean } = {}): void {
    const from = toMemoryAddress(a)
    const to = toMemoryAddress(b)
    const checked = checkLinkOptions(options, 'link')
    this.fabric.setLink(from, to, checked)
    if (!oneWay && from !== to) this.fabric.setLink(to, from, checked)
  }

  /** setLink(a, b, { latencyMs: ms }). */
  setLatency(a: MemoryEndpoint, b: MemoryEndpoint, ms: number): void {
    this.setLink(a, b, { latencyMs: ms })
  }

  /** setLink(a, b, { loss: probability }). */
  setLoss(a: MemoryEndpoint, b: MemoryEndpoint, probability: number): void {
    this.setLink(a, b, { loss: probability })
  }

  /** Drops the overrides between a and b (both directions): back to linkFor and the network defaults. */
  resetLink(a: MemoryEndpoint, b: MemoryEndpoint): void {
    const from = toMemoryAddress(a)
    const to = toMemoryAddress(b)
    this.fabric.resetLink(from, to)
    this.fabric.resetLink(to, from)
  }

  /** Partitions a from b (both directions); see the class notes. */
  cut(a: MemoryEndpoint, b: MemoryEndpoint): void {
    this.fabric.cut(toMemoryAddress(a), toMemoryAddress(b))
  }

  /** Undoes cut(a, b); frames sent from now on are delivered (unless a partition() still separates them). */
  heal(a: MemoryEndpoint, b: MemoryEndpoint): void {
    this.fabric.heal(toMemoryAddress(a), toMemoryAddress(b))
  }

  isCut(a: MemoryEndpoint, b: MemoryEndpoint): boolean {
    return this.fabric.isCutBetween(toMemoryAddress(a), toMemoryAddress(b))
  }

  /**
   * Splits the network into islands: addresses in different groups cannot reach each other,
   * as if every pair between them were cut; addresses in no group form one more island
   * together. Replaces any earlier partition; costs O(connections), not O(pairs).
   */
  partition(groups: readonly (readonly MemoryEndpoint[])[]): void {
    if (!Array.isArray(groups)) throw invalid(`partition() takes an array of address groups, got ${describeValue(groups)}`)
    const islands = new Map<string, number>()
    groups.forEach((group, index) => {
      if (!Array.isArray(group)) throw invalid(`partition() group ${index} must be an array of addresses, got ${describeValue(group)}`)
      for (const entry of group) {
        const address = toMemoryAddress(entry)
        if (islands.has(address)) throw invalid(`partition() lists ${address} in more than one group`)
        islands.set(address, index + 1)
      }
    })
    this.fabric.partition(islands)
  }

  /** Ends the partition set by partition(); cut() pairs stay cut. */
  healPartition(): void {
    this.fabric.partition(undefined)
  }

  /** Resets every connection between a and b; see the class notes. */
  disconnect(a: MemoryEndpoint, b: MemoryEndpoint, reason = 'reset'): void {
    this.fabric.disconnect(toMemoryAddress(a), toMemoryAddress(b), String(reason))
  }

  stats(): MemoryNetworkStats {
    const f = this.fabric
    const dropped = f.droppedLoss + f.droppedCut + f.droppedClosed
    return {
      transports: f.openTransports,
      connections: f.openConnections,
      messagesSent: f.messagesSent,
      bytesSent: f.bytesSent,
      messagesDelivered: f.messagesDelivered,
      bytesDelivered: f.bytesDelivered,
      messagesInFlight: f.messagesSent - f.messagesDelivered - dropped,
      dropped: { loss: f.droppedLoss, cut: f.droppedCut, closed: f.droppedClosed },
    }
  }

  /** Closes every transport (as transport.close() does: connections flush, then close). */
  async close(): Promise<void> {
    await Promise.all(this.fabric.allTransports().map((transport) => transport.close()))
  }
}
