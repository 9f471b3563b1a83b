// `npm run mutate [-- stryker flags]`: runs StrykerJS (stryker.config.mjs), then writes
// docs/mutation.md from its report (build/mutation-report.mjs). Flags go to Stryker, e.g.
//   npm run mutate -- --mutate src/wire/reader.ts
// A run over part of the modules writes a report of that part only: commit the full run's.

import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const stryker = join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js')
const run = spawnSync(process.execPath, [stryker, 'run', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
if (run.status !== 0) process.exit(run.status ?? 1)
const report = spawnSync(process.execPath, [join(root, 'build/mutation-report.mjs')], { cwd: root, stdio: 'inherit' })
process.exit(report.status ?? 1)
