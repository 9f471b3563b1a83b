// Types for the k-bucket 5.1.0 package (it ships none), as far as the benchmarks use it.

declare module 'k-bucket' {
  import { EventEmitter } from 'node:events'

  interface Contact {
    id: Uint8Array
    vectorClock?: number
  }

  interface KBucketOptions {
    localNodeId?: Uint8Array
    numberOfNodesPerKBucket?: number
    numberOfNodesToPing?: number
  }

  class KBucket<C extends Contact = Contact> extends EventEmitter {
    constructor(options?: KBucketOptions)
    localNodeId: Uint8Array
    add(contact: C): this
    closest(id: Uint8Array, n?: number): C[]
    count(): number
    get(id: Uint8Array): C | null
    remove(id: Uint8Array): this
    toArray(): C[]
    static distance(a: Uint8Array, b: Uint8Array): number
  }

  export default KBucket
}
