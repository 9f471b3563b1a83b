// The part of the W3C RTCDataChannel API a channel connection uses. The browser's own
// RTCDataChannel and node-datachannel's polyfill (`node-datachannel/polyfill`) both have it,
// and so does the fake channel of the tests.

export type DataChannelState = 'connecting' | 'open' | 'closing' | 'closed'

/**
 * Typed loosely on purpose: the DOM's RTCDataChannel and node-datachannel's type their events
 * differently, and both must fit; connection.ts reads them through ChannelMessageEvent and
 * ChannelErrorEvent.
 */
export type ChannelListener = (event: any) => void

export interface DataChannelLike {
  readonly readyState: DataChannelState | string
  /** Bytes handed to send() that the channel has not yet passed to the network. */
  readonly bufferedAmount: number
  /** 'bufferedamountlow' fires when bufferedAmount falls from above this to at most this. */
  bufferedAmountLowThreshold: number
  binaryType: string
  /** Copies the bytes before it returns, as the W3C send() does, so the caller may reuse them. */
  send(data: Uint8Array): void
  close(): void
  addEventListener(type: 'message' | 'bufferedamountlow' | 'close' | 'error', listener: ChannelListener): void
  removeEventListener(type: 'message' | 'bufferedamountlow' | 'close' | 'error', listener: ChannelListener): void
}

export interface ChannelMessageEvent {
  /** An ArrayBuffer with binaryType 'arraybuffer'; a string when the far side sent text. */
  readonly data: unknown
}

export interface ChannelErrorEvent {
  /** An RTCError in browsers and node-datachannel; its message says what failed. */
  readonly error?: unknown
}
