// Reading a V8 heap snapshot (the .heapsnapshot JSON of node:v8 writeHeapSnapshot) into bytes
// by structure. An object's bytes are its own and those of the backing stores only it holds
// (a Map's hash table, out-of-line properties, elements), followed three levels down, so a
// Map counts as one structure and not as a Map and an anonymous array.

export interface HeapSnapshotJson {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: readonly string[]
      readonly node_types: readonly [readonly string[], ...unknown[]]
      readonly edge_fields: readonly string[]
      readonly edge_types: readonly [readonly string[], ...unknown[]]
    }
  }
  readonly nodes: readonly number[]
  readonly edges: readonly number[]
  readonly strings: readonly string[]
}

const OWNER_TYPES = new Set(['object', 'closure', 'regexp'])
const BACKING_TYPES = new Set(['array', 'hidden'])
const BACKING_DEPTH = 3

/** Live bytes by structure: a constructor's name for objects, `(type) name` for the rest. */
export function bytesByStructure(snapshot: HeapSnapshotJson): Map<string, number> {
  const { meta } = snapshot.snapshot
  const nodeWidth = meta.node_fields.length
  const edgeWidth = meta.edge_fields.length
  const typeAt = meta.node_fields.indexOf('type')
  const nameAt = meta.node_fields.indexOf('name')
  const sizeAt = meta.node_fields.indexOf('self_size')
  const edgeCountAt = meta.node_fields.indexOf('edge_count')
  const edgeTypeAt = meta.edge_fields.indexOf('type')
  const edgeToAt = meta.edge_fields.indexOf('to_node')
  const nodeTypes = meta.node_types[0]
  const weak = meta.edge_types[0].indexOf('weak')
  const { nodes, edges, strings } = snapshot
  const count = nodes.length / nodeWidth

  const firstEdge = new Uint32Array(count + 1)
  for (let node = 0, edge = 0; node < count; node++) {
    firstEdge[node] = edge
    edge += nodes[node * nodeWidth + edgeCountAt]! * edgeWidth
  }
  firstEdge[count] = edges.length

  const retainers = new Uint32Array(count)
  for (let edge = 0; edge < edges.length; edge += edgeWidth) {
    if (edges[edge + edgeTypeAt] === weak) continue
    retainers[edges[edge + edgeToAt]! / nodeWidth]!++
  }

  const typeOf = (node: number) => nodeTypes[nodes[node * nodeWidth + typeAt]!]!
  const owned = new Uint8Array(count)
  const ownedBytes = (node: number, depth: number): number => {
    let bytes = nodes[node * nodeWidth + sizeAt]!
    if (depth === BACKING_DEPTH) return bytes
    for (let edge = firstEdge[node]!; edge < firstEdge[node + 1]!; edge += edgeWidth) {
      if (edges[edge + edgeTypeAt] === weak) continue
      const child = edges[edge + edgeToAt]! / nodeWidth
      if (owned[child] === 1 || retainers[child] !== 1 || !BACKING_TYPES.has(typeOf(child))) continue
      owned[child] = 1
      bytes += ownedBytes(child, depth + 1)
    }
    return bytes
  }

  const byStructure = new Map<string, number>()
  const add = (key: string, bytes: number) => byStructure.set(key, (byStructure.get(key) ?? 0) + bytes)
  for (let node = 0; node < count; node++) {
    const type = typeOf(node)
    if (!OWNER_TYPES.has(type)) continue
    owned[node] = 1
    const name = strings[nodes[node * nodeWidth + nameAt]!]!
    add(type === 'object' ? name : `(${type}) ${name}`, ownedBytes(node, 0))
  }
  for (let node = 0; node < count; node++) {
    if (owned[node] === 1) continue
    const type = typeOf(node)
    // Strings are keyed by type alone: their names are their contents.
    const key = type.includes('string') ? `(${type})` : `(${type}) ${strings[nodes[node * nodeWidth + nameAt]!]!}`
    add(key, nodes[node * nodeWidth + sizeAt]!)
  }
  return byStructure
}
