// Frames for the channel connection's tests and benchmark: bytes that say their index and
// size, so one comparison checks order and integrity together.

/** A frame of `size` bytes whose content depends on `index`. */
export function frameOf(index: number, size: number): Uint8Array {
  const frame = new Uint8Array(size)
  for (let i = 0; i < size; i++) frame[i] = (index * 31 + i * 7) & 0xff
  return frame
}

/**
 * Indexes where `got` differs from `expected` (a missing or extra frame counts), compared with
 * Buffer.equals: vitest's toEqual walks a 1 MiB array element by element for seconds.
 */
export function framesDiffering(got: readonly Uint8Array[], expected: readonly Uint8Array[]): number[] {
  const wrong: number[] = []
  for (let i = 0; i < Math.max(got.length, expected.length); i++) {
    if (got[i] === undefined || expected[i] === undefined || !Buffer.from(expected[i]).equals(got[i])) wrong.push(i)
  }
  return wrong
}
