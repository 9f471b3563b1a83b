// DHT requests over peer sessions: reach a contact (its open session, or a lazy connect to its
// addresses), send a request with a fresh requestId and settle with the matching reply or a
// timeout on the injected clock. A request whose session closes does not wait for its timeout:
// it moves to the session that replaced it (two nodes that dialled each other at once keep one
// of the two) or fails at once. close() settles everything pending and clears every timer, so
// no promise hangs and no timer outlives the Dht.

import type { PeerNetwork, PeerSession } from '../peers/session.js'
import { PRIORITY_DHT } from '../peers/session.js'
import type { TimerHandle } from '../util/clock.js'
import type { FindNodeMessage, FindValueMessage, NodesMessage, StoreMessage, StoreResultMessage, ValueMessage } from '../wire/messages.js'
import { bytesEqual } from '../peers/identity.js'
import { DhtError } from './errors.js'

export type DhtRequest = FindNodeMessage | FindValueMessage | StoreMessage
export type DhtReply = NodesMessage | ValueMessage | StoreResultMessage

/** The reply type each request is answered with. */
type ReplyOf<R extends DhtRequest> = R extends FindNodeMessage ? NodesMessage : R extends FindValueMessage ? ValueMessage : StoreResultMessage
const REPLY_TYPE = { findNode: 'nodes', findValue: 'value', store: 'storeResult' } as const

/** Where a request goes: a peer id and the addresses to dial when no session is open. */
export interface RpcTarget {
  readonly id: Uint8Array
  readonly addresses: readonly string[]
}

interface Pending {
  /** The session the request went out on; the surviving one once it moved. */
  session: PeerSession
  readonly message: DhtRequest
  readonly replyType: DhtReply['type']
  readonly timer: TimerHandle
  resolve(reply: DhtReply): void
  reject(error: Error): void
}

export interface RpcCounters {
  requestsSent: number
  requestTimeouts: number
  connectFailures: number
  unmatchedReplies: number
  /** Requests re-sent on the session that replaced the closed one they were waiting on. */
  requestsMoved: number
  /** Requests failed at once because their session closed and none replaced it. */
  requestsLostToClose: number
}

/** Errors of requests whose session closed under them: no sign that the peer itself failed. */
const sessionLosses = new WeakSet<Error>()

function sessionLoss(error: DhtError): DhtError {
  sessionLosses.add(error)
  return error
}

/** True when `error` rejected a request whose session closed before its reply (the peer may be fine). */
export function isSessionLoss(error: unknown): boolean {
  return error instanceof Error && sessionLosses.has(error)
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

export class Rpc {
  readonly counters: RpcCounters = { requestsSent: 0, requestTimeouts: 0, connectFailures: 0, unmatchedReplies: 0, requestsMoved: 0, requestsLostToClose: 0 }
  private readonly pending = new Map<number, Pending>()
  /** Settlers of connects in flight: called by close(). */
  private readonly connecting = new Set<() => void>()
  private readonly stopListening: () => void
  private nextRequestId: number
  private isClosed = false

  constructor(private readonly network: PeerNetwork, private readonly timeoutMs: number) {
    this.nextRequestId = network.random.nextU32()
    this.stopListening = network.on('peer:disconnect', (session, reason) => this.onSessionClosed(session, reason))
  }

  /** Sends `request` (without its requestId) to `target`; resolves with the reply and the session it came on, rejects with DhtError. */
  async request<R extends DhtRequest>(target: RpcTarget, request: DistributiveOmit<R, 'requestId'>): Promise<{ session: PeerSession; reply: ReplyOf<R> }> {
    const dialled = await this.sessionFor(target)
    this.checkOpen()
    // The session may have been replaced while the connect settled.
    const session = dialled.isOpen ? dialled : this.network.peer(target.id)
    if (session === undefined || !session.isOpen) {
      throw sessionLoss(new DhtError('DHT_UNREACHABLE', `${request.type} to ${dialled.peerKey.slice(0, 16)} not sent: its session closed as it connected`))
    }
    const requestId = this.allocateRequestId()
    const message = { ...request, requestId } as DhtRequest
    let pending: Pending | undefined
    const reply = await new Promise<DhtReply>((resolve, reject) => {
      const timer = this.network.clock.setTimeout(() => {
        this.pending.delete(requestId)
        this.counters.requestTimeouts++
        reject(new DhtError('DHT_TIMEOUT', `${message.type} to ${session.peerKey.slice(0, 16)} got no reply within ${this.timeoutMs} ms`))
      }, this.timeoutMs)
      pending = { session, message, replyType: REPLY_TYPE[message.type], timer, resolve, reject }
      this.pending.set(requestId, pending)
      this.counters.requestsSent++
      this.sendOrFail(requestId, pending)
    })
    return { session: (pending as Pending).session, reply: reply as ReplyOf<R> }
  }

  /** Delivers a reply to its request; false when nothing waits for it (late, unknown or from another peer). */
  handleReply(session: PeerSession, reply: DhtReply): boolean {
    const pending = this.pending.get(reply.requestId)
    if (pending === undefined || pending.session.peerKey !== session.peerKey || pending.replyType !== reply.type) {
      this.counters.unmatchedReplies++
      return false
    }
    this.settle(reply.requestId)?.resolve(reply)
    return true
  }

  /** Rejects every pending request and connect with DHT_NOT_RUNNING, clears their timers and stops listening. */
  close(): void {
    if (this.isClosed) return
    this.isClosed = true
    this.stopListening()
    for (const requestId of [...this.pending.keys()]) {
      this.settle(requestId)?.reject(new DhtError('DHT_NOT_RUNNING', 'the DHT was stopped while a request was in flight'))
    }
    for (const cancel of [...this.connecting]) cancel()
  }

  get pendingCount(): number {
    return this.pending.size
  }

  /** Internal, for tests and the simulator (src/node/sizes.ts). */
  sizes(): Record<string, number> {
    return { rpcPending: this.pending.size, rpcConnecting: this.connecting.size }
  }

  /**
   * The requests waiting on `closed` move to the peer's surviving session, or fail. When a
   * duplicate connection replaces a session, the peers layer announces the close first and
   * admits the survivor in the same task, so it is looked up after a microtask.
   */
  private onSessionClosed(closed: PeerSession, reason: string): void {
    const stranded: number[] = []
    for (const [requestId, pending] of this.pending) if (pending.session === closed) stranded.push(requestId)
    if (stranded.length === 0) return
    queueMicrotask(() => {
      if (this.isClosed) return
      const survivor = this.network.peer(closed.peerId)
      const isMoving = survivor !== undefined && survivor !== closed && survivor.isOpen
      for (const requestId of stranded) {
        const pending = this.pending.get(requestId)
        // Answered or timed out meanwhile.
        if (pending === undefined || pending.session !== closed) continue
        if (isMoving) {
          this.counters.requestsMoved++
          pending.session = survivor
          this.sendOrFail(requestId, pending)
        } else {
          this.counters.requestsLostToClose++
          this.settle(requestId)?.reject(sessionLoss(new DhtError('DHT_UNREACHABLE', `${pending.message.type} to ${closed.peerKey.slice(0, 16)} lost its session (${reason}) before a reply`)))
        }
      }
    })
  }

  /** Sends a pending request on its session; rejects it at once when the session refuses it. */
  private sendOrFail(requestId: number, pending: Pending): void {
    const { session, message } = pending
    if (session.send(message, PRIORITY_DHT)) return
    const error = new DhtError('DHT_UNREACHABLE', `${message.type} to ${session.peerKey.slice(0, 16)} not sent: ${session.isOpen ? 'its outgoing queue is full' : 'its session is closed'}`)
    this.settle(requestId)?.reject(session.isOpen ? error : sessionLoss(error))
  }

  private settle(requestId: number): Pending | undefined {
    const pending = this.pending.get(requestId)
    if (pending === undefined) return undefined
    this.pending.delete(requestId)
    this.network.clock.clearTimeout(pending.timer)
    return pending
  }

  private allocateRequestId(): number {
    let id = this.nextRequestId
    while (this.pending.has(id)) id = (id + 1) >>> 0
    this.nextRequestId = (id + 1) >>> 0
    return id
  }

  private checkOpen(): void {
    if (this.isClosed) throw new DhtError('DHT_NOT_RUNNING', 'the DHT is stopped')
  }

  /** The open session to target, or a new one from its addresses (tried in order). */
  private async sessionFor(target: RpcTarget): Promise<PeerSession> {
    this.checkOpen()
    const open = this.network.peer(target.id)
    if (open !== undefined && open.isOpen) return open
    let lastError: unknown
    for (const address of this.network.dialOrder?.(target.addresses) ?? target.addresses) {
      try {
        // Transient: a lookup step asks whoever it finds, and the session closes once idle.
        const session = await this.dial(address, target.id, true)
        if (!bytesEqual(session.peerId, target.id)) throw new DhtError('DHT_UNREACHABLE', `${address} answered as another peer`)
        return session
      } catch (error) {
        this.checkOpen()
        lastError = error
      }
    }
    this.counters.connectFailures++
    throw new DhtError('DHT_UNREACHABLE', `no session to the peer and none of its ${target.addresses.length} addresses connected`, { cause: lastError })
  }

  /** network.connect bounded by the request timeout and by close(). */
  dial(address: string, expectedPeerId?: Uint8Array, isTransient = false): Promise<PeerSession> {
    if (this.isClosed) return Promise.reject(new DhtError('DHT_NOT_RUNNING', 'the DHT is stopped'))
    const controller = new AbortController()
    return new Promise<PeerSession>((resolve, reject) => {
      let isDone = false
      const finish = (error: Error | undefined, session?: PeerSession) => {
        if (isDone) return
        isDone = true
        this.network.clock.clearTimeout(timer)
        this.connecting.delete(cancel)
        if (error !== undefined) {
          controller.abort(error)
          reject(error)
        } else {
          resolve(session as PeerSession)
        }
      }
      const cancel = () => finish(new DhtError('DHT_NOT_RUNNING', 'the DHT was stopped while connecting'))
      const timer = this.network.clock.setTimeout(
        () => finish(new DhtError('DHT_TIMEOUT', `connecting to ${address} took longer than ${this.timeoutMs} ms`)),
        this.timeoutMs,
      )
      this.connecting.add(cancel)
      this.network.connect(address, { expectedPeerId, signal: controller.signal, isTransient }).then(
        (session) => finish(undefined, session),
        (error: unknown) => finish(error instanceof Error ? error : new DhtError('DHT_UNREACHABLE', String(error))),
      )
    })
  }
}
