// One RTCPeerConnection between this transport and one remote, from the first offer to the
// last close: the offer/answer exchange, trickle ICE, the one data channel, ICE restarts,
// and teardown. The transport routes signals to it by (remote id, connection id).
//
// Connect time. node-datachannel's loopback connects took ~1 s about half the time, because
// the answerer's DTLS ClientHello reached the offerer before the offerer had applied the
// answer: the answerer's ICE checks were answered (the offerer's trickled candidates had
// reached it), it went 'connected' and started DTLS as the client (it answers
// a=setup:active), the offerer had no DTLS transport yet and dropped the hello, and DTLS
// retransmits after 1 s (docs/dependencies.md, bench/webrtc-connect.ts). So the dialler
// holds back its own candidates until it has applied the answer: the answerer cannot
// connect before the offerer can take its hello.

import type { Clock, TimerHandle } from '../../util/clock.js'
import { describeValue } from '../../util/validate.js'
import { ChannelConnection, type ChannelTraffic } from '../channel/index.js'
import { TransportAbortError, TransportError } from '../errors.js'
import type { WebRtcSettings } from './options.js'
import type { IceCandidateLike, PeerConnectionLike, PeerDataChannel } from './peer-connection.js'
import type { CandidateSignal, DescriptionSignal, SignalMessage } from './signaling.js'

/** Counts of one transport's negotiations and signals. */
export interface WebRtcCounters {
  /** RTCPeerConnections created, failed attempts included (Chrome allows a tab about 500 over its lifetime). */
  peerConnectionsCreated: number
  signalsSent: number
  signalsReceived: number
  /** Signals dropped: not an object of a known type, a field of the wrong type, a bad id. */
  signalsMalformed: number
  /** Signals dropped: a field over its bound (SDP over maxSdpLength, a candidate over 1,024). */
  signalsOversized: number
  /** Signals dropped: for a connection this transport does not have, or of a kind its side never takes. */
  signalsUnknown: number
  /** Signals the peer connection refused (an SDP or candidate it could not apply). */
  signalsRejected: number
  /** Offers refused: not listening, or maxPendingAccepts negotiating already, or not announced by a knock. */
  offersRefused: number
  /** Knocks this transport sent (one per dial), and those it refused (not listening, full, over budget). */
  knocksSent: number
  knocksRefused: number
  /**
   * Knocks refused because this side was knocking on the same peer at that moment (glare): the
   * side with the smaller signaling id keeps its dial, so the two make one peer connection,
   * not two. Also counted in knocksRefused.
   */
  glareRefusals: number
  /** Dials that made way for the remote's dial to us (glare): each rejected with TRANSPORT_GLARE once that connection opened. */
  glareYields: number
  /** Dials and knocks refused for the budget of peer connections (maxPeerConnections). */
  overBudget: number
  iceRestarts: number
  /** Connections closed because ICE did not come back within the restarts allowed. */
  iceGaveUp: number
}

export function newWebRtcCounters(): WebRtcCounters {
  return {
    peerConnectionsCreated: 0, signalsSent: 0, signalsReceived: 0, signalsMalformed: 0, signalsOversized: 0,
    signalsUnknown: 0, signalsRejected: 0, offersRefused: 0, knocksSent: 0, knocksRefused: 0, glareRefusals: 0, glareYields: 0, overBudget: 0, iceRestarts: 0, iceGaveUp: 0,
  }
}

/** What a peer needs from its transport. */
export interface PeerOwner {
  readonly settings: WebRtcSettings
  readonly localAddress: string
  readonly counters: WebRtcCounters
  readonly traffic: ChannelTraffic
  signal(toId: string, message: SignalMessage): void
  /** The data channel is open and wrapped; an inbound one goes to the listener. */
  opened(peer: WebRtcPeer, connection: ChannelConnection): void
  /** Nothing of this peer is left: its peer connection is closed, its timers and listeners gone. */
  released(peer: WebRtcPeer): void
}

/** Why a connection ended when ICE did not come back. */
export const ICE_GAVE_UP = 'ICE did not reconnect'
/** Remote candidates kept while the remote description is not applied yet; more are dropped. */
const MAX_EARLY_CANDIDATES = 64
const CHANNEL_LABEL = 'wasmesh'

export class WebRtcPeer {
  connection: ChannelConnection | undefined
  /** Resolves once released. */
  readonly gone: Promise<void>

  private readonly clock: Clock
  private channel: PeerDataChannel | undefined
  /** Serializes the peer connection's asynchronous calls, so candidates follow their description. */
  private work: Promise<void> = Promise.resolve()
  private hasRemoteDescription = false
  private readonly earlyCandidates: IceCandidateLike[] = []
  /** The dialler's own candidates, held until it applied the answer (see the top of this file). */
  private heldCandidates: CandidateSignal[] | undefined
  private connectTimer: TimerHandle | undefined
  private iceTimer: TimerHandle | undefined
  private lingerTimer: TimerHandle | undefined
  private iceAttempts = 0
  private isSettled = false
  private isReleased = false
  private resolveGone!: () => void
  private resolveDial: ((connection: ChannelConnection) => void) | undefined
  private rejectDial: ((error: Error) => void) | undefined
  private signalToAbort: AbortSignal | undefined

  constructor(
    private readonly owner: PeerOwner,
    private readonly pc: PeerConnectionLike,
    readonly remoteId: string,
    readonly connectionId: string,
    readonly direction: 'inbound' | 'outbound',
    readonly remoteAddress: string,
  ) {
    this.clock = owner.settings.clock
    this.gone = new Promise((resolve) => (this.resolveGone = resolve))
    pc.addEventListener('icecandidate', this.onIceCandidate)
    pc.addEventListener('iceconnectionstatechange', this.onIceState)
    pc.addEventListener('connectionstatechange', this.onConnectionState)
    if (direction === 'inbound') pc.addEventListener('datachannel', this.onDataChannel)
  }

  /** Starts an outbound connection: the channel, the offer, the timeout and the abort. */
  dial(timeoutMs: number, signal: AbortSignal | undefined, resolve: (connection: ChannelConnection) => void, reject: (error: Error) => void): void {
    this.resolveDial = resolve
    this.rejectDial = reject
    this.armConnectTimer(timeoutMs, () => new TransportError('TRANSPORT_TIMEOUT', `dial from ${this.owner.localAddress} to ${this.remoteAddress} did not connect in ${timeoutMs} ms`))
    if (signal !== undefined) {
      this.signalToAbort = signal
      signal.addEventListener('abort', this.onAbort, { once: true })
    }
    const channel = this.pc.createDataChannel(CHANNEL_LABEL, { ordered: true })
    this.watchChannel(channel)
    this.heldCandidates = []
    this.enqueue(async () => {
      const offer = await this.pc.createOffer()
      if (this.isSettled) return
      await this.pc.setLocalDescription(offer)
      if (this.isSettled) return
      this.send({ type: 'offer', connectionId: this.connectionId, sdp: offer.sdp ?? '' })
    }, (error) => this.fail(new TransportError('TRANSPORT_UNREACHABLE', `dial from ${this.owner.localAddress} to ${this.remoteAddress} could not make an offer: ${describeError(error)}`, { cause: error })))
  }

  /** Starts an inbound connection from its offer. */
  accept(offer: DescriptionSignal): void {
    this.armConnectTimer(this.owner.settings.connectTimeoutMs, () => new TransportError('TRANSPORT_TIMEOUT', `inbound connection from ${this.remoteAddress} did not open in time`))
    this.answer(offer.sdp)
  }

  /** A signal for this connection. */
  handle(message: SignalMessage): void {
    const counters = this.owner.counters
    switch (message.type) {
      case 'knock':
      case 'ready':
        counters.signalsUnknown++ // a connection under way has knocked already
        return
      case 'candidate':
        if (this.isReleased) return
        this.addRemoteCandidate({ candidate: message.candidate, sdpMid: message.sdpMid, sdpMLineIndex: message.sdpMLineIndex })
        return
      case 'answer':
        if (this.direction !== 'outbound' || this.heldCandidates === undefined) {
          counters.signalsUnknown++
          return
        }
        this.enqueue(async () => {
          await this.pc.setRemoteDescription({ type: 'answer', sdp: message.sdp })
          this.remoteDescriptionApplied()
          const held = this.heldCandidates ?? []
          this.heldCandidates = undefined
          for (const candidate of held) this.send(candidate)
        }, (error) => {
          this.rejected(error)
          // An answer we cannot apply ends a dial at once; on an open connection it was a restart's, and the restart's timer goes on.
          if (this.connection === undefined) this.fail(new TransportError('TRANSPORT_UNREACHABLE', `${this.remoteAddress} answered ${this.owner.localAddress} with an SDP it cannot apply: ${describeError(error)}`, { cause: error }))
        })
        return
      case 'offer':
        // A second offer is an ICE restart from the dialler.
        if (this.direction !== 'inbound' || this.connection === undefined) {
          counters.signalsUnknown++
          return
        }
        this.answer(message.sdp)
        return
      case 'bye':
        // Once open, the data channel says when the connection ends, not a signal anybody could forge.
        if (this.connection !== undefined) return
        this.fail(new TransportError('TRANSPORT_UNREACHABLE', `${this.remoteAddress} refused the connection from ${this.owner.localAddress}: ${message.reason}`), false)
    }
  }

  /**
   * Ends a connection that is not open yet: rejects a dial with `error`, tells the far side
   * (unless it told us), and releases everything. Idempotent; does nothing once open.
   */
  fail(error: TransportError, shouldTellRemote = true): void {
    if (this.isSettled) return
    this.isSettled = true
    this.clearConnectTimer()
    if (shouldTellRemote) this.send({ type: 'bye', connectionId: this.connectionId, reason: error.code === 'TRANSPORT_ABORTED' ? 'aborted' : error.message.slice(0, 200) })
    const reject = this.rejectDial
    this.rejectDial = undefined
    this.resolveDial = undefined
    this.release()
    reject?.(error)
  }

  /** Closes an open connection (goodbye in-band), or fails one still negotiating; resolves once released. */
  shutdown(reason: string): Promise<void> {
    if (this.connection !== undefined) this.connection.close(reason)
    else this.fail(new TransportError('TRANSPORT_CLOSED', `transport ${this.owner.localAddress} closed while connecting to ${this.remoteAddress}`))
    return this.gone
  }

  // -------------------------------------------------------------------------------------
  // Negotiation

  private answer(sdp: string): void {
    this.enqueue(async () => {
      await this.pc.setRemoteDescription({ type: 'offer', sdp })
      this.remoteDescriptionApplied()
      const answer = await this.pc.createAnswer()
      if (this.isReleased) return
      await this.pc.setLocalDescription(answer)
      if (this.isReleased) return
      this.send({ type: 'answer', connectionId: this.connectionId, sdp: answer.sdp ?? '' })
    }, (error) => {
      this.rejected(error)
      if (this.connection === undefined) this.fail(new TransportError('TRANSPORT_UNREACHABLE', `could not answer ${this.remoteAddress}: ${describeError(error)}`))
    })
  }

  private remoteDescriptionApplied(): void {
    if (this.isReleased || this.hasRemoteDescription) return
    this.hasRemoteDescription = true
    for (const candidate of this.earlyCandidates.splice(0)) this.addRemoteCandidate(candidate)
  }

  private addRemoteCandidate(candidate: IceCandidateLike): void {
    if (!this.hasRemoteDescription) {
      if (this.earlyCandidates.length < MAX_EARLY_CANDIDATES) this.earlyCandidates.push(candidate)
      else this.owner.counters.signalsRejected++
      return
    }
    this.enqueue(() => this.pc.addIceCandidate(candidate), (error) => this.rejected(error))
  }

  private readonly onIceCandidate = (event: { candidate?: IceCandidateLike | null }): void => {
    const candidate = event.candidate
    if (this.isReleased || candidate == null || !candidate.candidate) return // null: gathering is complete
    const message: CandidateSignal = {
      type: 'candidate',
      connectionId: this.connectionId,
      candidate: candidate.candidate,
      sdpMid: candidate.sdpMid ?? null,
      sdpMLineIndex: candidate.sdpMLineIndex ?? (candidate.sdpMid == null ? 0 : null),
    }
    if (this.heldCandidates !== undefined) this.heldCandidates.push(message)
    else this.send(message)
  }

  private enqueue(task: () => Promise<void>, onError: (error: unknown) => void): void {
    this.work = this.work.then(() => (this.isReleased ? undefined : task())).catch((error: unknown) => {
      if (!this.isReleased) onError(error)
    })
  }

  private rejected(error: unknown): void {
    void error // an SDP or candidate the far side sent that our peer connection refused: counted, not thrown
    this.owner.counters.signalsRejected++
  }

  private send(message: SignalMessage): void {
    this.owner.counters.signalsSent++
    this.owner.signal(this.remoteId, message)
  }

  // -------------------------------------------------------------------------------------
  // Opening

  private readonly onDataChannel = (event: { channel: PeerDataChannel }): void => {
    const channel = event.channel
    if (this.channel !== undefined || this.isSettled) {
      channel.close() // one channel a connection; anything more from the far side is refused
      return
    }
    this.watchChannel(channel)
    if (channel.readyState === 'open') this.onChannelOpen()
  }

  private watchChannel(channel: PeerDataChannel): void {
    this.channel = channel
    channel.addEventListener('open', this.onChannelOpen)
  }

  private readonly onChannelOpen = (): void => {
    const channel = this.channel as PeerDataChannel
    channel.removeEventListener('open', this.onChannelOpen)
    if (this.isSettled) return
    this.isSettled = true
    this.clearConnectTimer()
    const settings = this.owner.settings
    // A chunk never exceeds what the far side takes in one message (its SDP max-message-size).
    const remoteMax = this.pc.sctp?.maxMessageSize ?? 0
    const chunkBytes = settings.channel.chunkBytes ?? 16_384
    const connection = new ChannelConnection(channel, {
      ...settings.channel,
      chunkBytes: remoteMax >= 256 ? Math.min(chunkBytes, remoteMax) : chunkBytes,
      localAddress: this.owner.localAddress,
      remoteAddress: this.remoteAddress,
      direction: this.direction,
      traffic: this.owner.traffic,
      closeTimeoutMs: settings.closeTimeoutMs,
      clock: this.clock,
    })
    this.connection = connection
    void connection.gone.then(() => this.release())
    const resolve = this.resolveDial
    this.resolveDial = undefined
    this.rejectDial = undefined
    this.owner.opened(this, connection)
    resolve?.(connection)
  }

  private armConnectTimer(timeoutMs: number, error: () => TransportError): void {
    this.connectTimer = this.clock.setTimeout(() => {
      this.connectTimer = undefined
      this.fail(error())
    }, timeoutMs)
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== undefined) this.clock.clearTimeout(this.connectTimer)
    this.connectTimer = undefined
    this.signalToAbort?.removeEventListener('abort', this.onAbort)
    this.signalToAbort = undefined
  }

  private readonly onAbort = (): void => {
    const reason = this.signalToAbort?.reason
    this.fail(new TransportAbortError(`dial from ${this.owner.localAddress} to ${this.remoteAddress} was aborted`, { cause: reason }))
  }

  // -------------------------------------------------------------------------------------
  // ICE restarts and the end

  private readonly onConnectionState = (): void => {
    const state = this.pc.connectionState
    if (state === 'failed' && this.connection === undefined) {
      this.fail(new TransportError('TRANSPORT_UNREACHABLE', `dial from ${this.owner.localAddress} to ${this.remoteAddress} failed: no ICE candidate pair or DTLS handshake worked`))
    } else if (state === 'closed') {
      this.connection?.reset('the peer connection closed')
    }
  }

  private readonly onIceState = (): void => {
    const state = this.pc.iceConnectionState
    if (state === 'connected' || state === 'completed') {
      this.iceAttempts = 0
      this.clearIceTimer()
      return
    }
    if ((state === 'disconnected' || state === 'failed') && this.connection?.isOpen === true && this.iceTimer === undefined) this.recoverIce()
  }

  /**
   * ICE lost its path on an open connection. The dialler restarts ICE (a new offer with new
   * credentials) up to maxIceRestarts times, iceRestartTimeoutMs apart; the listener only
   * answers those offers, waiting as long. If ICE is not back by then, the connection closes
   * with initiator 'network'. Chrome reports 'failed' only 15-30 s after 'disconnected', so
   * 'disconnected' starts this.
   */
  private recoverIce(): void {
    const { maxIceRestarts, iceRestartTimeoutMs } = this.owner.settings
    const connection = this.connection
    if (connection === undefined || !connection.isOpen) return
    if (this.iceAttempts >= maxIceRestarts) {
      this.owner.counters.iceGaveUp++
      connection.reset(`${ICE_GAVE_UP} after ${maxIceRestarts} restart${maxIceRestarts === 1 ? '' : 's'}`)
      return
    }
    this.iceAttempts++
    this.iceTimer = this.clock.setTimeout(() => {
      this.iceTimer = undefined
      const state = this.pc.iceConnectionState
      if (state !== 'connected' && state !== 'completed') this.recoverIce()
    }, iceRestartTimeoutMs)
    if (this.direction === 'outbound') this.restartIce()
  }

  private restartIce(): void {
    this.owner.counters.iceRestarts++
    this.enqueue(async () => {
      await this.pc.restartIce?.()
      const offer = await this.pc.createOffer({ iceRestart: true })
      if (this.isReleased) return
      this.heldCandidates ??= []
      await this.pc.setLocalDescription(offer)
      if (this.isReleased) return
      this.send({ type: 'offer', connectionId: this.connectionId, sdp: offer.sdp ?? '' })
    }, () => {
      // This RTCPeerConnection cannot restart ICE (node-datachannel's polyfill): the attempt
      // still waits out its time, in case ICE comes back by itself.
      this.heldCandidates = undefined
    })
  }

  private clearIceTimer(): void {
    if (this.iceTimer !== undefined) this.clock.clearTimeout(this.iceTimer)
    this.iceTimer = undefined
  }

  /** Closes the peer connection once the data channel is gone (or was never opened). */
  private release(): void {
    if (this.isReleased) return
    this.isReleased = true
    this.clearConnectTimer()
    this.clearIceTimer()
    if (this.lingerTimer !== undefined) this.clock.clearTimeout(this.lingerTimer)
    this.lingerTimer = undefined
    const pc = this.pc
    pc.removeEventListener('icecandidate', this.onIceCandidate)
    pc.removeEventListener('iceconnectionstatechange', this.onIceState)
    pc.removeEventListener('connectionstatechange', this.onConnectionState)
    pc.removeEventListener('datachannel', this.onDataChannel)
    this.channel?.removeEventListener('open', this.onChannelOpen)
    this.earlyCandidates.length = 0
    this.heldCandidates = undefined
    // A channel that never opened has no ChannelConnection to close it, and node-datachannel keeps
    // the process alive for a native channel that was not closed, even under a closed peer connection.
    if (this.connection === undefined) this.closeQuietly(this.channel)
    try {
      pc.close()
    } catch {
      // Closing a peer connection that is closed already may throw in some implementations; it is closed either way.
    }
    this.owner.released(this)
    this.resolveGone()
  }

  private closeQuietly(channel: PeerDataChannel | undefined): void {
    try {
      channel?.close()
    } catch {
      // A channel of a peer connection that is closed already may throw; it is closed either way.
    }
  }

  /**
   * The backstop of a closing connection: ChannelConnection closes its channel itself
   * closeTimeoutMs after its goodbye if the far side has not; should the channel still not
   * report closed by twice that, the peer connection is closed under it.
   */
  lingerAfterClose(): void {
    if (this.isReleased || this.lingerTimer !== undefined) return
    this.lingerTimer = this.clock.setTimeout(() => {
      this.lingerTimer = undefined
      this.connection?.reset('the data channel did not close in time')
      this.release()
    }, 2 * this.owner.settings.closeTimeoutMs)
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : describeValue(error)
}
