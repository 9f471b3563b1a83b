// Two simple-peer instances in this process over node-datachannel's W3C polyfill, signaling
// handed across directly: what a user of simple-peer in Node gets, for the WebRTC link
// benchmark. simple-peer writes `offer.sdp` (its sdpTransform), which node-datachannel's
// descriptions keep read-only, so its RTCPeerConnection is wrapped to hand out plain
// description objects; nothing else is changed.

import SimplePeer from 'simple-peer'

export interface SimplePeerPair {
  readonly initiator: SimplePeer.Instance
  readonly receiver: SimplePeer.Instance
  close(): void
}

type Polyfill = typeof import('node-datachannel/polyfill')

function withWritableDescriptions(polyfill: Polyfill): Polyfill['RTCPeerConnection'] {
  const Base = polyfill.RTCPeerConnection
  return class extends Base {
    override async createOffer(): Promise<RTCSessionDescriptionInit> {
      const offer = await super.createOffer()
      return { type: offer.type, sdp: offer.sdp }
    }

    override async createAnswer(): Promise<RTCSessionDescriptionInit> {
      const answer = await super.createAnswer()
      return { type: answer.type, sdp: answer.sdp }
    }
  } as Polyfill['RTCPeerConnection']
}

export async function openSimplePeerPair(timeoutMs = 10_000): Promise<SimplePeerPair> {
  const polyfill = await import('node-datachannel/polyfill')
  // The polyfill's classes are W3C ones; their declared event types are its own, hence the cast.
  const wrtc = { RTCPeerConnection: withWritableDescriptions(polyfill), RTCSessionDescription: polyfill.RTCSessionDescription, RTCIceCandidate: polyfill.RTCIceCandidate } as unknown as SimplePeer.Options['wrtc']
  const options = { wrtc, config: { iceServers: [] }, trickle: true }
  const initiator = new SimplePeer({ ...options, initiator: true })
  const receiver = new SimplePeer(options)
  initiator.on('signal', (data) => receiver.signal(data))
  receiver.on('signal', (data) => initiator.signal(data))
  const close = () => {
    initiator.destroy()
    receiver.destroy()
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    await Promise.race([
      Promise.all([initiator, receiver].map((peer) => new Promise<void>((resolve, reject) => peer.once('connect', resolve).once('error', reject)))),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`simple-peer did not connect in ${timeoutMs} ms`)), timeoutMs))),
    ])
  } catch (error) {
    close()
    throw error
  } finally {
    clearTimeout(timer)
  }
  return { initiator, receiver, close }
}
