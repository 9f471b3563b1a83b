// Two node-datachannel RTCPeerConnections in one process on 127.0.0.1, wired to each other
// directly (descriptions and candidates handed across, no signaling server), with one open,
// ordered, reliable data channel between them. For the channel connection's tests and the
// WebRTC link benchmark.

import type { DataChannelLike } from '../../src/transport/channel/index.js'

export interface DataChannelPair {
  /** The channel as the offering side made it. */
  readonly offerer: RTCDataChannel
  /** The same channel as the answering side received it. */
  readonly answerer: RTCDataChannel
  /** Closes both peer connections (their channels with them). */
  close(): void
}

type PolyfillModule = typeof import('node-datachannel/polyfill')

let polyfill: Promise<PolyfillModule> | undefined

function loadPolyfill(): Promise<PolyfillModule> {
  polyfill ??= import('node-datachannel/polyfill')
  return polyfill
}

/** Rejects after `ms` unless `promise` settled first. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Opens a data channel between two peer connections of this process, over loopback only.
 * Tries up to 3 times: now and then node-datachannel 0.33 refuses the answer ("Got a remote
 * candidate without ICE transport"), or the connection never comes up.
 */
export async function openDataChannelPair(label = 'wasmesh', timeoutMs = 10_000): Promise<DataChannelPair> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openOnce(label, timeoutMs)
    } catch (error) {
      if (attempt === 3) throw error
    }
  }
}

async function openOnce(label: string, timeoutMs: number): Promise<DataChannelPair> {
  const { RTCPeerConnection } = await loadPolyfill()
  // No ICE servers: host candidates only, and the loopback one is all two peers of one process need.
  const a = new RTCPeerConnection({ iceServers: [] })
  const b = new RTCPeerConnection({ iceServers: [] })
  const close = () => {
    a.close()
    b.close()
  }
  try {
    // A candidate added before its side has the remote description is refused, so each side's
    // candidates wait until the other side has it (dropping them left some pairs with no path).
    const trickle = (from: typeof a, to: typeof a, isReady: Promise<void>) => {
      from.onicecandidate = (event) => {
        const candidate = event.candidate
        if (candidate !== null) void isReady.then(() => to.addIceCandidate(candidate)).catch(() => {})
      }
    }
    let markAnswererReady!: () => void
    let markOffererReady!: () => void
    trickle(a, b, new Promise<void>((resolve) => (markAnswererReady = resolve)))
    trickle(b, a, new Promise<void>((resolve) => (markOffererReady = resolve)))
    const offerer = a.createDataChannel(label, { ordered: true }) as unknown as RTCDataChannel
    const offererOpen = new Promise<void>((resolve) => offerer.addEventListener('open', () => resolve(), { once: true }))
    const answered = new Promise<RTCDataChannel>((resolve) => {
      b.ondatachannel = (event) => {
        const channel = event.channel as unknown as RTCDataChannel
        if (channel.readyState === 'open') resolve(channel)
        else channel.addEventListener('open', () => resolve(channel), { once: true })
      }
    })
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription as RTCSessionDescriptionInit)
    markAnswererReady()
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription as RTCSessionDescriptionInit)
    markOffererReady()
    const [answerer] = await within(Promise.all([answered, offererOpen]), timeoutMs, 'opening a loopback data channel')
    return { offerer, answerer, close }
  } catch (error) {
    close()
    throw error
  }
}

/** The pair's channels as the connection's own channel type (the DOM type and ours differ only in naming). */
export function asChannel(channel: RTCDataChannel): DataChannelLike {
  return channel as unknown as DataChannelLike
}
