import { defineConfig } from 'vitest/config'

// The test set `npm run mutate` runs against each mutant: every unit and node-level test, but not
// the large mesh and join acceptance runs (minutes each; they cover nothing the unit tests do
// not reach first) nor the Chromium tests (a browser per mutant).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'test/**/*.browser.test.ts', 'test/node/mesh.test.ts', 'test/node/join.test.ts'],
    testTimeout: 30_000,
  },
})
