// How long decodeFrame takes on the amplification frames (test/wire/amplification-frames.ts):
// frames packed with tiny entries that the limits refuse, and the heaviest frames they accept,
// each against a 10 ms budget. test/wire/amplification.test.ts counts the decoder's work on
// the same frames; the time it takes is measured here, where a busy machine cannot fail a test.

import { WireError } from '../src/wire/errors.js'
import { decodeFrame } from '../src/wire/frame.js'
import { heaviestAcceptedFrames, refusedFrames, type AmplificationFrame } from '../test/wire/amplification-frames.js'
import { budgetRatio, budgetTable, type Budget } from './budget.js'
import { runTasks, type Context, type TaskSpec } from './harness.js'
import type { Section } from './report.js'

/** A frame decodes, or is refused, in well under this: js gossipsub took 135-200 ms on one (GHSA-cwc9-cp4j-mcvv). */
const BUDGET_MS = 10

/** Decodes `shape`: the WireError code it is refused with, or undefined when it is accepted. */
function outcomeOf({ frame, options }: AmplificationFrame): string | undefined {
  try {
    decodeFrame(frame, options)
    return undefined
  } catch (error) {
    if (!(error instanceof WireError)) throw error
    return error.code
  }
}

function taskFor(shape: AmplificationFrame): TaskSpec {
  const outcome = outcomeOf(shape)
  if (outcome !== shape.code) throw new Error(`${shape.name}: decoded to ${outcome ?? 'accepted'}, expected ${shape.code ?? 'accepted'}`)
  return { name: `${shape.name} (${shape.code ?? 'accepted'})`, items: 1, fn: () => outcomeOf(shape) }
}

export function runWireAmplification(ctx: Context): Section {
  const shapes = [...refusedFrames(), ...heaviestAcceptedFrames()]
  const results = runTasks('wire-amplification', shapes.map(taskFor), ctx.settings, 'frames/s')
  const budgets: Budget[] = results.map((result) => ({ result, budgetMs: BUDGET_MS }))
  return {
    id: 'wire-amplification',
    title: 'Wire amplification: decodeFrame on the largest frames',
    notes: [
      'One iteration decodes one frame of up to 1 MiB with decodeFrame, from its header to its last message or to the WireError that refuses it; ' +
        'each frame is checked once, untimed, to decode to the outcome in parentheses.',
      'Refused: frames that would make a decoder without the count caps and the frame entry budget loop over 65,535 to 262,144 entries. ' +
        'Accepted: the heaviest frames the limits let through, 1,024 messages or 4,096 repeated-field entries each.',
      `Budget: ${BUDGET_MS} ms per frame (median). The test (test/wire/amplification.test.ts) proves the work is bounded by counting reads; this reports the time.`,
    ],
    tables: [budgetTable('decodeFrame, one frame per iteration', budgets)],
    ratios: budgets.map((budget, i) => budgetRatio(`wire: ${shapes[i].code === undefined ? 'decodes' : 'refuses'} ${shapes[i].name}`, budget)),
  }
}
