// What a simulated link between two addresses is: one-way latency, jitter, loss and bandwidth.

import { TransportError } from '../errors.js'
import { checkNumber, describeValue } from '../../util/validate.js'

/** The behaviour of one direction of a link. Every field is optional where it overrides another. */
export interface LinkOptions {
  /** One-way delay in milliseconds. */
  latencyMs?: number
  /** Extra one-way delay drawn uniformly from [0, jitterMs) per frame; order is kept regardless. */
  jitterMs?: number
  /** Probability from 0 to 1 that a frame is dropped. */
  loss?: number
  /** Bytes a second one direction of a connection carries; Infinity for no limit. */
  bandwidthBytesPerSec?: number
}

/** A link with every field resolved; bandwidth as bytes a millisecond, 0 for no limit. */
export interface Link {
  latencyMs: number
  jitterMs: number
  loss: number
  bytesPerMs: number
}

const invalid = (message: string) => new TransportError('TRANSPORT_INVALID_OPTION', message)

/** Validates the fields present; throws TransportError('TRANSPORT_INVALID_OPTION'). */
export function checkLinkOptions(options: LinkOptions, where: string): LinkOptions {
  if (typeof options !== 'object' || options === null) throw invalid(`${where} must be an object, got ${describeValue(options)}`)
  const checked: LinkOptions = {}
  if (options.latencyMs !== undefined) checked.latencyMs = checkNumber(`${where}.latencyMs`, options.latencyMs, 0, 3_600_000, invalid)
  if (options.jitterMs !== undefined) checked.jitterMs = checkNumber(`${where}.jitterMs`, options.jitterMs, 0, 3_600_000, invalid)
  if (options.loss !== undefined) checked.loss = checkNumber(`${where}.loss`, options.loss, 0, 1, invalid)
  if (options.bandwidthBytesPerSec !== undefined) {
    const value = options.bandwidthBytesPerSec
    if (typeof value !== 'number' || !(value > 0)) {
      throw invalid(`${where}.bandwidthBytesPerSec must be a number above 0 (Infinity for no limit), got ${describeValue(value)}`)
    }
    checked.bandwidthBytesPerSec = value
  }
  return checked
}

/** `base` with the fields `options` sets replaced. */
export function applyLinkOptions(base: Link, options: LinkOptions | undefined): Link {
  if (options === undefined) return base
  return {
    latencyMs: options.latencyMs ?? base.latencyMs,
    jitterMs: options.jitterMs ?? base.jitterMs,
    loss: options.loss ?? base.loss,
    bytesPerMs: options.bandwidthBytesPerSec === undefined ? base.bytesPerMs : toBytesPerMs(options.bandwidthBytesPerSec),
  }
}

export function toBytesPerMs(bytesPerSec: number): number {
  return bytesPerSec === Infinity ? 0 : bytesPerSec / 1_000
}
