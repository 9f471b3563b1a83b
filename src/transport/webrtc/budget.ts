// How many RTCPeerConnections a transport may still make. Chrome allows a tab about 500 over
// its lifetime, failed attempts included, and past that every new one fails
// (js-libp2p #2591), so a mesh in a page that makes one per dial attempt and redials
// through churn runs out. The budget counts every peer connection made, refuses past
// `max`, and rations the last quarter: past 3/4 of it a new one may be made only once per
// spacing, which starts at RATION_BASE_MS and doubles with each one that failed to open
// (up to RATION_MAX_MS), so a tab that churns through its last ones spreads them out and
// leaves its dials to other transports meanwhile. Inbound offers are held to the same budget.

import type { Clock } from '../../util/clock.js'

/** Past this share of the budget, creations are rationed. */
export const RATION_FROM = 0.75
export const RATION_BASE_MS = 5_000
export const RATION_MAX_MS = 300_000

export class PeerConnectionBudget {
  readonly max: number
  readonly #clock: Clock
  #created = 0
  /** Promised to knocks we answered 'ready' to, whose offers have not come yet. */
  #reserved = 0
  #failuresInARow = 0
  #nextAtMs = 0

  constructor(max: number, clock: Clock) {
    this.max = max
    this.#clock = clock
  }

  get created(): number {
    return this.#created
  }

  /** Why no peer connection may be made (or promised) now; undefined when one may. */
  refusal(): string | undefined {
    const used = this.#created + this.#reserved
    if (used >= this.max) return `its budget of ${this.max} RTCPeerConnections is spent`
    if (used >= this.max * RATION_FROM && this.#clock.now() < this.#nextAtMs) {
      return `it is rationing the last of its ${this.max} RTCPeerConnections (${used} made or promised): the next in ${Math.ceil(this.#nextAtMs - this.#clock.now())} ms`
    }
    return undefined
  }

  /** Holds one for an inbound connection we said we would take; `release()` or `created()` it later. */
  reserve(): void {
    this.#ration()
    this.#reserved++
  }

  release(): void {
    this.#reserved--
  }

  /** One was made: for a reservation (`reserved`), or a dial's. */
  made(reserved: boolean): void {
    if (reserved) this.#reserved--
    else this.#ration()
    this.#created++
  }

  /** Promised or made, out of max. */
  get used(): number {
    return this.#created + this.#reserved
  }

  /** One that was made opened (the rationing spacing starts over) or did not (it doubles). */
  settled(opened: boolean): void {
    this.#failuresInARow = opened ? 0 : this.#failuresInARow + 1
  }

  /** The one about to be made or promised lands in the rationed quarter: the next waits. */
  #ration(): void {
    if (this.#created + this.#reserved + 1 < this.max * RATION_FROM) return
    this.#nextAtMs = this.#clock.now() + Math.min(RATION_MAX_MS, RATION_BASE_MS * 2 ** this.#failuresInARow)
  }
}
