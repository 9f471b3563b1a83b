// The bootstrap server's options, checked at the boundary.

import { systemClock, type Clock } from '../util/clock.js'
import { cryptoRandom, type RandomSource } from '../util/random.js'
import { checkInteger, checkNumber, checkTime, describeValue } from '../util/validate.js'
import type { WebSocketTlsOptions } from '../transport/websocket/options.js'
import { DiscoveryError } from './errors.js'
import { checkStaticFileBytes, checkStaticFiles, type StaticFilesOption, type StaticMount } from './static-files.js'

export interface BootstrapServerOptions {
  /** Where it listens: 'ws://host:port' ('wss://' with `tls`), port 0 for any free one. Default 'ws://127.0.0.1:0'. */
  listenAddress?: string
  /** Listen at wss:// with this key and certificate. */
  tls?: WebSocketTlsOptions
  /** Clients connected at once, 1 to 1,000,000; one past it gets an error frame ('server-full') and is closed. Default 10,000. */
  maxClients?: number
  /** Frames a second each client may send, 1 to 100,000 (bursts of twice that); past it they are dropped and counted. Default 50. */
  messagesPerSecond?: number
  /** Frames of one client dropped (rate-limited or malformed) before it is disconnected, 1 to 1,000,000. Default 500. */
  maxDropsBeforeClose?: number
  /** How long a new connection may take to register, in milliseconds. Default 5,000. */
  registerTimeoutMs?: number
  /** The most peers GET /peers returns, 1 to 100. Default 20. */
  peersSampleSize?: number
  /** Bytes waiting to be sent to one client before it is disconnected as too slow, 1,024 to 2**30. Default 1 MiB. */
  maxBufferedBytesPerClient?: number
  /**
   * Bytes a second each client may relay to others (relay frames: data and credit), 1,024 to
   * 2**30, in bursts of twice that; past it the server stops reading that client until its
   * budget refills, so TCP holds the sender back. Default 1 MiB.
   */
  relayBytesPerSecond?: number
  /**
   * A relayed data frame is dropped, and its stream closed at both ends ('target-slow'), when
   * this many bytes already wait to be sent to its target, 1,024 to 2**30. Default 256 KiB
   * (below maxBufferedBytesPerClient, so a flood relayed at a client cannot get it disconnected).
   */
  relayTargetBufferBytes?: number
  /**
   * Static files on the same HTTP port, in Node: URL path prefixes, each starting and ending
   * with '/', mapped to directories (`{ '/': 'examples/mesh', '/dist/': 'dist' }`); the longest
   * prefix wins, a path ending in '/' serves its index.html, and /peers, /health and /metrics
   * stay the server's. Paths with '..', '.', empty or hidden segments, or encoded slashes are
   * refused (403), as are symbolic links out of a directory; a missing file is 404. start()
   * rejects with DISCOVERY_INVALID_OPTION when a directory does not exist. Default none.
   */
  staticFiles?: StaticFilesOption
  /** The largest static file served, 1 to 2**30 bytes; a larger one is refused (403) unread. Default 16 MiB. */
  maxStaticFileBytes?: number
  /** Rate limiting, timeouts and uptime. Default the system clock. */
  clock?: Clock
  /** The sample GET /peers returns. Default a cryptographic source. */
  random?: RandomSource
}

export interface BootstrapServerSettings {
  readonly listenAddress: string
  readonly tls: WebSocketTlsOptions | undefined
  readonly maxClients: number
  readonly messagesPerSecond: number
  readonly maxDropsBeforeClose: number
  readonly registerTimeoutMs: number
  readonly peersSampleSize: number
  readonly maxBufferedBytesPerClient: number
  readonly relayBytesPerSecond: number
  readonly relayTargetBufferBytes: number
  readonly staticFiles: readonly StaticMount[]
  readonly maxStaticFileBytes: number
  readonly clock: Clock
  readonly random: RandomSource
}

const invalid = (message: string) => new DiscoveryError('DISCOVERY_INVALID_OPTION', message)

export function checkBootstrapServerOptions(options: BootstrapServerOptions): BootstrapServerSettings {
  if (typeof options !== 'object' || options === null) throw invalid(`BootstrapServer options must be an object, got ${describeValue(options)}`)
  const clock = options.clock ?? systemClock
  if (typeof clock?.now !== 'function' || typeof clock.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') throw invalid('clock must be a Clock (now, setTimeout, clearTimeout)')
  const random = options.random ?? cryptoRandom()
  if (typeof random?.fill !== 'function' || typeof random.nextInt !== 'function') throw invalid('random must be a RandomSource')
  if (options.listenAddress !== undefined && typeof options.listenAddress !== 'string') throw invalid(`listenAddress must be a string, got ${describeValue(options.listenAddress)}`)
  return {
    listenAddress: options.listenAddress ?? (options.tls === undefined ? 'ws://127.0.0.1:0' : 'wss://127.0.0.1:0'),
    tls: options.tls,
    maxClients: checkInteger('maxClients', options.maxClients ?? 10_000, 1, 1_000_000, invalid),
    messagesPerSecond: checkNumber('messagesPerSecond', options.messagesPerSecond ?? 50, 1, 100_000, invalid),
    maxDropsBeforeClose: checkInteger('maxDropsBeforeClose', options.maxDropsBeforeClose ?? 500, 1, 1_000_000, invalid),
    registerTimeoutMs: checkTime('registerTimeoutMs', options.registerTimeoutMs ?? 5_000, invalid),
    peersSampleSize: checkInteger('peersSampleSize', options.peersSampleSize ?? 20, 1, 100, invalid),
    maxBufferedBytesPerClient: checkInteger('maxBufferedBytesPerClient', options.maxBufferedBytesPerClient ?? 1_048_576, 1_024, 2 ** 30, invalid),
    relayBytesPerSecond: checkInteger('relayBytesPerSecond', options.relayBytesPerSecond ?? 1_048_576, 1_024, 2 ** 30, invalid),
    relayTargetBufferBytes: checkInteger('relayTargetBufferBytes', options.relayTargetBufferBytes ?? 262_144, 1_024, 2 ** 30, invalid),
    staticFiles: checkStaticFiles(options.staticFiles, invalid),
    maxStaticFileBytes: checkStaticFileBytes(options.maxStaticFileBytes, invalid),
    clock,
    random,
  }
}
