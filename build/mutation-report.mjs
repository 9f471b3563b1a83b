// Turns StrykerJS's JSON reports into docs/mutation.md: the score of each mutated module, and
// every surviving mutant either matched to an entry of test/mutation/<module>.json (a change
// no test can observe, with why) or listed as unexplained. Exits 1 when any survivor is
// unexplained, so `npm run mutate` fails until each is killed by a test or justified.
//   node build/mutation-report.mjs [--no-write]

import { readFileSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs'
import { MODULES } from './mutate.mjs'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const equivalentDir = join(root, 'test/mutation')
const outputPath = join(root, 'docs/mutation.md')

// Stryker's statuses: only these are valid mutants; CompileError/RuntimeError/Ignored are not.
const KILLED = new Set(['Killed', 'Timeout']) // a Timeout is a mutant that made a test loop
const LIVE = new Set(['Survived', 'NoCoverage'])

function sourceAt(source, location) {
  const lines = source.split('\n')
  const { start, end } = location
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1)
  const parts = [lines[start.line - 1].slice(start.column - 1)]
  for (let line = start.line + 1; line < end.line; line++) parts.push(lines[line - 1])
  parts.push(lines[end.line - 1].slice(0, end.column - 1))
  return parts.join('\n')
}

// An equivalent entry names its mutant by file, mutator, the original text and the replacement,
// never by line, so it survives edits elsewhere in the file.
function matches(entry, file, mutant, original) {
  return entry.file === file && entry.mutator === mutant.mutatorName &&
    entry.original === original && entry.replacement === mutant.replacement
}

function oneLine(text, max = 90) {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

function code(text) {
  const escaped = oneLine(text).replace(/\|/g, '\\|')
  return escaped.includes('`') ? `\`\` ${escaped} \`\`` : `\`${escaped}\``
}

function percent(part, whole) {
  return whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)}%`
}

function commitOf() {
  try {
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'test'], { cwd: root, encoding: 'utf8' }).trim()
    return dirty === '' ? hash : `${hash} + uncommitted changes`
  } catch {
    return 'unknown'
  }
}

// One Stryker report per module, written by build/mutate.mjs into .cache/ (not committed: a
// report is 100-200 KB). A module with no report here keeps what the committed
// docs/mutation.md says of it (its rows and its mutants in each table), so a fresh clone that
// reruns one module does not lose the others' results.
const reports = MODULES.map((module) => ({ module, path: join(root, `.cache/mutation/${module.name}.json`) }))
const missing = reports.filter(({ path }) => !existsSync(path)).map(({ module }) => module.name)
if (missing.length === reports.length) {
  console.error('no mutation reports in .cache/mutation: run `npm run mutate` first')
  process.exit(1)
}
const carried = carriedFromReport(existsSync(outputPath) ? readFileSync(outputPath, 'utf8') : '', new Set(missing))
// One file of equivalent mutants per module (test/mutation/<module>.json), so they can be edited apart.
const equivalents = readdirSync(equivalentDir).filter((name) => name.endsWith('.json')).sort()
  .flatMap((name) => JSON.parse(readFileSync(join(equivalentDir, name), 'utf8')))
const used = new Set()
const rows = []
const unexplained = []
const explained = []
const byHand = []
const totals = { killed: 0, timeout: 0, byHand: 0, survived: 0, noCoverage: 0, equivalent: 0, invalid: 0 }

function tally(moduleName, file, { source, mutants }) {
  const row = { module: moduleName, file, killed: 0, timeout: 0, byHand: 0, survived: 0, noCoverage: 0, equivalent: 0, invalid: 0 }
  for (const mutant of mutants) {
    if (KILLED.has(mutant.status)) {
      row.killed++
      if (mutant.status === 'Timeout') row.timeout++
    }
    else if (!LIVE.has(mutant.status)) row.invalid++
    else {
      const original = sourceAt(source, mutant.location)
      const index = equivalents.findIndex((entry) => matches(entry, file, mutant, original))
      const seen = { file, line: mutant.location.start.line, mutator: mutant.mutatorName, original, replacement: mutant.replacement, status: mutant.status }
      if (index >= 0 && equivalents[index].killedBy !== undefined) {
        // A module-level mutant Stryker never switches on (with --testFiles it activates
        // mutants after the module has loaded): planted by hand, the named test fails.
        used.add(index)
        row.killed++
        row.byHand++
        byHand.push({ ...seen, killedBy: equivalents[index].killedBy })
      } else if (index >= 0) {
        used.add(index)
        row.equivalent++
        explained.push({ ...seen, why: equivalents[index].why })
      } else {
        if (mutant.status === 'Survived') row.survived++
        else row.noCoverage++
        unexplained.push(seen)
      }
    }
  }
  return row
}

for (const { module, path } of reports) {
  if (missing.includes(module.name)) continue
  const report = JSON.parse(readFileSync(path, 'utf8'))
  const runAt = statSync(path).mtime.toISOString().slice(0, 16).replace('T', ' ')
  // A module named by plain paths counts those files only: a report from before a module was
  // split holds files that now belong to another module.
  const isListed = (file) => module.mutate.some((pattern) => pattern.includes('*')) || module.mutate.includes(file)
  for (const file of Object.keys(report.files).sort().filter(isListed)) {
    const row = { ...tally(module.name, file, report.files[file]), runAt }
    rows.push(row)
    for (const key of Object.keys(totals)) totals[key] += row[key]
  }
}

// Adds the carried modules' rows (their run time as it was) and totals.
const freshFiles = new Set(rows.map((row) => row.file))
for (const row of carried.rows) {
  rows.push(row)
  for (const key of Object.keys(totals)) totals[key] += row[key]
}
const ran = new Set(rows.map((row) => row.module))
const notRun = missing.filter((name) => !ran.has(name))

// A score counts every valid mutant; the "tested" score leaves out the ones no test can observe.
function scores(row) {
  const valid = row.killed + row.survived + row.noCoverage + row.equivalent
  return { valid, score: percent(row.killed, valid), tested: percent(row.killed, valid - row.equivalent) }
}

const stale = equivalents.filter((_, index) => !used.has(index))
const lines = [
  '# Mutation testing',
  '',
  'StrykerJS plants one small bug at a time (a flipped comparison, a removed statement, a changed',
  'constant) in the modules where a silent bug costs most, and runs the tests that cover it. A mutant',
  'a test fails on is killed; one that passes every test survived. Every survivor below is either',
  'killed by a new test or listed in `test/mutation/<module>.json` with why no test can observe it.',
  'The AssemblyScript side is not mutated (Stryker reads JavaScript and TypeScript): each wasm',
  'structure is held to its mutated TypeScript twin by the differential tests in `test/core/`.',
  'Code that runs once, when a module is first imported (the wire\'s codec and type-code tables), is',
  'out of the run\'s reach: Stryker\'s vitest runner switches a mutant on after the module has loaded,',
  'so such a mutant survives every test whatever they check. Each of those was planted by hand',
  'instead, in the source, against the same tests, and its entry names the test that failed.',
  '',
  `- report written at commit ${commitOf()}, ${new Date().toISOString()}; each module's run time (UTC) is in the table`,
  '- command: `npm run mutate` (StrykerJS 9 with its vitest runner, `stryker.config.mjs`). Each module is',
  '  mutated alone and run against its own layer\'s tests (`build/mutate.mjs` lists them; never the',
  '  mesh, join or browser runs). One module again: `npm run mutate -- wire-frames`; the rest keep their results.',
  '- score = killed / valid mutants; tested score leaves out the equivalent ones. Timeouts count as',
  '  killed (the mutant made a test loop). Mutants that do not compile or are ignored are not counted.',
  '',
  '| module | run | file | valid | killed (of which timeouts) | equivalent | survived | no coverage | score | tested score |',
  '|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
]
for (const row of [...rows, { module: '**all**', runAt: '', file: '', ...totals }]) {
  const { valid, score, tested } = scores(row)
  lines.push(`| ${row.module} | ${row.runAt} | ${row.file} | ${valid} | ${row.killed} (${row.timeout}) | ${row.equivalent} | ${row.survived} | ${row.noCoverage} | ${score} | ${tested} |`)
}
if (notRun.length > 0) lines.push('', `Not run yet: ${notRun.join(', ')}.`)
if (carried.rows.length > 0) lines.push('', `Carried from the previous report (not rerun here): ${[...new Set(carried.rows.map((row) => row.module))].join(', ')}.`)
lines.push('')
lines.push('## Unexplained survivors', '')
if (unexplained.length + carried.tables.unexplained.length === 0) lines.push('None.')
else {
  lines.push('| file:line | mutator | original | replacement | status |', '|---|---|---|---|---|')
  for (const m of unexplained) lines.push(`| ${m.file}:${m.line} | ${m.mutator} | ${code(m.original)} | ${code(m.replacement)} | ${m.status} |`)
  lines.push(...carried.tables.unexplained)
}
lines.push('', '## Mutants killed by hand', '')
lines.push('Stryker switches a mutant on after the module has loaded, so one in a module-level constant never')
lines.push('runs; and a few mutants only change answers in states a test takes seconds to reach, too slow to')
lines.push('run against every mutant (such tests live outside the module\'s test list in build/mutate.mjs).')
lines.push('And survivors of a run for which a test was written after it are planted by hand against that test')
lines.push('until the module runs again (`npm run mutate -- <module>`; its run date is in the table above).')
lines.push('Each was planted by hand; the test named fails on it. They count as killed.', '')
if (byHand.length + carried.tables.byHand.length === 0) lines.push('None.')
else {
  lines.push('| file:line | mutator | original | replacement | killed by |', '|---|---|---|---|---|')
  for (const m of byHand) lines.push(`| ${m.file}:${m.line} | ${m.mutator} | ${code(m.original)} | ${code(m.replacement)} | ${m.killedBy.replace(/\|/g, '\\|')} |`)
  lines.push(...carried.tables.byHand)
}
lines.push('', '## Equivalent mutants, and why no test can tell', '')
if (explained.length + carried.tables.explained.length === 0) lines.push('None.')
else {
  lines.push('| file:line | mutator | original | replacement | why |', '|---|---|---|---|---|')
  for (const m of explained) lines.push(`| ${m.file}:${m.line} | ${m.mutator} | ${code(m.original)} | ${code(m.replacement)} | ${m.why.replace(/\|/g, '\\|')} |`)
  lines.push(...carried.tables.explained)
}
lines.push('')

if (!args.includes('--no-write')) writeFileSync(outputPath, lines.join('\n'))
const { valid, score } = scores(totals)
console.log(`mutation score ${score} over ${valid} mutants; ${unexplained.length} unexplained survivors; ${explained.length} equivalent; ${byHand.length} killed by hand`)
for (const entry of stale.filter((entry) => freshFiles.has(entry.file))) console.log(`note: an equivalent entry matched no survivor (killed or code changed?): ${entry.file} ${entry.mutator} ${oneLine(entry.original, 60)}`)
for (const m of unexplained) console.log(`  survived ${m.file}:${m.line} ${m.mutator}: ${oneLine(m.original, 60)} -> ${oneLine(m.replacement, 60)}`)
process.exit(unexplained.length + carried.tables.unexplained.length === 0 ? 0 : 1)

/**
 * What the previous docs/mutation.md says of the modules in `names`: their rows of the score
 * table (as row objects) and, for each mutant table, its lines whose file is one of theirs.
 */
function carriedFromReport(text, names) {
  const rows = []
  const tables = { unexplained: [], byHand: [], explained: [] }
  if (text === '' || names.size === 0) return { rows, tables }
  const cells = (line) => line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim())
  for (const line of text.split('\n')) {
    if (!line.startsWith('| ')) continue
    const [module, runAt, file, , killed, equivalent, survived, noCoverage] = cells(line)
    const killedMatch = /^(\d+) \((\d+)\)$/.exec(killed ?? '')
    if (!names.has(module) || killedMatch === null) continue
    rows.push({ module, runAt, file, killed: Number(killedMatch[1]), timeout: Number(killedMatch[2]), byHand: 0, survived: Number(survived), noCoverage: Number(noCoverage), equivalent: Number(equivalent), invalid: 0 })
  }
  const files = new Set(rows.map((row) => row.file))
  const sections = { '## Unexplained survivors': 'unexplained', '## Mutants killed by hand': 'byHand', '## Module-level mutants, killed by hand': 'byHand', '## Equivalent mutants, and why no test can tell': 'explained' }
  let section
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) section = sections[line.trim()]
    else if (section !== undefined && line.startsWith('| src/') && files.has(line.slice(2).split(':')[0])) tables[section].push(line)
  }
  for (const row of rows) row.byHand = tables.byHand.filter((line) => line.slice(2).startsWith(`${row.file}:`)).length
  return { rows, tables }
}
