// Options of the WebRTC transport, checked once at the public boundary.

import { systemClock, type Clock } from '../../util/clock.js'
import { cryptoRandom, type RandomSource } from '../../util/random.js'
import { checkInteger, checkTime, describeValue } from '../../util/validate.js'
import { checkChannelOptions, type ChannelConnectionOptions } from '../channel/index.js'
import { TransportError } from '../errors.js'
import { isSignalingId } from './address.js'
import type { IceServer, IceTransportPolicy, PeerConnectionConstructor } from './peer-connection.js'
import type { Signaling } from './signaling.js'

/** What each connection's ChannelConnection is given; addresses and direction are the transport's. */
export type WebRtcChannelOptions = Pick<ChannelConnectionOptions, 'chunkBytes' | 'maxMessageBytes' | 'highWaterMarkBytes' | 'lowWaterMarkBytes' | 'maxBufferedBytes'>

export interface WebRtcTransportOptions {
  /** Carries offers, answers and candidates; its localId is this transport's address. Closed by close(). Required. */
  signaling: Signaling
  /** STUN and TURN servers, at most 32 (TURN ones with username and credential). Default none: host candidates only. */
  iceServers?: readonly IceServer[]
  /** 'relay' uses TURN only (hides this host's addresses from peers). Default 'all'. */
  iceTransportPolicy?: IceTransportPolicy
  /** Default timeout of a dial, and how long an inbound connection may take to open, in milliseconds. Default 10,000. */
  connectTimeoutMs?: number
  /**
   * ICE restarts the dialling side tries when ICE goes 'disconnected' or 'failed' on an open
   * connection, 0 to 10, each given iceRestartTimeoutMs; past them the connection closes with
   * initiator 'network'. The listening side waits as long before it gives up. Default 3.
   */
  maxIceRestarts?: number
  /** How long ICE has to come back after it went 'disconnected' or after each restart, in milliseconds. Default 5,000. */
  iceRestartTimeoutMs?: number
  /** Inbound connections negotiating at once, 1 to 10,000; offers past it are refused. Default 64. */
  maxPendingAccepts?: number
  /**
   * RTCPeerConnections this transport may make over its lifetime, dials and inbound together,
   * failed attempts included; past 3/4 of it new ones are rationed (budget.ts), and past it
   * dials reject with TRANSPORT_OVER_BUDGET and knocks are refused. An integer from 1, or
   * Infinity. Default 400 in browsers (Chrome allows a tab about 500), Infinity in Node.
   */
  maxPeerConnections?: number
  /** The longest SDP accepted from signaling, 256 to 1,048,576 characters. Default 16,384 (a data-channel offer is about 600). */
  maxSdpLength?: number
  /**
   * How long a closing connection waits, after its goodbye, for the far side to close the data
   * channel before closing it itself (ChannelConnection's closeTimeoutMs); the peer connection is
   * closed once the channel is. Default 2,000 ms.
   */
  closeTimeoutMs?: number
  /** Framing of each connection (chunk size, frame limit, water marks); see ChannelConnectionOptions. */
  channel?: WebRtcChannelOptions
  /**
   * The RTCPeerConnection class. Default: the global one (browsers), else node-datachannel's
   * polyfill (Node), loaded on the first dial or offer.
   */
  RTCPeerConnection?: PeerConnectionConstructor
  /** Timers (connect timeouts, ICE restarts, close lingering). Default the system clock. */
  clock?: Clock
  /** Connection ids. Default a cryptographic source. */
  random?: RandomSource
}

export interface WebRtcSettings {
  readonly signaling: Signaling
  readonly iceServers: IceServer[]
  readonly iceTransportPolicy: IceTransportPolicy
  readonly connectTimeoutMs: number
  readonly maxIceRestarts: number
  readonly iceRestartTimeoutMs: number
  readonly maxPendingAccepts: number
  readonly maxPeerConnections: number
  readonly maxSdpLength: number
  readonly closeTimeoutMs: number
  readonly channel: WebRtcChannelOptions
  readonly RTCPeerConnection: PeerConnectionConstructor | undefined
  readonly clock: Clock
  readonly random: RandomSource
}

const invalid = (message: string) => new TransportError('TRANSPORT_INVALID_OPTION', message)

const ICE_URL = /^(stun|stuns|turn|turns):[^\s]{1,500}$/

function checkIceServers(value: unknown): IceServer[] {
  if (!Array.isArray(value) || value.length > 32) throw invalid(`iceServers must be an array of at most 32 servers, got ${describeValue(value)}`)
  return value.map((server: unknown, i) => {
    const name = `iceServers[${i}]`
    if (typeof server !== 'object' || server === null) throw invalid(`${name} must be an object with urls, got ${describeValue(server)}`)
    const { urls, username, credential } = server as Record<string, unknown>
    const list = typeof urls === 'string' ? [urls] : urls
    if (!Array.isArray(list) || list.length === 0 || list.length > 8) throw invalid(`${name}.urls must be a URL or 1 to 8 of them, got ${describeValue(urls)}`)
    for (const url of list) {
      if (typeof url !== 'string' || !ICE_URL.test(url)) throw invalid(`${name}.urls must be 'stun:', 'stuns:', 'turn:' or 'turns:' URLs, got ${describeValue(url)}`)
      if (url.startsWith('turn') && (typeof username !== 'string' || username === '' || typeof credential !== 'string' || credential === '')) {
        throw invalid(`${name} is a TURN server: it needs a username and a credential`)
      }
    }
    for (const [field, text] of [['username', username], ['credential', credential]] as const) {
      if (text !== undefined && (typeof text !== 'string' || text.length > 512)) throw invalid(`${name}.${field} must be a string of at most 512 characters, got ${describeValue(text)}`)
    }
    return {
      urls: [...(list as string[])],
      ...(username === undefined ? {} : { username: username as string }),
      ...(credential === undefined ? {} : { credential: credential as string }),
    }
  })
}

function checkBudget(value: unknown): number {
  if (value === Number.POSITIVE_INFINITY) return value
  return checkInteger('maxPeerConnections', value, 1, Number.MAX_SAFE_INTEGER, invalid)
}

/** `defaultBudget`: the platform's maxPeerConnections (runtime.ts; transport.ts passes it, being the file the browser build swaps the runtime for). */
export function checkWebRtcOptions(options: WebRtcTransportOptions, defaultBudget = Number.POSITIVE_INFINITY): WebRtcSettings {
  if (typeof options !== 'object' || options === null) throw invalid(`WebRtcTransport options must be an object, got ${describeValue(options)}`)
  const signaling = options.signaling
  if (typeof signaling !== 'object' || signaling === null || typeof signaling.send !== 'function' || typeof signaling.onMessage !== 'function' || typeof signaling.close !== 'function') {
    throw invalid(`signaling must be a Signaling (localId, send, onMessage, close), got ${describeValue(signaling)}`)
  }
  if (!isSignalingId(signaling.localId)) throw invalid(`signaling.localId must be 1 to 128 of A-Z a-z 0-9 . _ ~ -, got ${describeValue(signaling.localId)}`)
  const iceTransportPolicy = options.iceTransportPolicy ?? 'all'
  if (iceTransportPolicy !== 'all' && iceTransportPolicy !== 'relay') throw invalid(`iceTransportPolicy must be 'all' or 'relay', got ${describeValue(iceTransportPolicy)}`)
  const channel = options.channel ?? {}
  if (typeof channel !== 'object' || channel === null) throw invalid(`channel must be an object of ChannelConnection options, got ${describeValue(channel)}`)
  checkChannelOptions(channel) // throws TRANSPORT_INVALID_OPTION naming the option
  const Class = options.RTCPeerConnection
  if (Class !== undefined && typeof Class !== 'function') throw invalid(`RTCPeerConnection must be an RTCPeerConnection class, got ${describeValue(Class)}`)
  const clock = options.clock ?? systemClock
  if (typeof clock?.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') throw invalid('clock must be a Clock (now, setTimeout, clearTimeout)')
  const random = options.random ?? cryptoRandom()
  if (typeof random?.fill !== 'function') throw invalid('random must be a RandomSource')
  return {
    signaling,
    iceServers: checkIceServers(options.iceServers ?? []),
    iceTransportPolicy,
    connectTimeoutMs: checkTime('connectTimeoutMs', options.connectTimeoutMs ?? 10_000, invalid),
    maxIceRestarts: checkInteger('maxIceRestarts', options.maxIceRestarts ?? 3, 0, 10, invalid),
    iceRestartTimeoutMs: checkTime('iceRestartTimeoutMs', options.iceRestartTimeoutMs ?? 5_000, invalid),
    maxPendingAccepts: checkInteger('maxPendingAccepts', options.maxPendingAccepts ?? 64, 1, 10_000, invalid),
    maxPeerConnections: checkBudget(options.maxPeerConnections ?? defaultBudget),
    maxSdpLength: checkInteger('maxSdpLength', options.maxSdpLength ?? 16_384, 256, 1_048_576, invalid),
    closeTimeoutMs: checkTime('closeTimeoutMs', options.closeTimeoutMs ?? 2_000, invalid),
    channel: { ...channel },
    RTCPeerConnection: Class,
    clock,
    random,
  }
}
