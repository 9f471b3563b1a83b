// FOR TESTS AND THE SIMULATOR, not public API (src/index.ts does not export it): the entry
// counts of a node's long-lived maps, sets, arrays and core structures, so a long run can
// check that none of them grows without bound (test/node/bounded.test.ts).
//
// The node registers its layers here when it is built; each layer answers an internal
// `sizes()` with its own counts. A registry keyed by the node keeps MeshNode's surface as it is.

/** Entry counts by structure name. */
export type StructureSizes = Record<string, number>

/** A layer that can count its own long-lived structures. */
export interface HasSizes {
  sizes(): StructureSizes
}

const layersOf = new WeakMap<object, Readonly<Record<string, HasSizes>>>()

/** Called once by the MeshNode constructor with its layers, by name. */
export function registerSizes(node: object, layers: Readonly<Record<string, HasSizes>>): void {
  layersOf.set(node, layers)
}

/** Every registered layer's counts, keyed 'layer.structure' (e.g. 'router.breadcrumbs'). Empty for an unknown node. */
export function nodeSizes(node: object): StructureSizes {
  const out: StructureSizes = {}
  for (const [layer, source] of Object.entries(layersOf.get(node) ?? {})) {
    for (const [name, size] of Object.entries(source.sizes())) out[`${layer}.${name}`] = size
  }
  return out
}
