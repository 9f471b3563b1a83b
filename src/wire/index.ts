// The wire codec's public surface: messages, frames, the stream splitter, the coalescer,
// their limits and their error.

export { WireError, type WireErrorCode } from './errors.js'
export * from './limits.js'
export {
  MESSAGE_TYPE_CODES,
  GoodbyeReason,
  StoreRejectReason,
  type AuthMessage,
  type DecodedMessage,
  type DhtRecord,
  type DirectAckMessage,
  type DirectMessage,
  type MeshSignalMessage,
  type FindNodeMessage,
  type FindValueMessage,
  type GoodbyeMessage,
  type HelloMessage,
  type IHaveMessage,
  type ImmutableRecord,
  type IWantMessage,
  type MessageOfType,
  type MessageRef,
  type MutableRecord,
  type NodesMessage,
  type PeerInfo,
  type PingMessage,
  type PongMessage,
  type PublishMessage,
  type StoreMessage,
  type StoreResultMessage,
  type SubscribeMessage,
  type UnknownMessage,
  type UnsubscribeMessage,
  type ValueMessage,
  type WireMessage,
  type WireMessageType,
} from './messages.js'
export { countEntries, decodeMessage, encodeMessage, type DecodeOptions, type StrictDecodeOptions, type UnknownTypePolicy } from './codec.js'
export { decodeFrame, encodeFrame, readFrameHeader, type FrameHeader } from './frame.js'
export { FrameDecoder, type FrameDecoderOptions } from './frame-decoder.js'
export { FrameCoalescer, prepareMessage, type EncodedMessage, type FlushTimers, type FrameCoalescerOptions } from './coalescer.js'
