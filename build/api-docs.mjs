// The API reference in docs/api/, generated from the doc comments of what src/index.ts,
// src/kbucket/index.ts and src/sim/index.ts export: TypeDoc with typedoc-plugin-markdown (typedoc.json) for the
// declarations, plus docs/api/errors.md, every error code of every *ErrorCode type with the
// class that carries it and what it means (TypeDoc does not show comments on union members).
//   node build/api-docs.mjs --write   regenerates docs/api/ (npm run docs:api)
//   node build/api-docs.mjs           regenerates into a temporary folder and exits 1, naming
//                                     the files, when docs/api/ is stale (npm test runs this)

import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { Application } from 'typedoc'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const target = join(root, 'docs', 'api')
const write = process.argv.includes('--write')

async function generate(out) {
  const app = await Application.bootstrapWithPlugins({ options: join(root, 'typedoc.json'), out })
  const project = await app.convert()
  if (project === undefined) throw new Error('TypeDoc could not convert the project (see the errors above)')
  app.validate(project)
  if (app.logger.hasErrors() || app.logger.hasWarnings()) throw new Error('TypeDoc reported errors or warnings (above): fix the doc comments')
  await app.generateOutputs(project)
  await writeFile(join(out, 'errors.md'), await errorReference())
}

/** Every `export type XErrorCode = 'A' | 'B'` in src/, with each member's comment and the class whose `code` it types. */
async function errorReference() {
  const files = (await readdir(join(root, 'src'), { recursive: true })).filter((file) => file.endsWith('.ts')).sort()
  const sections = []
  const undocumented = []
  for (const file of files) {
    const text = await readFile(join(root, 'src', file), 'utf8')
    if (!text.includes('ErrorCode')) continue
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true)
    const classesByCode = new Map()
    for (const statement of source.statements) {
      if (!ts.isClassDeclaration(statement) || statement.name === undefined) continue
      for (const member of statement.members) {
        if (ts.isPropertyDeclaration(member) && member.name.getText() === 'code' && member.type !== undefined) {
          const type = member.type.getText()
          if (!classesByCode.has(type)) classesByCode.set(type, [])
          classesByCode.get(type).push(statement.name.text)
        }
      }
    }
    for (const statement of source.statements) {
      if (!ts.isTypeAliasDeclaration(statement) || !statement.name.text.endsWith('ErrorCode')) continue
      if (!(ts.getModifiers(statement) ?? []).some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)) continue
      const name = statement.name.text
      const members = ts.isUnionTypeNode(statement.type) ? statement.type.types : [statement.type]
      const rows = []
      let previousEnd = statement.type.pos
      for (const member of members) {
        const before = text.slice(previousEnd, member.getStart(source))
        previousEnd = member.end
        if (!ts.isLiteralTypeNode(member) || !ts.isStringLiteral(member.literal)) continue
        const code = member.literal.text
        const description = commentOf(text, before, member)
        if (description === '') undocumented.push(`${name} '${code}' (src/${file})`)
        rows.push(`| \`${code}\` | ${description.replace(/\|/g, '\\|')} |`)
      }
      const classes = classesByCode.get(name) ?? []
      const carriedBy = classes.length === 0 ? '' : `Carried by ${classes.map((cls) => `\`${cls}\``).join(', ')} (\`error.code\`). `
      sections.push(`## ${name}\n\n${carriedBy}Declared in \`src/${file.split('\\').join('/')}\`.\n\n| code | thrown when |\n| --- | --- |\n${rows.join('\n')}\n`)
    }
  }
  if (undocumented.length > 0) throw new Error(`error codes without a comment (document each in its *ErrorCode type):\n  ${undocumented.join('\n  ')}`)
  return [
    '# Error codes',
    '',
    'Every error wasmesh throws is a `WasmeshError` subclass with a stable `code` to switch on and a message that says',
    'what was wrong and what was expected. Errors of a lower layer pass through the node unchanged. Generated from the',
    'comments of the `*ErrorCode` types by `npm run docs:api`; `npm test` fails when this page is stale.',
    '',
    ...sections,
  ].join('\n')
}

/** A union member's comment: the last `/** ... *\/` between it and the member before, else the `// ...` after it on its line. */
function commentOf(text, before, node) {
  const blocks = [...before.matchAll(/\/\*\*([\s\S]*?)\*\//g)]
  if (blocks.length > 0) return blocks.at(-1)[1].split('\n').map((line) => line.replace(/^\s*\*\s?/, '').trim()).filter(Boolean).join(' ')
  const lineEnd = text.indexOf('\n', node.end)
  const rest = text.slice(node.end, lineEnd === -1 ? undefined : lineEnd)
  const trailing = /^\s*\/\/\s?(.*)$/.exec(rest)
  return trailing === null ? '' : trailing[1].trim()
}

async function listFiles(dir) {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name))).sort()
  } catch (error) {
    if (error.code === 'ENOENT') return []
    throw error
  }
}

if (write) {
  await rm(target, { recursive: true, force: true })
  await mkdir(target, { recursive: true })
  await generate(target)
  console.log(`wrote ${(await listFiles(target)).length} files to docs/api/`)
} else {
  const scratch = await mkdtemp(join(tmpdir(), 'wasmesh-api-'))
  try {
    await generate(scratch)
    const [fresh, current] = await Promise.all([listFiles(scratch), listFiles(target)])
    const stale = []
    for (const file of new Set([...fresh, ...current])) {
      const [a, b] = await Promise.all([readFile(join(scratch, file), 'utf8').catch(() => undefined), readFile(join(target, file), 'utf8').catch(() => undefined)])
      if (a !== b) stale.push(a === undefined ? `${file} (should not exist)` : b === undefined ? `${file} (missing)` : file)
    }
    if (stale.length > 0) {
      console.error(`docs/api/ is stale against the doc comments in src/; run npm run docs:api. Differs:\n  ${stale.join('\n  ')}`)
      process.exitCode = 1
    } else {
      console.log(`docs/api/ is up to date (${fresh.length} files)`)
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}
