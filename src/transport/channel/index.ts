// A transport Connection over one RTCDataChannel (browsers, node-datachannel), with
// coalescing, fragmentation and backpressure: what the WebRTC transport hands its owner.

export { ChannelConnection, CHANNEL_FAILED, CLOSED_WITHOUT_GOODBYE, REFUSED_BACKLOG, REFUSED_MALFORMED, REFUSED_TEXT, REFUSED_TOO_LARGE } from './connection.js'
export { checkChannelOptions, newChannelTraffic, DEFAULT_CHUNK_BYTES, DEFAULT_MAX_MESSAGE_BYTES } from './options.js'
export type { ChannelConnectionOptions, ChannelSettings, ChannelTraffic } from './options.js'
export type { ChannelErrorEvent, ChannelListener, ChannelMessageEvent, DataChannelLike, DataChannelState } from './data-channel.js'
