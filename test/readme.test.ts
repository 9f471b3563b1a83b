// The README's examples run as written, so the README cannot drift from the code. A ```ts or
// ```js block marked `<!-- test: run ... -->` is stripped of its types (esbuild), written under
// .cache/readme/ inside the package (so `import ... from 'wasmesh'` resolves to this package's
// built dist/, as it does for a user), and run by Node in a process of its own, on the real
// clock. The process must exit by itself with code 0 and print exactly the ```text block
// marked `<!-- test: output -->` that follows. `npm test` builds dist/ before vitest runs.

import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'
import { describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
/** Kills a hung example so the failure says so (it is a hang guard, not a speed bound). */
const HANG_GUARD_MS = 60_000

export interface ReadmeExample {
  /** 1-based line of the code block's opening fence. */
  readonly line: number
  readonly code: string
  readonly output: string
}

/** The runnable blocks of a Markdown text, each with the output block after it. */
export function readmeExamples(markdown: string): ReadmeExample[] {
  const lines = markdown.split('\n')
  const examples: ReadmeExample[] = []
  const blockAfter = (from: number, language: string): { start: number; end: number } => {
    let start = from
    while (start < lines.length && lines[start]!.trim() === '') start++
    if (lines[start] !== '```' + language) throw new Error(`README line ${start + 1}: expected a \`\`\`${language} block after the marker at line ${from}`)
    let end = start + 1
    while (end < lines.length && lines[end] !== '```') end++
    return { start, end }
  }
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('<!-- test: run')) continue
    const code = blockAfter(i + 1, lines.slice(i + 1).find((line) => line.trim() !== '') === '```js' ? 'js' : 'ts')
    let marker = code.end + 1
    while (marker < lines.length && !lines[marker]!.startsWith('<!-- test: output')) {
      if (lines[marker]!.startsWith('```') || lines[marker]!.startsWith('<!-- test: run')) throw new Error(`README line ${code.start + 1}: a run block needs an output block (<!-- test: output -->) before the next block`)
      marker++
    }
    const output = blockAfter(marker + 1, 'text')
    examples.push({ line: code.start + 1, code: lines.slice(code.start + 1, code.end).join('\n'), output: lines.slice(output.start + 1, output.end).join('\n') })
    i = output.end
  }
  return examples
}

function run(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd: root, timeout: HANG_GUARD_MS, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr })
    })
  })
}

const readme = await readFile(join(root, 'README.md'), 'utf8')
const examples = readmeExamples(readme)

describe('README.md', () => {
  it('has at least the mesh node example marked to run', () => {
    expect(examples.length).toBeGreaterThanOrEqual(1)
  })

  for (const example of examples) {
    it(`the example at README.md line ${example.line} runs as written, prints what the README shows and exits`, async () => {
      if (!existsSync(join(root, 'dist/node/index.js'))) throw new Error('dist/ is not built: run npm run build (npm test does)')
      const { code } = await transform(example.code, { loader: 'ts', format: 'esm', target: 'node20' })
      const dir = join(root, '.cache', 'readme')
      await mkdir(dir, { recursive: true })
      const file = join(dir, `readme-line-${example.line}.mjs`)
      await writeFile(file, code)
      const result = await run(file)
      expect({ exitCode: result.code, stderr: result.stderr }).toEqual({ exitCode: 0, stderr: '' })
      expect(result.stdout.trimEnd()).toBe(example.output.trimEnd())
    }, HANG_GUARD_MS + 10_000)
  }
})
