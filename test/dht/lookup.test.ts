import { describe, expect, it } from 'vitest'
import { compareDistance, toHex } from '../../src/dht/ids.js'
import { iterativeLookup } from '../../src/dht/lookup.js'
import type { LookupPeer } from '../../src/dht/lookup.js'
import { SeededRandom, sample } from '../../src/util/random.js'

/** A synthetic network: every node knows its 20 true nearest ids and 10 random others. */
function syntheticNetwork(size: number, seed: number) {
  const random = new SeededRandom(seed)
  const ids = Array.from({ length: size }, () => {
    const id = new Uint8Array(32)
    random.fill(id)
    return id
  })
  const known = new Map<string, Uint8Array[]>()
  for (const id of ids) {
    const nearest = ids.filter((other) => other !== id).sort((a, b) => compareDistance(id, a, b)).slice(0, 20)
    known.set(toHex(id), [...nearest, ...sample(ids, 10, random)])
  }
  const trueClosest = (target: Uint8Array, k: number) => ids.slice().sort((a, b) => compareDistance(target, a, b)).slice(0, k).map(toHex)
  return { ids, known, random, trueClosest }
}

describe('iterativeLookup', () => {
  it('converges on the true k closest with at most alpha requests in flight', async () => {
    const { ids, known, random, trueClosest } = syntheticNetwork(500, 3)
    for (let round = 0; round < 10; round++) {
      const localId = ids[random.nextInt(ids.length)]
      const target = new Uint8Array(32)
      random.fill(target)
      let inFlight = 0
      let maxInFlight = 0
      const result = await iterativeLookup({
        target,
        localId,
        k: 20,
        alpha: 3,
        seeds: (known.get(toHex(localId)) as Uint8Array[]).map((id) => ({ id, addresses: [] })),
        query: async (peer: LookupPeer) => {
          maxInFlight = Math.max(maxInFlight, ++inFlight)
          await new Promise<void>((resolve) => setImmediate(resolve))
          inFlight--
          const peers = (known.get(peer.key) as Uint8Array[]).slice().sort((a, b) => compareDistance(target, a, b)).slice(0, 20)
          return { peers: peers.map((id) => ({ id, addresses: [] })) }
        },
        shouldAbort: () => undefined,
      })
      expect(maxInFlight).toBeLessThanOrEqual(3)
      const expected = trueClosest(target, 21).filter((key) => key !== toHex(localId)).slice(0, 20)
      expect(result.closest.map((peer) => peer.key)).toEqual(expected)
      expect(result.hops).toBeGreaterThanOrEqual(1)
    }
  })

  it('skips failing peers and still fills k from the rest', async () => {
    const { ids, known, trueClosest } = syntheticNetwork(200, 5)
    const target = ids[0]
    const dead = new Set(trueClosest(target, 5)) // the 5 nearest never answer
    const result = await iterativeLookup({
      target,
      localId: ids[100],
      k: 20,
      alpha: 3,
      seeds: (known.get(toHex(ids[100])) as Uint8Array[]).map((id) => ({ id, addresses: [] })),
      query: async (peer) => {
        await Promise.resolve()
        if (dead.has(peer.key)) throw new Error('timeout')
        const peers = (known.get(peer.key) as Uint8Array[]).slice().sort((a, b) => compareDistance(target, a, b)).slice(0, 20)
        return { peers: peers.map((id) => ({ id, addresses: [] })) }
      },
      shouldAbort: () => undefined,
    })
    const expected = trueClosest(target, 26).filter((key) => !dead.has(key) && key !== toHex(ids[100])).slice(0, 20)
    expect(result.closest.map((peer) => peer.key)).toEqual(expected)
    expect(result.failed).toBe(5)
  })

  it('ends early when onRecord says the value is enough', async () => {
    const { ids, known } = syntheticNetwork(100, 9)
    let asked = 0
    const result = await iterativeLookup({
      target: ids[1],
      localId: ids[0],
      k: 20,
      alpha: 3,
      seeds: (known.get(toHex(ids[0])) as Uint8Array[]).map((id) => ({ id, addresses: [] })),
      query: async () => {
        asked++
        return { peers: [], record: { kind: 'immutable', key: new Uint8Array(32), value: new Uint8Array(1), ttlMs: 1 } }
      },
      onRecord: async () => true,
      shouldAbort: () => undefined,
    })
    expect(result.isEndedByValue).toBe(true)
    expect(asked).toBeLessThanOrEqual(3)
  })
})
