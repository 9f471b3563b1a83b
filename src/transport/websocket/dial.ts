// One WebSocket dial in progress: resolves when the socket opens, and rejects on refusal,
// timeout, abort or the transport closing, after which the half-open socket is torn down.

import { TransportAbortError, TransportError } from '../errors.js'
import type { SocketErrorEvent, WebSocketLike } from './socket.js'

/** What a dial needs from its transport. */
export interface DialOwner {
  readonly localAddress: string
  /** Wraps the opened socket as the outbound connection. */
  adopt(socket: WebSocketLike, address: string): unknown
  /** The dial is over; `socket` (if any) is being torn down, and `closed` says when it is gone. */
  settled(dial: PendingWebSocketDial, closed: Promise<void> | undefined): void
}

export class PendingWebSocketDial {
  private socket: WebSocketLike | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private isSettled = false
  private isSocketClosed = false
  private resolveClosed: (() => void) | undefined

  constructor(
    private readonly owner: DialOwner,
    private readonly address: string,
    private readonly timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (connection: unknown) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  /** Opens the socket (which may throw, before anything is armed), then the timeout and the abort. */
  start(open: (url: string) => WebSocketLike): void {
    const socket = open(this.address)
    this.socket = socket
    socket.addEventListener('open', this.onOpen)
    socket.addEventListener('error', this.onError)
    socket.addEventListener('close', this.onClose)
    this.signal?.addEventListener('abort', this.onAbort, { once: true })
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.fail(new TransportError('TRANSPORT_TIMEOUT', `dial from ${this.owner.localAddress} to ${this.address} got no answer in ${this.timeoutMs} ms`))
    }, this.timeoutMs)
  }

  /** Rejects, and tears the socket down if it is still there. */
  fail(error: Error): void {
    if (this.isSettled) return
    const socket = this.settle()
    let closed: Promise<void> | undefined
    if (socket !== undefined && !this.isSocketClosed) {
      closed = new Promise<void>((resolve) => (this.resolveClosed = resolve))
      if (socket.terminate !== undefined) socket.terminate()
      else socket.close()
    }
    this.owner.settled(this, closed)
    this.reject(error)
  }

  private readonly onOpen = (): void => {
    if (this.isSettled) return
    const socket = this.settle() as WebSocketLike
    this.detach(socket)
    socket.removeEventListener('error', this.onError)
    this.owner.settled(this, undefined)
    this.resolve(this.owner.adopt(socket, this.address))
  }

  private readonly onError = (event: SocketErrorEvent): void => {
    this.fail(new TransportError('TRANSPORT_UNREACHABLE', `dial from ${this.owner.localAddress} to ${this.address} failed: ${describeError(event.error)}`, { cause: event.error }))
  }

  private readonly onClose = (): void => {
    this.isSocketClosed = true
    if (this.socket !== undefined) this.detach(this.socket)
    this.fail(new TransportError('TRANSPORT_UNREACHABLE', `dial from ${this.owner.localAddress} to ${this.address} was refused`))
    this.resolveClosed?.()
  }

  private readonly onAbort = (): void => {
    const signal = this.signal as AbortSignal
    this.fail(new TransportAbortError(`dial from ${this.owner.localAddress} to ${this.address} was aborted`, { cause: signal.reason }))
  }

  private settle(): WebSocketLike | undefined {
    this.isSettled = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.signal?.removeEventListener('abort', this.onAbort)
    return this.socket
  }

  /** 'error' stays until the socket is closed: ws reports a torn-down handshake as one, and an unheard error throws. */
  private detach(socket: WebSocketLike): void {
    socket.removeEventListener('open', this.onOpen)
    socket.removeEventListener('close', this.onClose)
    if (this.isSocketClosed) socket.removeEventListener('error', this.onError)
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : 'the connection failed'
}
