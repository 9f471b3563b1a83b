// Fixed-size header slots for the structures that live in this module's linear memory.
// A structure's handle is the address of its slot. Slots come from pages carved out of
// the heap and return to a free list on release, so creating and freeing structures in a
// loop reuses the same memory instead of growing it (blake2b-wasm's pattern).

/** Bytes in one header slot; each structure declares its header layout inside this. */
export const SLOT_BYTES: usize = 128
const SLOTS_PER_PAGE: usize = 64

// Head of the free list; a free slot stores the address of the next free slot at offset 0.
let freeSlot: usize = 0

export function allocSlot(): usize {
  if (freeSlot == 0) {
    const page = heap.alloc(SLOT_BYTES * SLOTS_PER_PAGE)
    for (let i: usize = 0; i < SLOTS_PER_PAGE; i++) {
      const slot = page + i * SLOT_BYTES
      store<usize>(slot, i + 1 < SLOTS_PER_PAGE ? slot + SLOT_BYTES : freeSlot)
    }
    freeSlot = page
  }
  const slot = freeSlot
  freeSlot = load<usize>(slot)
  memory.fill(slot, 0, SLOT_BYTES)
  return slot
}

export function releaseSlot(slot: usize): void {
  memory.fill(slot, 0, SLOT_BYTES)
  store<usize>(slot, freeSlot)
  freeSlot = slot
}

/** Zeroed heap block; callers free it with heap.free. */
export function allocZeroed(bytes: usize): usize {
  const ptr = heap.alloc(bytes)
  memory.fill(ptr, 0, bytes)
  return ptr
}
