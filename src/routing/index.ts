// The routing layer: direct messages to any peer id (direct, DHT-greedy, flood fallback).

export { Router } from './router.js'
export type { RoutePath, RoutedMessage, RoutedMessageHandler, RouterStats, RoutingDropReason, SendResult } from './router.js'
export { ROUTING_DROP_REASONS } from './router.js'
export { RoutingError } from './errors.js'
export type { RoutingErrorCode } from './errors.js'
export { sendBoundMs } from './options.js'
export type { ClosestPeers, RouterOptions, SignatureVerifier } from './options.js'
