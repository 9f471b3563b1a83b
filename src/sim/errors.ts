// Errors of the simulator: options refused at its public boundary, and a Simulation used out
// of its lifecycle order. Errors of the node and the layers below pass through with their codes.

import { WasmeshError } from '../util/wasmesh-error.js'

export type SimulationErrorCode =
  /** A simulation or scenario option is missing, of the wrong type or out of range. */
  | 'SIM_INVALID_OPTION'
  /** A Simulation method's argument (a count, a rate, a duration, a callback) of the wrong type or out of range. */
  | 'SIM_INVALID_ARGUMENT'
  /** A scenario name that is not one of `scenarioNames`. */
  | 'SIM_UNKNOWN_SCENARIO'
  /** A Simulation used after stop(): adding nodes, running virtual time, stopping again. */
  | 'SIM_INVALID_STATE'
  /** A bootstrap node's start() failed or had not finished after 60 virtual seconds: nobody could join through it. */
  | 'SIM_BOOTSTRAP_FAILED'

/** Thrown when the simulator is given bad options or an unknown scenario, is used after stop(), or its bootstrap nodes cannot start. */
export class SimulationError extends WasmeshError {
  declare readonly code: SimulationErrorCode

  constructor(code: SimulationErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
