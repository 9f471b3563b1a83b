// THE ONE PLACE THE SIMULATOR READS WALL TIME. Only the report's `wallClock` fields come from
// here; everything else runs on virtual time, so it is the same for the same seed.

/** Milliseconds on the platform's monotonic clock, for measuring how long a run took. */
export function wallClockNowMs(): number {
  return performance.now()
}
