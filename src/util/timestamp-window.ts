// How far a signed timestamp may lie from this node's clock before the message carrying it is
// refused: the check that bounds replay in time (relay publishes, routed direct messages). A
// message older than its age limit is refused whatever a node remembers, so a node's replay
// memory only has to cover that long; clocks of different nodes differ, so a message may
// also come from a little ahead of this node's clock.

/** What a message's timestamp says about it, by this node's clock. */
export type TimestampVerdict = 'fresh' | 'stale' | 'future'

/**
 * 'stale' when `timestampMs` is more than `maxAgeMs` before `nowMs`, 'future' when it is more
 * than `maxClockSkewMs` after it, else 'fresh'. Both bounds are inclusive: a message exactly
 * `maxAgeMs` old is fresh, one a millisecond older is stale.
 */
export function judgeTimestamp(timestampMs: number, nowMs: number, maxAgeMs: number, maxClockSkewMs: number): TimestampVerdict {
  if (nowMs - timestampMs > maxAgeMs) return 'stale'
  if (timestampMs - nowMs > maxClockSkewMs) return 'future'
  return 'fresh'
}

/**
 * How old a relayed message may be by the receiver's clock: its time in transit (hops,
 * queues, a repair round) plus how far the origin's clock may run behind the receiver's.
 * Two minutes, the relay's dedup TTL.
 */
export const DEFAULT_MAX_MESSAGE_AGE_MS = 120_000
/**
 * How far ahead of the receiver's clock a message's timestamp may be: the clock skew
 * tolerated between nodes (NTP keeps hosts within milliseconds; a laptop without it drifts
 * by seconds a day). Kept shorter than the age limit, because a timestamp from the future
 * keeps an entry in the replay memory that much longer.
 */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 30_000
/** The largest age limit or skew allowance an option takes: a day. */
export const MAX_TIMESTAMP_WINDOW_MS = 86_400_000
