// The two fixed regions through which bulk arguments and results cross the boundary:
// JavaScript writes ids and key batches into the input region and reads results from the
// output region, so no call allocates and nothing but numbers is passed per call.

/** Bytes in each scratch region: 8,192 u64 keys, 2,048 256-bit ids or 16,384 u32 handles. */
export const SCRATCH_BYTES: i32 = 65536

const scratchInput = memory.data(SCRATCH_BYTES, 16)
const scratchOutput = memory.data(SCRATCH_BYTES, 16)

export function inputRegion(): usize {
  return scratchInput
}

export function outputRegion(): usize {
  return scratchOutput
}

export function scratch_input(): usize {
  return scratchInput
}

export function scratch_output(): usize {
  return scratchOutput
}

export function scratch_bytes(): i32 {
  return SCRATCH_BYTES
}
