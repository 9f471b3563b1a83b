// How each simulated node signs and verifies, built at the node's creation and handed to it
// through its injection points (the identity's signer, the node's `verify`). Both schemes charge
// the same virtual CPU time per sign and verify to the node's VirtualCpu, so the scheme is all
// that differs between them; with Ed25519 and no cost, nothing is injected at all and the node
// runs its own signing and verifying (noble, as useDeterministicEd25519 left it).

import { Identity } from '../peers/identity.js'
import { verifySignature } from '../peers/identity.js'
import type { Clock } from '../util/clock.js'
import type { RandomSource } from '../util/random.js'
import type { SignatureVerifier } from '../util/signature-verifier.js'
import type { Signer } from '../util/signer.js'
import { MacSignatures } from './mac-signatures.js'
import { VirtualCpu } from './virtual-cpu.js'

/** What one node gets: its identity (with a signer when one is injected) and its verifier, if any. */
export interface NodeSigning {
  readonly identity: Identity
  readonly verify: SignatureVerifier | undefined
  readonly cpu: VirtualCpu
}

export interface SignatureCosts {
  readonly signCostMs: number
  readonly verifyCostMs: number
}

export class NodeSignatures {
  readonly #mac: MacSignatures | undefined
  readonly #costs: SignatureCosts
  readonly #clock: Pick<Clock, 'now' | 'setTimeout'>

  /** `mac`: the stand-in scheme, or undefined for Ed25519. */
  constructor(mac: MacSignatures | undefined, costs: SignatureCosts, clock: Pick<Clock, 'now' | 'setTimeout'>) {
    this.#mac = mac
    this.#costs = costs
    this.#clock = clock
  }

  /** The signing of a new node whose identity comes from `identityRandom` (the same key pair in either scheme). */
  forNode(identityRandom: Pick<RandomSource, 'fill'>): NodeSigning {
    const cpu = new VirtualCpu(this.#clock)
    const { signCostMs, verifyCostMs } = this.#costs
    const mac = this.#mac
    if (mac !== undefined) {
      const signer: Signer = async (publicKey, message) => {
        const done = cpu.charge(signCostMs)
        const signature = mac.sign(publicKey, message)
        await done
        return signature
      }
      return { identity: Identity.generate(identityRandom, { signer }), verify: charged(cpu, verifyCostMs, (publicKey, message, signature) => mac.verify(publicKey, message, signature)), cpu }
    }
    const ed25519 = Identity.generate(identityRandom)
    if (signCostMs === 0 && verifyCostMs === 0) return { identity: ed25519, verify: undefined, cpu }
    // The same key pair, its signatures made by the Ed25519 identity and charged to this node.
    const signer: Signer = async (_publicKey, message) => {
      const done = cpu.charge(signCostMs)
      const signature = await ed25519.sign(message)
      await done
      return signature
    }
    return { identity: Identity.load(ed25519.export(), { signer }), verify: charged(cpu, verifyCostMs, verifySignature), cpu }
  }
}

// The CPU slot is taken when the check is asked for, before its answer is known, so both schemes queue the same work at the same times.
function charged(cpu: VirtualCpu, costMs: number, check: SignatureVerifier): SignatureVerifier {
  return async (publicKey, message, signature) => {
    const done = cpu.charge(costMs)
    const verdict = await check(publicKey, message, signature)
    await done
    return verdict
  }
}
