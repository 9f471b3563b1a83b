// What each simulated node is given: the same key pair in either scheme, each sign and verify
// charged to its own CPU, and nothing injected at all for Ed25519 without a charge.

import { describe, expect, it } from 'vitest'
import { verifySignature } from '../../src/peers/identity.js'
import { MacSignatures } from '../../src/sim/mac-signatures.js'
import { NodeSignatures } from '../../src/sim/node-signatures.js'
import { ManualClock } from '../../src/util/clock.js'
import { seededRandom } from '../../src/util/random.js'

const costs = { signCostMs: 0.5, verifyCostMs: 2 }
const message = new Uint8Array([1, 2, 3])

/** Runs the clock's timers one at a time, settling promise callbacks between them, until `promise` settles. */
async function settle<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  let isDone = false
  void promise.then(() => (isDone = true))
  for (let turn = 0; !isDone && turn < 1_000; turn++) {
    await new Promise<void>((resolve) => setImmediate(resolve))
    if (!isDone && clock.nextTimerAt !== undefined) clock.runNext()
  }
  return promise
}

describe('NodeSignatures', () => {
  it('gives the same key pair in both schemes; the stand-in signs and verifies with the MAC', async () => {
    const clock = new ManualClock()
    const mac = new MacSignatures(new Uint8Array(32).fill(3))
    const standIn = new NodeSignatures(mac, costs, clock).forNode(seededRandom(9))
    const ed25519 = new NodeSignatures(undefined, costs, clock).forNode(seededRandom(9))
    expect(standIn.identity.peerId).toEqual(ed25519.identity.peerId)
    const signature = await settle(clock, standIn.identity.sign(message))
    expect(signature).toEqual(mac.sign(standIn.identity.publicKey, message))
    expect(await settle(clock, Promise.resolve(standIn.verify!(standIn.identity.publicKey, message, signature)))).toBe(true)
    expect(await settle(clock, Promise.resolve(standIn.verify!(standIn.identity.publicKey, new Uint8Array([1, 2]), signature)))).toBe(false)
    // Charged Ed25519 is still Ed25519.
    const real = await settle(clock, ed25519.identity.sign(message))
    expect(await verifySignature(ed25519.identity.publicKey, message, real)).toBe(true)
    expect(await settle(clock, Promise.resolve(ed25519.verify!(ed25519.identity.publicKey, message, real)))).toBe(true)
  })

  it('charges each sign and verify to the node\'s CPU, one after another in virtual time', async () => {
    for (const mac of [new MacSignatures(new Uint8Array(32)), undefined]) {
      const clock = new ManualClock()
      const { identity, verify, cpu } = new NodeSignatures(mac, costs, clock).forNode(seededRandom(4))
      const signature = await settle(clock, identity.sign(message))
      expect(clock.now()).toBe(0.5)
      const checks = Promise.all([verify!(identity.publicKey, message, signature), verify!(identity.publicKey, message, signature)])
      expect(await settle(clock, checks)).toEqual([true, true])
      expect(clock.now()).toBe(4.5)
      expect(cpu.busyMs).toBe(4.5)
    }
  })

  it('injects nothing for Ed25519 without a charge: the node signs and verifies on its own', async () => {
    const clock = new ManualClock()
    const { identity, verify } = new NodeSignatures(undefined, { signCostMs: 0, verifyCostMs: 0 }, clock).forNode(seededRandom(4))
    expect(verify).toBeUndefined()
    // No signer: signing sets no timer.
    expect(await verifySignature(identity.publicKey, message, await identity.sign(message))).toBe(true)
    expect(clock.pending).toBe(0)
    expect(new NodeSignatures(undefined, { signCostMs: 0, verifyCostMs: 0.1 }, clock).forNode(seededRandom(4)).verify).toBeTypeOf('function')
  })
})
