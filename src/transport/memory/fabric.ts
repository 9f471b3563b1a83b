// The state of one in-memory network, shared by its transports and connections: who listens
// where, how each link behaves, which links are cut, and the traffic counters. MemoryNetwork
// is the public face of it; nothing outside src/transport/memory touches a Fabric.

import type { Clock } from '../../util/clock.js'
import type { RandomSource } from '../../util/random.js'
import { checkTime } from '../../util/validate.js'
import { TransportAbortError, TransportError } from '../errors.js'
import type { DialOptions } from '../transport.js'
import { parseDialAddress } from './address.js'
import { MemoryConnection } from './connection.js'
import { PendingDial } from './dial.js'
import { applyLinkOptions, checkLinkOptions, type Link, type LinkOptions } from './link.js'
import { MemoryTransport } from './transport.js'

export interface FabricSettings {
  clock: Clock
  random: RandomSource
  defaults: Link
  linkFor: ((from: string, to: string) => LinkOptions | undefined) | undefined
  maxMessageBytes: number
  highWaterMarkBytes: number
  lowWaterMarkBytes: number
  maxBufferedBytes: number
  dialTimeoutMs: number
  copyFrames: boolean
}

const SLAB_BYTES = 16_384
const MAX_SLAB_FRAME_BYTES = 1_024

// Names never contain a space, so "a b" keys a pair unambiguously.
const directed = (from: string, to: string) => `${from} ${to}`
const unordered = (a: string, b: string) => (a < b ? `${a} ${b}` : `${b} ${a}`)

export class Fabric {
  readonly clock: Clock
  readonly random: RandomSource
  readonly maxMessageBytes: number
  readonly highWaterMarkBytes: number
  readonly lowWaterMarkBytes: number
  readonly maxBufferedBytes: number
  readonly dialTimeoutMs: number
  readonly copyFrames: boolean
  private readonly defaults: Link
  private readonly linkFor: FabricSettings['linkFor']

  /** Open transports by address. */
  private readonly transports = new Map<string, MemoryTransport>()
  /** Connection ends by local address: open ones, and closed ones with frames still in flight. */
  private readonly ends = new Map<string, Set<MemoryConnection>>()
  /** Per-direction overrides set through setLink(), keyed "from to". */
  private readonly overrides = new Map<string, LinkOptions>()
  /** Cut pairs, keyed by the two addresses in order. */
  private readonly cuts = new Set<string>()
  /** Island of each listed address while a partition is in force; unlisted addresses share island 0. */
  private islands: Map<string, number> | undefined
  private connectionCount = 0
  private autoNameCount = 0
  private slab = new Uint8Array(SLAB_BYTES)
  private slabOffset = 0

  messagesSent = 0
  bytesSent = 0
  messagesDelivered = 0
  bytesDelivered = 0
  droppedLoss = 0
  droppedCut = 0
  droppedClosed = 0
  openConnections = 0

  constructor(settings: FabricSettings) {
    this.clock = settings.clock
    this.random = settings.random
    this.defaults = settings.defaults
    this.linkFor = settings.linkFor
    this.maxMessageBytes = settings.maxMessageBytes
    this.highWaterMarkBytes = settings.highWaterMarkBytes
    this.lowWaterMarkBytes = settings.lowWaterMarkBytes
    this.maxBufferedBytes = settings.maxBufferedBytes
    this.dialTimeoutMs = settings.dialTimeoutMs
    this.copyFrames = settings.copyFrames
  }

  get openTransports(): number {
    return this.transports.size
  }

  // -------------------------------------------------------------------------------------
  // Transports

  createTransport(address: string | undefined): MemoryTransport {
    if (address === undefined) {
      do address = `memory://node-${++this.autoNameCount}`
      while (this.transports.has(address))
    } else if (this.transports.has(address)) {
      throw new TransportError('TRANSPORT_ADDRESS_IN_USE', `${address} is taken by an open transport; close it first or choose another name`)
    }
    const transport = new MemoryTransport(this, address)
    this.transports.set(address, transport)
    return transport
  }

  transportAt(address: string): MemoryTransport | undefined {
    return this.transports.get(address)
  }

  listenerAt(address: string): MemoryTransport | undefined {
    const transport = this.transports.get(address)
    return transport !== undefined && transport.isListening ? transport : undefined
  }

  closeTransport(transport: MemoryTransport): void {
    const address = transport.localAddress
    if (this.transports.get(address) === transport) this.transports.delete(address)
    for (const dial of [...transport.pendingDials]) {
      dial.fail(new TransportError('TRANSPORT_CLOSED', `transport ${address} closed while dialling`))
    }
    for (const end of this.endsOf(address)) {
      if (end.transport === transport) end.close('transport closed')
    }
  }

  connectionsOf(transport: MemoryTransport): MemoryConnection[] {
    return this.endsOf(transport.localAddress).filter((end) => end.transport === transport && end.isOpen)
  }

  // -------------------------------------------------------------------------------------
  // Dialling

  dial(from: MemoryTransport, address: string, options: DialOptions | undefined): Promise<MemoryConnection> {
    return new Promise<MemoryConnection>((resolve, reject) => {
      if (from.isClosed) {
        reject(new TransportError('TRANSPORT_CLOSED', `transport ${from.localAddress} is closed`))
        return
      }
      let to: string
      let timeoutMs = this.dialTimeoutMs
      try {
        to = parseDialAddress(address)
        if (options?.timeoutMs !== undefined) {
          timeoutMs = checkTime('timeoutMs', options.timeoutMs, (message) => new TransportError('TRANSPORT_INVALID_OPTION', message))
        }
      } catch (error) {
        reject(error as Error)
        return
      }
      const signal = options?.signal
      if (signal?.aborted) {
        reject(new TransportAbortError(`dial from ${from.localAddress} to ${to} was aborted`, { cause: signal.reason }))
        return
      }
      new PendingDial(this, from, to, timeoutMs, signal, resolve, reject).start()
    })
  }

  /** Creates both ends of a connection; the inbound end's first frame arrives no earlier than `answerAt`. */
  connect(from: MemoryTransport, to: MemoryTransport, answerAt: number): [MemoryConnection, MemoryConnection] {
    const n = ++this.connectionCount
    const a = from.localAddress
    const b = to.localAddress
    const isCut = this.isCutBetween(a, b)
    const outbound = new MemoryConnection(this, from, `memory-${n}-out`, b, 'outbound', this.resolveLink(a, b), isCut)
    const inbound = new MemoryConnection(this, to, `memory-${n}-in`, a, 'inbound', this.resolveLink(b, a), isCut)
    outbound.peer = inbound
    inbound.peer = outbound
    inbound.lastDeliverAt = answerAt
    this.track(outbound)
    this.track(inbound)
    this.openConnections += 2
    return [outbound, inbound]
  }

  /** The one-way delay of a handshake step from `from` to `to`: latency plus a jitter draw. */
  delay(from: string, to: string): number {
    const link = this.resolveLink(from, to)
    return link.jitterMs > 0 ? link.latencyMs + this.random.nextFloat() * link.jitterMs : link.latencyMs
  }

  // -------------------------------------------------------------------------------------
  // Links

  /** Network defaults, then linkFor(from, to), then setLink() overrides. */
  resolveLink(from: string, to: string): Link {
    let link = this.defaults
    if (this.linkFor !== undefined) {
      const options = this.linkFor(from, to)
      if (options !== undefined) link = applyLinkOptions(link, checkLinkOptions(options, `linkFor(${from}, ${to})`))
    }
    return applyLinkOptions(link, this.overrides.get(directed(from, to)))
  }

  setLink(from: string, to: string, options: LinkOptions): void {
    const key = directed(from, to)
    this.overrides.set(key, { ...this.overrides.get(key), ...options })
    this.relink(from, to)
  }

  resetLink(from: string, to: string): void {
    this.overrides.delete(directed(from, to))
    this.relink(from, to)
  }

  private relink(from: string, to: string): void {
    const link = this.resolveLink(from, to)
    for (const end of this.endsOf(from)) if (end.remoteAddress === to) end.setLink(link)
  }

  isCutBetween(a: string, b: string): boolean {
    if (a === b) return false
    if (this.cuts.has(unordered(a, b))) return true
    const islands = this.islands
    return islands !== undefined && (islands.get(a) ?? 0) !== (islands.get(b) ?? 0)
  }

  cut(a: string, b: string): void {
    this.cuts.add(unordered(a, b))
    this.recut(a, b)
  }

  heal(a: string, b: string): void {
    this.cuts.delete(unordered(a, b))
    this.recut(a, b)
  }

  partition(islands: Map<string, number> | undefined): void {
    this.islands = islands
    for (const set of this.ends.values()) {
      for (const end of set) end.setCut(this.isCutBetween(end.localAddress, end.remoteAddress))
    }
  }

  private recut(a: string, b: string): void {
    const isCut = this.isCutBetween(a, b)
    for (const end of this.between(a, b)) end.setCut(isCut)
  }

  /** Closes every connection between a and b at both ends at once, dropping what is in flight. */
  disconnect(a: string, b: string, reason: string): void {
    for (const end of this.between(a, b)) end.reset(reason)
  }

  /** Ends from a to b and from b to a. */
  private between(a: string, b: string): MemoryConnection[] {
    const found = this.endsOf(a).filter((end) => end.remoteAddress === b)
    if (a !== b) for (const end of this.endsOf(b)) if (end.remoteAddress === a) found.push(end)
    return found
  }

  // -------------------------------------------------------------------------------------
  // Copies of frames

  /**
   * A copy of `frame`. Small frames are copied into a shared 16 KiB slab and handed out as
   * views of it, as Node pools small Buffers: allocating a buffer per frame is what limits a
   * large simulation otherwise (about 4x slower). A receiver that keeps a small frame for
   * long keeps its slab alive, so it should copy what it stores.
   */
  copy(frame: Uint8Array): Uint8Array {
    const length = frame.byteLength
    // new Uint8Array(x) copies (Buffer#slice would not).
    if (length > MAX_SLAB_FRAME_BYTES) return new Uint8Array(frame)
    if (this.slabOffset + length > SLAB_BYTES) {
      this.slab = new Uint8Array(SLAB_BYTES)
      this.slabOffset = 0
    }
    const copy = new Uint8Array(this.slab.buffer, this.slabOffset, length)
    copy.set(frame)
    // Keep views 8-byte aligned, so a receiver can lay a Float64Array or BigUint64Array over one.
    this.slabOffset += (length + 7) & ~7
    return copy
  }

  // -------------------------------------------------------------------------------------
  // Bookkeeping of ends

  private endsOf(address: string): MemoryConnection[] {
    const set = this.ends.get(address)
    return set === undefined ? [] : [...set]
  }

  private track(end: MemoryConnection): void {
    const address = end.localAddress
    let set = this.ends.get(address)
    if (set === undefined) this.ends.set(address, (set = new Set()))
    set.add(end)
  }

  /** Called by an end once it is closed with nothing left in flight. */
  forget(end: MemoryConnection): void {
    const address = end.localAddress
    const set = this.ends.get(address)
    if (set === undefined || !set.delete(end)) return
    if (set.size === 0) this.ends.delete(address)
  }

  /** Every open transport, for closing the whole network. */
  allTransports(): MemoryTransport[] {
    return [...this.transports.values()]
  }
}
