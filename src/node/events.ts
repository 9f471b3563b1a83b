// The node's events: a small typed wrapper over the platform's EventTarget, so listeners get
// a CustomEvent whose `detail` type follows from the event name, in browsers and Node alike.

import { describeValue } from '../util/validate.js'
import { MeshNodeError } from './errors.js'

/** A neighbour as the node's users see it (no send handle: sending goes through the node). */
export interface MeshPeer {
  /** SHA-256 of its public key, 32 bytes. */
  readonly id: Uint8Array
  /** Lowercase hex of `id`. */
  readonly peerKey: string
  readonly publicKey: Uint8Array
  /** Where it says it can be reached. */
  readonly addresses: readonly string[]
  /**
   * The far end of the connection this session runs over ('webrtc://…', 'ws://host:port'):
   * the address dialled, or where an inbound connection came from.
   */
  readonly remoteAddress: string
  readonly direction: 'inbound' | 'outbound'
  /** Negotiated protocol version and the capabilities both sides share. */
  readonly version: number
  readonly capabilities: readonly string[]
}

export interface BootstrapOutcome {
  /**
   * Bootstrap addresses a session was opened to. start() dials them in turn and stops at the
   * first session or redirect, so an address it never dialled, or whose dial was still under
   * way then, is in neither list.
   */
  readonly connected: readonly string[]
  /**
   * Bootstrap addresses no session was opened to, with the error's code and message:
   * TRANSPORT_BAD_ADDRESS (not an address this transport takes), PEER_UNREACHABLE (nothing
   * listens there, or silence after every retry), PEER_TOO_MANY_PEERS (full; its redirect was
   * followed), PEER_SELF, PEER_REFUSED, a HANDSHAKE_* refusal.
   */
  readonly failed: readonly { readonly address: string; readonly code: string; readonly message: string }[]
  /** Whether the DHT self-lookup ran (it needs at least one open session). */
  readonly isDhtJoined: boolean
  /**
   * Sessions opened at start to peers from the knownPeers store, dialled before any bootstrap
   * address; when there were any, the bootstrap addresses were not dialled (connected and
   * failed are then empty). 0 without a store.
   */
  readonly fromKnownPeers: number
}

export interface MeshNodeEventDetails {
  'peer:connect': MeshPeer
  'peer:disconnect': MeshPeer & { readonly reason: string }
  /** start() finished joining: which bootstrap addresses answered. */
  bootstrap: BootstrapOutcome
  /** Every bootstrap address given failed (the node runs, alone, until someone dials it). */
  'bootstrap:failed': BootstrapOutcome
  /**
   * The node has no session left (its last peer went, or start() joined nobody) but knows
   * addresses to try: it keeps dialling them, with backoff, until it has peers again.
   */
  isolated: { readonly knownPeers: number }
  /** An isolated node has peers again (and has rejoined the DHT through them). */
  rejoined: { readonly peers: number; readonly isolatedForMs: number; readonly rounds: number }
  started: undefined
  stopped: undefined
}

export type MeshNodeEventName = keyof MeshNodeEventDetails
export type MeshNodeEvent<E extends MeshNodeEventName> = CustomEvent<MeshNodeEventDetails[E]>
export type MeshNodeListener<E extends MeshNodeEventName> = (event: MeshNodeEvent<E>) => void

const EVENT_NAMES: ReadonlySet<string> = new Set<MeshNodeEventName>(['peer:connect', 'peer:disconnect', 'bootstrap', 'bootstrap:failed', 'isolated', 'rejoined', 'started', 'stopped'])

/** EventTarget with typed names and details; unknown names are refused, so typos fail loudly. */
export class MeshEventTarget {
  readonly #target = new EventTarget()

  addEventListener<E extends MeshNodeEventName>(type: E, listener: MeshNodeListener<E>, options?: boolean | AddEventListenerOptions): void {
    this.#target.addEventListener(checkName(type), checkListener(listener), options)
  }

  removeEventListener<E extends MeshNodeEventName>(type: E, listener: MeshNodeListener<E>, options?: boolean | EventListenerOptions): void {
    this.#target.removeEventListener(checkName(type), checkListener(listener), options)
  }

  protected emit<E extends MeshNodeEventName>(type: E, detail: MeshNodeEventDetails[E]): void {
    this.#target.dispatchEvent(new CustomEvent(type, { detail }))
  }
}

function checkName(type: unknown): string {
  if (typeof type !== 'string' || !EVENT_NAMES.has(type)) {
    throw new MeshNodeError('NODE_INVALID_ARGUMENT', `unknown event ${describeValue(type)}; expected one of ${[...EVENT_NAMES].join(', ')}`)
  }
  return type
}

function checkListener<E extends MeshNodeEventName>(listener: MeshNodeListener<E>): EventListener {
  if (typeof listener !== 'function') throw new MeshNodeError('NODE_INVALID_ARGUMENT', `an event listener must be a function, got ${describeValue(listener)}`)
  // The platform calls it with the CustomEvent we dispatched, which is what the type says.
  return listener as unknown as EventListener
}
