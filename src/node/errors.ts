// Errors of the mesh node facade: bad options or arguments at the public boundary, calls in
// the wrong lifecycle state, waits that ran out or were cancelled, and a start() that could
// reach no bootstrap address. Errors of the layers below pass through with their own codes.

import { WasmeshError } from '../util/wasmesh-error.js'
import type { BootstrapOutcome } from './events.js'

export type MeshNodeErrorCode =
  | 'NODE_INVALID_OPTION' //    createMeshNode() options: what was wrong and what was expected
  | 'NODE_INVALID_ARGUMENT' //  a method argument (event name, listener, address, topic, wait option)
  | 'NODE_INVALID_STATE' //     start() twice, or a call that needs a node that is not stopped
  | 'NODE_BOOTSTRAP_FAILED' //  start(): bootstrap addresses were given and none could be reached (BootstrapError)
  | 'NODE_TIMEOUT' //           waitForSubscribers(): timeoutMs passed first
  | 'NODE_ABORTED' //           start() or waitForSubscribers() cancelled by its signal (the error's name is 'AbortError')
  | 'NODE_STOPPED' //           the node stopped while waitForSubscribers() waited

/** Thrown when a mesh node is given bad options or arguments, or used in the wrong state. */
export class MeshNodeError extends WasmeshError {
  declare readonly code: MeshNodeErrorCode

  constructor(code: MeshNodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    if (code === 'NODE_ABORTED') this.name = 'AbortError'
  }
}

/**
 * Thrown by start() when bootstrap addresses were given and the node could open a session to
 * none of them (nor to a peer they redirected it to). `bootstrap` says what each address
 * answered; the node is stopped. start({ onBootstrapFailure: 'keep-trying' }) resolves instead.
 */
export class BootstrapError extends MeshNodeError {
  declare readonly code: 'NODE_BOOTSTRAP_FAILED'
  readonly bootstrap: BootstrapOutcome

  constructor(bootstrap: BootstrapOutcome) {
    const each = bootstrap.failed.map((failure) => `${failure.address}: ${failure.code} (${failure.message})`).join('; ')
    super('NODE_BOOTSTRAP_FAILED', `could not join through any bootstrap address: ${each}`)
    this.bootstrap = bootstrap
  }
}
