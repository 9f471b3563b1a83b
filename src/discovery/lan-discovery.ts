// Finding peers on the local network with no server: UDP multicast, as mDNS responders do
// (libp2p's mdns discovery is the model; the packets are our own, lan-announce.ts). A node
// asks who is there when it starts and announces where it can be dialled; others answer a
// question after a short random delay, so a new node hears of everyone without a storm.
// After the start it announces again at doubling intervals, up to once a minute: a LAN that
// has settled hears about one packet a minute from each node, and a node that went quiet
// still answers questions. Node only (node:dgram); in a browser the constructor throws
// DISCOVERY_UNSUPPORTED.

import { systemClock, type Clock, type TimerHandle } from '../util/clock.js'
import { fromHex, toHex } from '../util/hex.js'
import { cryptoRandom, type RandomSource } from '../util/random.js'
import { checkInteger, describeValue } from '../util/validate.js'
import { DiscoveryError } from './errors.js'
import { decodeLanPacket, encodeLanPacket } from './lan-announce.js'
import { udp } from './node-runtime.js'
import type { MulticastSocket } from './runtime.js'
import type { DiscoveredPeer, PeerDiscovery, PeerDiscoverySelf } from './peer-discovery.js'

export interface LanDiscoveryOptions {
  /** The IPv4 multicast group. Default '239.255.42.99' (administratively scoped: it stays inside the organisation's network). */
  group?: string
  /** The UDP port every node of the LAN listens on. Default 42_424. */
  port?: number
  /** The local IPv4 address to join and send on ('127.0.0.1' keeps it on this machine). Default the system's default interface. */
  interfaceAddress?: string
  /** The longest wait between announcements, 1,000 to 3,600,000 ms; they start at 1 s and double up to it. Default 60,000. */
  maxAnnounceIntervalMs?: number
  /** How long a node waits, at random up to this, before it answers a question, 0 to 10,000 ms. Default 250. */
  maxAnswerDelayMs?: number
  clock?: Clock
  random?: RandomSource
}

export interface LanDiscoveryStats {
  readonly sent: number
  readonly received: number
  /** Announcements of other nodes handed to the node (repeats included). */
  readonly announcements: number
  /** Datagrams that were no packet of ours, or a packet from this node itself (the group loops back). */
  readonly malformed: number
  readonly own: number
}

const invalid = (message: string) => new DiscoveryError('DISCOVERY_INVALID_OPTION', message)
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/
/** Questions answered at most this often: a flood of questions costs one answer a second. */
const MIN_ANSWER_GAP_MS = 1_000
const FIRST_ANNOUNCE_INTERVAL_MS = 1_000

export class LanDiscovery implements PeerDiscovery {
  readonly kind = 'lan'
  readonly #group: string
  readonly #port: number
  readonly #interfaceAddress: string | undefined
  readonly #maxAnnounceIntervalMs: number
  readonly #maxAnswerDelayMs: number
  readonly #clock: Clock
  readonly #random: RandomSource
  #socket: MulticastSocket | undefined
  #self: PeerDiscoverySelf | undefined
  #ownId = ''
  #onPeer: ((peer: DiscoveredPeer) => void) | undefined
  #announceTimer: TimerHandle | undefined
  #answerTimer: TimerHandle | undefined
  #nextIntervalMs = FIRST_ANNOUNCE_INTERVAL_MS
  #lastAnswerAtMs = -Infinity
  #state: 'new' | 'starting' | 'running' | 'stopped' = 'new'
  readonly #counts = { sent: 0, received: 0, announcements: 0, malformed: 0, own: 0 }

  constructor(options: LanDiscoveryOptions = {}) {
    if (udp === undefined) throw new DiscoveryError('DISCOVERY_UNSUPPORTED', 'LAN discovery needs UDP multicast, which only Node has (not a browser)')
    if (typeof options !== 'object' || options === null) throw invalid(`LanDiscovery options must be an object, got ${describeValue(options)}`)
    const group = options.group ?? '239.255.42.99'
    if (!IPV4.test(group) || Number(group.split('.')[0]) < 224 || Number(group.split('.')[0]) > 239) throw invalid(`group must be an IPv4 multicast address (224.0.0.0 to 239.255.255.255), got ${describeValue(group)}`)
    if (options.interfaceAddress !== undefined && !IPV4.test(options.interfaceAddress)) throw invalid(`interfaceAddress must be an IPv4 address of this host, got ${describeValue(options.interfaceAddress)}`)
    this.#group = group
    this.#port = checkInteger('port', options.port ?? 42_424, 1, 65_535, invalid)
    this.#interfaceAddress = options.interfaceAddress
    this.#maxAnnounceIntervalMs = checkInteger('maxAnnounceIntervalMs', options.maxAnnounceIntervalMs ?? 60_000, 1_000, 3_600_000, invalid)
    this.#maxAnswerDelayMs = checkInteger('maxAnswerDelayMs', options.maxAnswerDelayMs ?? 250, 0, 10_000, invalid)
    this.#clock = options.clock ?? systemClock
    this.#random = options.random ?? cryptoRandom()
    if (typeof this.#clock?.setTimeout !== 'function') throw invalid('clock must be a Clock (now, setTimeout, clearTimeout)')
    if (typeof this.#random?.nextInt !== 'function') throw invalid('random must be a RandomSource')
  }

  /** Joins the group, asks who is there and announces `self`; each other node heard of goes to `onPeer`. Rejects with DISCOVERY_INVALID_STATE when started before, and with the socket's error when it cannot bind. */
  async start(self: PeerDiscoverySelf, onPeer: (peer: DiscoveredPeer) => void): Promise<void> {
    if (this.#state !== 'new') throw new DiscoveryError('DISCOVERY_INVALID_STATE', `start() may be called once; this LanDiscovery is ${this.#state}`)
    this.#state = 'starting'
    this.#self = self
    this.#ownId = toHex(self.id)
    this.#onPeer = onPeer
    const socket = await udp!.openMulticast({ group: this.#group, port: this.#port, interfaceAddress: this.#interfaceAddress, ttl: 1 }, (bytes) => this.#onDatagram(bytes))
    if (this.#state !== 'starting') {
      await socket.close()
      return
    }
    this.#socket = socket
    this.#state = 'running'
    this.#send(encodeLanPacket({ type: 'query' }))
    this.#announce()
  }

  /** Leaves the group; idempotent. */
  async stop(): Promise<void> {
    this.#state = 'stopped'
    if (this.#announceTimer !== undefined) this.#clock.clearTimeout(this.#announceTimer)
    if (this.#answerTimer !== undefined) this.#clock.clearTimeout(this.#answerTimer)
    this.#announceTimer = undefined
    this.#answerTimer = undefined
    const socket = this.#socket
    this.#socket = undefined
    await socket?.close()
  }

  stats(): LanDiscoveryStats {
    return { ...this.#counts }
  }

  /** Announces now and schedules the next, at double the last interval up to the longest. */
  #announce(): void {
    this.#sendAnnouncement()
    this.#announceTimer = this.#clock.setTimeout(() => this.#announce(), this.#nextIntervalMs)
    this.#nextIntervalMs = Math.min(this.#maxAnnounceIntervalMs, this.#nextIntervalMs * 2)
  }

  #sendAnnouncement(): void {
    const addresses = this.#self?.addresses() ?? []
    if (addresses.length > 0) this.#send(encodeLanPacket({ type: 'announce', id: this.#ownId, addresses }))
  }

  #send(bytes: Uint8Array): void {
    if (this.#socket === undefined) return
    this.#socket.send(bytes)
    this.#counts.sent++
  }

  #onDatagram(bytes: Uint8Array): void {
    if (this.#state !== 'running') return
    this.#counts.received++
    const packet = decodeLanPacket(bytes)
    if (packet === undefined) return void this.#counts.malformed++
    if (packet.type === 'query') return this.#answerSoon()
    if (packet.id === this.#ownId) return void this.#counts.own++
    this.#counts.announcements++
    this.#onPeer?.({ id: fromHex(packet.id), addresses: packet.addresses })
  }

  /** A question: the answer goes out after a random delay, at most one a second whatever the number of questions. */
  #answerSoon(): void {
    const now = this.#clock.now()
    if (this.#answerTimer !== undefined || now - this.#lastAnswerAtMs < MIN_ANSWER_GAP_MS) return
    this.#answerTimer = this.#clock.setTimeout(() => {
      this.#answerTimer = undefined
      this.#lastAnswerAtMs = this.#clock.now()
      this.#sendAnnouncement()
    }, this.#random.nextInt(this.#maxAnswerDelayMs + 1))
  }
}
