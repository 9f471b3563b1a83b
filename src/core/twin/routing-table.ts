// PLACEHOLDER until the RoutingTable twin lands: replace this whole file.
export class TwinRoutingTable {
  constructor(_options: unknown) { throw new Error('TwinRoutingTable not implemented yet') }
}
