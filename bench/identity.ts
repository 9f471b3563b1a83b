// Identity.generate from a seeded source, as the simulator makes its nodes' ids (10,000 and
// more a run): one 32-byte draw, one Ed25519 key derivation and one SHA-256 each.
// test/peers/identity.test.ts checks the draw; the time it takes is reported here, against
// the 10 s for 1,000 the test once allowed.

import { Identity } from '../src/peers/identity.js'
import { seededRandom } from '../src/util/random.js'
import { budgetRatio, budgetTable, type Budget } from './budget.js'
import { runTasks, type Context } from './harness.js'
import type { Section } from './report.js'

const IDENTITIES = 1_000
const BUDGET_MS = 10_000

export function runIdentity(ctx: Context): Section {
  const random = seededRandom(1)
  let last: Identity | undefined
  const [result] = runTasks('identity', [{
    name: `${IDENTITIES.toLocaleString('en-US')} Identity.generate from a seeded source`,
    items: IDENTITIES,
    fn: () => {
      for (let i = 0; i < IDENTITIES; i++) last = Identity.generate(random)
    },
    afterEach: () => {
      if (last?.peerId.length !== 32) throw new Error('Identity.generate made no 32-byte peer id')
    },
  }], ctx.settings, 'identities/s')
  const budget: Budget = { result, budgetMs: BUDGET_MS }
  return {
    id: 'identity',
    title: 'Identity generation',
    notes: [
      `One iteration generates ${IDENTITIES.toLocaleString('en-US')} identities from one SeededRandom (noble Ed25519 and SHA-256).`,
      `Budget: ${BUDGET_MS.toLocaleString('en-US')} ms for the ${IDENTITIES.toLocaleString('en-US')} (median).`,
    ],
    tables: [budgetTable('Identity.generate, 1,000 per iteration', [budget])],
    ratios: [budgetRatio('identity: 1,000 Identity.generate', budget)],
  }
}
