// Errors of the mesh node facade: bad options or arguments at the public boundary, and calls
// in the wrong lifecycle state. Errors of the layers below pass through with their own codes.

import { WasmeshError } from '../util/wasmesh-error.js'

export type MeshNodeErrorCode =
  | 'NODE_INVALID_OPTION' //   createMeshNode() options: what was wrong and what was expected
  | 'NODE_INVALID_ARGUMENT' // a method argument (event name, listener, address)
  | 'NODE_INVALID_STATE' //    start() twice, or a call that needs a running node

/** Thrown when a mesh node is given bad options or arguments, or used in the wrong state. */
export class MeshNodeError extends WasmeshError {
  declare readonly code: MeshNodeErrorCode

  constructor(code: MeshNodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
