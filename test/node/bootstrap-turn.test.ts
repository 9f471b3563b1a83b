// dialInTurn: start()'s bootstrap addresses one at a time, the next only when the last failed
// with nowhere to go or is slow to answer. On a ManualClock with dials that settle when told.

import { describe, expect, it } from 'vitest'
import { dialInTurn, type BootstrapDialOutcome } from '../../src/node/bootstrap.js'
import { PeerError } from '../../src/peers/errors.js'
import type { PeerSession } from '../../src/peers/session.js'
import { ManualClock } from '../../src/util/clock.js'
import { SeededRandom } from '../../src/util/random.js'

const STAGGER_MS = 1_000
const session = (address: string) => ({ remoteAddress: address }) as unknown as PeerSession

/** Dials that settle when the test says, each recorded with the time it started. */
function scriptedDials(clock: ManualClock) {
  const started: { address: string; at: number }[] = []
  const settlers = new Map<string, { resolve: (s: PeerSession) => void; reject: (e: unknown) => void }>()
  const dial = (address: string) => new Promise<PeerSession>((resolve, reject) => {
    started.push({ address, at: clock.now() })
    settlers.set(address, { resolve, reject })
  })
  return { started, dial, settle: settlers }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

function run(addresses: string[], seed = 1, signal = new AbortController().signal) {
  const clock = new ManualClock()
  const dials = scriptedDials(clock)
  let outcomes: BootstrapDialOutcome[] | undefined
  void dialInTurn(addresses, dials.dial, { clock, random: new SeededRandom(seed), staggerMs: STAGGER_MS, signal }).then((value) => (outcomes = value))
  return { clock, dials, outcomes: () => outcomes }
}

const ADDRESSES = ['memory://a', 'memory://b', 'memory://c']

describe('dialInTurn', () => {
  it('dials one address when it answers within the stagger, and reports only that one', async () => {
    const { clock, dials, outcomes } = run(ADDRESSES)
    expect(dials.started).toHaveLength(1)
    const [first] = dials.started
    clock.advance(STAGGER_MS - 1)
    dials.settle.get(first.address)!.resolve(session(first.address))
    await flush()
    clock.runAll()
    expect(dials.started).toHaveLength(1)
    const result = outcomes()!
    expect(result.filter((outcome) => outcome !== undefined)).toEqual([{ status: 'fulfilled', value: session(first.address) }])
    expect(result[ADDRESSES.indexOf(first.address)]?.status).toBe('fulfilled')
    expect(clock.pending).toBe(0)
  })

  it('spreads newcomers over the addresses: different seeds start with different ones', () => {
    const firsts = new Set<string>()
    for (let seed = 1; seed <= 30; seed++) firsts.add(run(ADDRESSES, seed).dials.started[0].address)
    expect(firsts).toEqual(new Set(ADDRESSES))
  })

  it('goes to the next at once when one fails with nowhere to go, and reports every failure', async () => {
    const { dials, outcomes } = run(ADDRESSES)
    for (let i = 0; i < 3; i++) {
      expect(dials.started).toHaveLength(i + 1)
      dials.settle.get(dials.started[i].address)!.reject(new PeerError('PEER_UNREACHABLE', 'nothing listens'))
      await flush()
    }
    expect(dials.started.map((dial) => dial.at)).toEqual([0, 0, 0])
    expect(outcomes()!.map((outcome) => outcome?.status)).toEqual(['rejected', 'rejected', 'rejected'])
  })

  it('dials no further address after a full node offered peers instead (a redirect leads on)', async () => {
    const { clock, dials, outcomes } = run(ADDRESSES)
    const redirect = [{ id: new Uint8Array(32), addresses: ['memory://elsewhere'] }]
    dials.settle.get(dials.started[0].address)!.reject(new PeerError('PEER_TOO_MANY_PEERS', 'full', { redirect }))
    await flush()
    clock.runAll()
    expect(dials.started).toHaveLength(1)
    expect(outcomes()!.filter((outcome) => outcome !== undefined).map((outcome) => outcome!.status)).toEqual(['rejected'])
  })

  it('starts the next beside a slow one after the stagger, and resolves at the first session without waiting for the slow one', async () => {
    const { clock, dials, outcomes } = run(ADDRESSES)
    clock.advance(STAGGER_MS)
    expect(dials.started.map((dial) => dial.at)).toEqual([0, STAGGER_MS])
    dials.settle.get(dials.started[1].address)!.resolve(session(dials.started[1].address))
    await flush()
    const result = outcomes()!
    expect(result[ADDRESSES.indexOf(dials.started[1].address)]?.status).toBe('fulfilled')
    expect(result[ADDRESSES.indexOf(dials.started[0].address)]).toBeUndefined()
    expect(clock.pending).toBe(0)
    // The slow one settling later changes nothing and starts nothing.
    dials.settle.get(dials.started[0].address)!.reject(new PeerError('PEER_UNREACHABLE', 'timed out'))
    await flush()
    expect(dials.started).toHaveLength(2)
  })

  it('starts nothing more once the signal aborts, and resolves when the dials under way settle', async () => {
    const controller = new AbortController()
    const { clock, dials, outcomes } = run(ADDRESSES, 1, controller.signal)
    controller.abort()
    clock.advance(STAGGER_MS)
    expect(dials.started).toHaveLength(1)
    expect(outcomes()).toBeUndefined()
    dials.settle.get(dials.started[0].address)!.reject(new PeerError('PEER_ABORTED', 'aborted'))
    await flush()
    expect(outcomes()).toBeDefined()
    expect(clock.pending).toBe(0)
  })

  it('resolves at once with nothing to dial', async () => {
    const { outcomes } = run([])
    await flush()
    expect(outcomes()).toEqual([])
  })
})
