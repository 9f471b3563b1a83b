// What a failed dial says about the address, decided in one place for the two callers that
// retry: the connection manager's connect() (every transient kind is worth another dial) and
// start()'s bootstrap dial (an unreachable bootstrap address is a mistake to report at once).

import { HandshakeError, PeerError } from './errors.js'
import { TransportError } from '../transport/errors.js'

/**
 * busy: the peer answered that its handshake waiting room is full (it empties within round trips).
 * silent: no answer in time, or the connection went mid-handshake (a lossy link swallows attempts).
 * unreachable: nothing listens there now (refused); a node that restarts may listen again.
 * final: an answer that another dial would only repeat (a refusal, a bad address, a wrong peer).
 */
export type DialFailure = 'busy' | 'silent' | 'unreachable' | 'final'

export function classifyDialFailure(error: unknown): DialFailure {
  if (error instanceof PeerError) {
    if (error.code === 'PEER_BUSY') return 'busy'
    // connect()'s "gave up after n attempts" carries the last attempt's failure.
    return error.code === 'PEER_UNREACHABLE' ? classifyDialFailure(error.cause) : 'final'
  }
  if (error instanceof TransportError) {
    if (error.code === 'TRANSPORT_TIMEOUT') return 'silent'
    return error.code === 'TRANSPORT_UNREACHABLE' ? 'unreachable' : 'final'
  }
  if (error instanceof HandshakeError && (error.code === 'HANDSHAKE_TIMEOUT' || error.code === 'HANDSHAKE_ABORTED')) return 'silent'
  return 'final'
}
