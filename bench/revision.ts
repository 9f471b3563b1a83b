// The source a run measured: the git commit, and whether the code that shapes the figures
// (src/, assembly/, bench/) had uncommitted changes, so bench/RESULTS.md says what it is of.

import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** What the figures depend on; RESULTS.md itself is left out, as each run rewrites it. */
const MEASURED_PATHS = ['src', 'assembly', 'bench', ':(exclude)bench/RESULTS.md']

function git(args: readonly string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
}

/** 'a1b2c3d', 'a1b2c3d + uncommitted changes', or why there is no commit to name. */
export function sourceRevision(): string {
  let commit: string
  try {
    commit = git(['rev-parse', '--short', 'HEAD'])
  } catch (error) {
    return `unknown (git rev-parse HEAD failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)})`
  }
  const dirty = git(['status', '--porcelain', '--', ...MEASURED_PATHS]) !== ''
  return dirty ? `${commit} + uncommitted changes under src/, assembly/ or bench/` : commit
}
