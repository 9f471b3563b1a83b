// Compiled by `npm run typecheck` (tsconfig includes test/), never run: a user can import and
// name the types of the node's methods, options, events and results from 'wasmesh' (here
// through src/index.ts, which dist/types/index.d.ts is built from). test/public-types.test.ts
// checks the rest of the surface mechanically.

import type {
  BootstrapOutcome,
  DhtOperation,
  GetOptions,
  MemoryEstimate,
  MeshDht,
  MeshDhtOptions,
  MeshNode,
  MeshNodeErrorCode,
  MeshNodeEvent,
  MeshNodeEventDetails,
  MeshNodeEventName,
  MeshNodeListener,
  MeshNodeOptions,
  MeshNodeStats,
  MeshPeer,
  MeshPeersOptions,
  MeshRelayOptions,
  OperationTimings,
  PutOptions,
  PublishNotSentReason,
  PublishResult,
  PutResult,
  RelayHandler,
  RelayMessage,
  RelayValidator,
  RoutedMessage,
  RoutedMessageHandler,
  RoutePath,
  SendResult,
  SignatureVerifier,
  StartOptions,
  UpkeepStats,
  ValidationResult,
  WaitForSubscribersOptions,
} from '../src/index.js'

// A handler annotated with the names a user would write.
export const onChat: RelayHandler = (message: RelayMessage) => void message.data
export const onDirect: RoutedMessageHandler = (message: RoutedMessage) => void message.data
export const allowAll: RelayValidator = (): ValidationResult => 'accept'
export const onConnect: MeshNodeListener<'peer:connect'> = (event: MeshNodeEvent<'peer:connect'>) => void (event.detail satisfies MeshPeer)
export const verifyNothing: SignatureVerifier = () => false

export type Named = [
  BootstrapOutcome, DhtOperation, GetOptions, MemoryEstimate, MeshDht, MeshDhtOptions, MeshNodeErrorCode,
  MeshNodeEventDetails, MeshNodeEventName, MeshNodeOptions, MeshNodeStats, MeshPeersOptions, MeshRelayOptions,
  OperationTimings, PutOptions, PutResult, RoutePath, SendResult, UpkeepStats, PublishResult, PublishNotSentReason,
  StartOptions, WaitForSubscribersOptions, Awaited<ReturnType<MeshNode['publish']>>,
  Awaited<ReturnType<MeshNode['send']>>, Awaited<ReturnType<MeshNode['dht']['put']>>,
]
