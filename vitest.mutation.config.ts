import { defineConfig } from 'vitest/config'

// The tests `npm run mutate` may run against a mutant. build/mutate.mjs mutates one module at a
// time and narrows this further to that module's own tests (Stryker's --testFiles): a mutant must
// be caught by the tests of its own layer, and a surviving mutant runs every test that reached
// it, so the node-level meshes and the browser tests would cost minutes per mutant.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'test/**/*.browser.test.ts', 'test/node/**', 'test/integration/**'],
    testTimeout: 30_000,
  },
})
