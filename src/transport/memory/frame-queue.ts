// The frames in flight on one direction of a connection, with their delivery times: a ring
// buffer of parallel arrays, so queueing a frame allocates nothing once the ring has grown,
// and an idle connection holds no storage at all. `null` stands for the close notice, which
// travels behind the frames sent before it.

export const CLOSE_NOTICE = null

// Shared by every empty queue; never written, because push() grows a full ring first.
const NO_FRAMES: Array<Uint8Array | null> = []
const NO_TIMES: number[] = []

export class FrameQueue {
  private frames = NO_FRAMES
  private times = NO_TIMES
  private head = 0
  /** Entries queued, close notices included. */
  size = 0

  push(frame: Uint8Array | null, time: number): void {
    if (this.size === this.frames.length) this.grow()
    const index = (this.head + this.size) & (this.frames.length - 1)
    this.frames[index] = frame
    this.times[index] = time
    this.size++
  }

  /** Delivery time of the first entry; only when size > 0. */
  firstTime(): number {
    return this.times[this.head]
  }

  /** The first entry; only when size > 0. */
  first(): Uint8Array | null {
    return this.frames[this.head]
  }

  shift(): Uint8Array | null {
    const frame = this.frames[this.head]
    this.frames[this.head] = null
    this.head = (this.head + 1) & (this.frames.length - 1)
    this.size--
    return frame
  }

  /** Empties the queue; returns how many frames (close notices not counted) it held. */
  clear(): number {
    let frames = 0
    while (this.size > 0) if (this.shift() !== null) frames++
    this.head = 0
    return frames
  }

  private grow(): void {
    const capacity = this.frames.length === 0 ? 4 : this.frames.length * 2
    const frames = new Array<Uint8Array | null>(capacity).fill(null)
    // Filled with numbers, so the engine stores them unboxed.
    const times = new Array<number>(capacity).fill(0)
    for (let i = 0; i < this.size; i++) {
      const from = (this.head + i) & (this.frames.length - 1)
      frames[i] = this.frames[from]
      times[i] = this.times[from]
    }
    this.frames = frames
    this.times = times
    this.head = 0
  }
}
