// What a transport is, apart from any implementation. The memory transport implements these
// now; WebRTC and WebSocket transports implement them later, and the layers above (peers,
// wire) import only this file.
//
// A connection carries whole frames, reliably and in order, like a reliable ordered WebRTC
// data channel or a WebSocket: never a partial frame, never two frames merged.
//
// Events are single handler slots (onMessage, onClose, onDrain), not EventTarget: a frame
// event allocated per message costs more than the rest of the memory transport's delivery,
// and a connection has one owner (the connection manager) anyway. Handlers are only ever
// called from the transport's own callbacks (a clock timer, a socket event), never
// synchronously from inside a call the owner made, so calling send() or close() from a
// handler is safe.

export interface DialOptions {
  /** Aborting rejects the dial with TransportError('TRANSPORT_ABORTED') whose name is 'AbortError'. */
  signal?: AbortSignal
  /** Rejects with TransportError('TRANSPORT_TIMEOUT') when the connection is not up by then. */
  timeoutMs?: number
}

export interface Transport {
  /** 'memory', 'webrtc', 'websocket'. */
  readonly kind: string
  /** Where others dial this transport ('memory://alice', 'ws://host:port'). */
  readonly localAddress: string
  /**
   * Every address others can dial this transport at, best first, when it has more than one
   * (a TransportManager over several transports). Absent means `[localAddress]`.
   */
  readonly localAddresses?: readonly string[]
  /**
   * False where this transport cannot accept connections at all (a WebSocket transport in a
   * browser): a TransportManager then only dials with it. Absent means it can.
   */
  readonly canListen?: boolean
  /**
   * Of `addresses` (one peer's), those this transport can dial, best first; the rest are left
   * out. A node tries a peer's addresses in this order, so a later one is the fallback of an
   * earlier one. Absent: every address, in the order given.
   */
  dialOrder?(addresses: readonly string[]): string[]
  /**
   * Accepts inbound connections from now on, handing each to `onConnection`. Dials to a
   * transport that is not listening are refused. Rejects with TRANSPORT_INVALID_STATE when
   * already listening and TRANSPORT_CLOSED after close().
   */
  listen(onConnection: (connection: Connection) => void): Promise<void>
  /**
   * Opens a connection to `address`. Rejects with a TransportError: TRANSPORT_BAD_ADDRESS,
   * TRANSPORT_UNREACHABLE, TRANSPORT_TIMEOUT, TRANSPORT_ABORTED or TRANSPORT_CLOSED.
   */
  dial(address: string, options?: DialOptions): Promise<Connection>
  /**
   * Stops listening, rejects pending dials with TRANSPORT_CLOSED and closes every connection
   * (each gets its onClose). Idempotent.
   */
  close(): Promise<void>
}

/** Why a connection ended. */
export interface CloseInfo {
  /**
   * 'local': this side called close() (or closed its transport); 'remote': the other side
   * did; 'network': the link was reset under both (a crash, a NAT timeout, a simulated reset).
   */
  readonly initiator: 'local' | 'remote' | 'network'
  /** The reason given to close(), or one the transport chose; '' when none. */
  readonly reason: string
}

export type MessageHandler = (frame: Uint8Array) => void
export type CloseHandler = (info: CloseInfo) => void
export type DrainHandler = () => void

export interface Connection {
  /** Unique among this process's connections. */
  readonly id: string
  readonly localAddress: string
  readonly remoteAddress: string
  /** 'outbound' on the side that dialled. */
  readonly direction: 'inbound' | 'outbound'
  /** True until this side closes or learns that the connection closed. */
  readonly isOpen: boolean
  /** The largest frame send() accepts. */
  readonly maxMessageBytes: number
  /** Bytes accepted by send() and not yet handed to the network, as RTCDataChannel's. */
  readonly bufferedAmount: number
  /**
   * Queues one whole frame. Returns false when the buffer is now above the transport's
   * high-water mark: the frame is queued, but the caller should wait for onDrain before
   * sending more. Throws TransportError: TRANSPORT_CLOSED once closed, TRANSPORT_TOO_LARGE
   * above maxMessageBytes, TRANSPORT_BUFFER_FULL past the buffer's hard limit. The frame may
   * be reused once send() returns.
   */
  send(frame: Uint8Array): boolean
  /**
   * Sets the handler for arriving frames (replacing any previous one). Until a handler is set
   * arriving frames wait, in order, and are delivered once it is; so a connection can be
   * handed around before anybody reads it. The frame belongs to the handler.
   */
  onMessage(handler: MessageHandler): void
  /**
   * Sets the handler called once when the connection ends, whoever ended it. Set after the
   * connection ended, it is still called (soon, from the transport's callback).
   */
  onClose(handler: CloseHandler): void
  /** Sets the handler called when the buffer falls to the low-water mark after send() returned false. */
  onDrain(handler: DrainHandler): void
  /**
   * Read-side flow control, where the link has it: stops reading from the network, so the
   * sender is held back by the link's own flow control (TCP's window under a WebSocket, the
   * receive window of a MemoryNetwork) rather than this side spending time on frames it
   * would drop. A few frames already read may still arrive. Optional: a transport that cannot
   * stop reading (an RTCDataChannel) leaves it out. The node pauses a peer whose frames pass
   * its budget, until the budget refills.
   */
  pauseReading?(): void
  /** Reads again after pauseReading(). */
  resumeReading?(): void
  /**
   * Closes this side: frames already sent are still delivered, then the remote side sees its
   * onClose with initiator 'remote'; frames arriving from now on are dropped. Idempotent.
   */
  close(reason?: string): void
}
