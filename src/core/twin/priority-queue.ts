// PLACEHOLDER until the PriorityQueue twin lands: replace this whole file.
export class TwinPriorityQueue {
  constructor(_options: unknown) { throw new Error('TwinPriorityQueue not implemented yet') }
}
