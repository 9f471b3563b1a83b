// Mutation testing (`npm run mutate`): StrykerJS plants one small bug at a time in the modules
// where a silent bug costs most, and runs the tests that cover it. A mutant that survives is
// either a missing test or an equivalent change, listed with why in test/mutation/<module>.json.
// Run it through `npm run mutate` (build/mutate.mjs): one module at a time, each against its own
// tests. The mutate list below is the whole set, for a plain `npx stryker run`.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/core/twin/**/*.ts',
    'src/wire/**/*.ts',
    '!src/wire/index.ts',
    'src/relay/replay-window.ts',
    'src/relay/message-cache.ts',
    'src/dht/record-store.ts',
    'src/peers/handshake.ts',
    'src/peers/handshake-transcript.ts',
    'src/peers/connection-handshake.ts',
    'src/peers/score.ts',
  ],
  ignoreStatic: true,
  // assembly/ is AssemblyScript (decorators on functions), not TypeScript Stryker can parse.
  disableTypeChecks: 'src/**/*.ts',
  ignorePatterns: ['.cache', 'dist/browser'],
  concurrency: 2,
  // A mutant that makes a test loop is killed by timeout: the tests' own time x 1.5 + 5 s
  // (Stryker's defaults; tighter ones turned slow runs on a busy machine into false kills).
  timeoutMS: 5_000,
  timeoutFactor: 1.5,
  reporters: ['clear-text', 'progress', 'json'],
  // build/mutate.mjs names the module, so runs of different modules can go side by side.
  jsonReporter: { fileName: `.cache/mutation/${process.env.WASMESH_MUTATION_MODULE ?? 'mutation'}.json` },
  tempDirName: '.cache/stryker-tmp',
  // Not incremental: Stryker 9 reused survivors' results after new tests were added for them.
  incremental: false,
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 80, break: null },
}
