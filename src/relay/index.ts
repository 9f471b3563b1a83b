// The relay layer's public surface: pub/sub by selective flooding over a PeerNetwork.

export { RelayError, type RelayErrorCode } from './errors.js'
export {
  DEFAULT_DEDUP_CAPACITY,
  DEFAULT_DEDUP_TTL_MS,
  DEFAULT_FANOUT,
  DEFAULT_GOSSIP_INTERVAL_MS,
  DEFAULT_IWANT_TIMEOUT_MS,
  DEFAULT_MAX_CACHE_BYTES,
  DEFAULT_MAX_CACHED_MESSAGES,
  DEFAULT_MAX_PENDING_WANTS,
  DEFAULT_MAX_SERVED_PER_IWANT,
  DEFAULT_MESSAGE_CACHE_MS,
  DEFAULT_MAX_PENDING_VERIFICATIONS,
  DEFAULT_MAX_REPLAY_ORIGINS,
  DEFAULT_MAX_SUBSCRIPTIONS,
  DEFAULT_MAX_TOPICS_PER_PEER,
  DEFAULT_TTL,
  MAX_PAYLOAD_BYTES,
  type RelayOptions,
  type SignatureVerifier,
} from './options.js'
export {
  Relay,
  RELAY_DROP_REASONS,
  type PublishNotSentReason,
  type PublishResult,
  type RelayDropReason,
  type RelayHandler,
  type RelayMessage,
  type RelayStats,
  type RelayValidator,
  type ValidationResult,
} from './relay.js'
export { PUBLISH_TAG } from './envelope.js'
export { REPLAY_WINDOW_SEQS } from './replay-window.js'
