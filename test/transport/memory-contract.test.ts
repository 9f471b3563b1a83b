// The memory network against the transport contract, on the system clock with a bandwidth
// limit low enough that backpressure shows.

import { describeTransportContract } from './contract.js'
import { memoryHarness } from './memory-harness.js'

describeTransportContract('MemoryNetwork', () => memoryHarness(undefined, ['ws://127.0.0.1:1']))
