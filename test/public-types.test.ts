// Every type a user meets in a public signature can be named: the public entry points
// (src/index.ts, src/kbucket/index.ts, src/sim/index.ts) are compiled to declarations in memory, as
// dist/types ships them, and every type those declarations refer to (member types, parameters,
// results, base classes, type arguments, transitively) must be declared outside src/ (the
// platform's, a dependency's) or be exported by an entry point itself. Inferred types count:
// the declarations spell them out. test/public-types.ts names the ones users asked for.

import { describe, expect, it } from 'vitest'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const ENTRY_POINTS = ['src/index.ts', 'src/kbucket/index.ts', 'src/sim/index.ts']
/**
 * Classes users get from a factory and never construct, whose constructors take internal
 * types: MemoryNetwork makes its transports and connections. (Better: `@internal` on those
 * constructors in src/transport/memory/, which this check honours.)
 */
const FACTORY_MADE = new Set(['MemoryTransport', 'MemoryConnection'])

/** The entry points' declarations, emitted in memory from src/ with the build's options. */
function emitDeclarations(): Map<string, string> {
  const configFile = ts.readConfigFile(join(root, 'tsconfig.build.json'), ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root)
  const options: ts.CompilerOptions = { ...parsed.options, declaration: true, emitDeclarationOnly: true, noEmit: false }
  const program = ts.createProgram(ENTRY_POINTS.map((entry) => join(root, entry)), options)
  const files = new Map<string, string>()
  const result = program.emit(undefined, (fileName, text) => {
    if (fileName.endsWith('.d.ts')) files.set(fileName, text)
  }, undefined, true)
  const errors = result.diagnostics.filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error)
  if (errors.length > 0) throw new Error(ts.formatDiagnostics(errors, { getCanonicalFileName: (name) => name, getCurrentDirectory: () => root, getNewLine: () => '\n' }))
  return files
}

interface Missing {
  /** The unexported type, as `file:Name`. */
  readonly type: string
  /** Where a user meets it: the exported name and the member it is reached through. */
  readonly via: string
}

/** Walks the declarations' public surface and lists the types it refers to that nobody can import. */
function findUnexportedTypes(): Missing[] {
  const declarations = emitDeclarations()
  const outDir = join(root, 'dist/types')
  const host = ts.createCompilerHost({})
  const readFile = host.readFile.bind(host)
  const fileExists = host.fileExists.bind(host)
  // The in-memory folders too: module resolution asks whether a folder exists before its files.
  const folders = new Set<string>()
  for (const fileName of declarations.keys()) {
    for (let folder = dirname(fileName); folder.startsWith(outDir) && !folders.has(folder); folder = dirname(folder)) folders.add(folder)
  }
  const directoryExists = host.directoryExists?.bind(host) ?? ts.sys.directoryExists
  host.readFile = (fileName) => declarations.get(fileName) ?? readFile(fileName)
  host.fileExists = (fileName) => declarations.has(fileName) || fileExists(fileName)
  host.directoryExists = (folder) => folders.has(folder) || directoryExists(folder)
  const entries = ENTRY_POINTS.map((entry) => join(outDir, relative('src', entry)).replace(/\.ts$/, '.d.ts'))
  const program = ts.createProgram(entries, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: ['node'], skipLibCheck: true, noEmit: true }, host)
  const checker = program.getTypeChecker()
  const resolve = (symbol: ts.Symbol): ts.Symbol => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol)
  const isOurs = (declaration: ts.Declaration) => declaration.getSourceFile().fileName.startsWith(outDir)

  const exported = new Set<ts.Symbol>()
  const queue: { symbol: ts.Symbol; via: string }[] = []
  for (const entry of entries) {
    const source = program.getSourceFile(entry)
    if (source === undefined) throw new Error(`no declarations emitted for ${entry}`)
    const moduleSymbol = checker.getSymbolAtLocation(source)
    if (moduleSymbol === undefined) throw new Error(`${entry} is not a module`)
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      const target = resolve(symbol)
      // An export whose module did not resolve would make this check pass for nothing.
      if (target.declarations === undefined || target.declarations.length === 0) throw new Error(`cannot resolve the export ${symbol.name} of ${entry}`)
      exported.add(target)
      queue.push({ symbol: target, via: symbol.name })
    }
  }

  const missing = new Map<string, Missing>()
  const visited = new Set<ts.Symbol>()
  // Private members, and members marked `@internal` in their doc comment, are not the public surface.
  const isHidden = (node: ts.Node) =>
    (ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((modifier) => modifier.kind === ts.SyntaxKind.PrivateKeyword)) ||
    ((ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node)) && ts.isPrivateIdentifier(node.name)) ||
    ((ts.isClassElement(node) || ts.isTypeElement(node) || ts.isParameter(node)) && ts.getJSDocTags(node).some((tag) => tag.tagName.text === 'internal'))

  const refer = (symbol: ts.Symbol | undefined, via: string) => {
    if (symbol === undefined) return
    const target = resolve(symbol)
    if (target.flags & ts.SymbolFlags.TypeParameter) return
    // A class built on a value (`extends Emitter<E>`, Emitter a const): its type is what users meet.
    if (target.flags & ts.SymbolFlags.Variable && !(target.flags & ts.SymbolFlags.Type)) {
      queue.push({ symbol: target, via })
      return
    }
    const declaration = target.declarations?.[0]
    if (declaration === undefined || !isOurs(declaration)) return
    // A member of an exported enum or namespace (Enum.Member) is named through its parent.
    const parent = (target as { parent?: ts.Symbol }).parent
    if (!exported.has(target) && !(parent !== undefined && exported.has(parent) && !(parent.flags & ts.SymbolFlags.ValueModule && !(parent.flags & ts.SymbolFlags.Enum)))) {
      const file = relative(outDir, declaration.getSourceFile().fileName).replace(/\.d\.ts$/, '.ts')
      const key = `src/${file}:${target.name}`
      if (!missing.has(key)) missing.set(key, { type: key, via })
    }
    queue.push({ symbol: target, via })
  }

  /** Every type reference under `node`, skipping private members and function bodies (none in .d.ts). */
  const walk = (node: ts.Node, via: string): void => {
    if (isHidden(node)) return
    if (ts.isTypeReferenceNode(node)) refer(checker.getSymbolAtLocation(node.typeName), via)
    else if (ts.isExpressionWithTypeArguments(node)) refer(checker.getSymbolAtLocation(node.expression), via)
    else if (ts.isTypeQueryNode(node)) refer(checker.getSymbolAtLocation(node.exprName), via)
    else if (ts.isImportTypeNode(node)) {
      const type = checker.getTypeFromTypeNode(node)
      refer(type.aliasSymbol ?? type.getSymbol(), via)
    }
    ts.forEachChild(node, (child) => walk(child, via))
  }
  /** `path`: how the symbol was reached ('MeshNode.dht > MeshDht.get'); `member`: the member of it being walked. */
  const walkMember = (node: ts.Node, owner: string, path: string) => {
    if (ts.isConstructorDeclaration(node) && FACTORY_MADE.has(owner)) return
    const name = ts.isClassElement(node) || ts.isTypeElement(node) ? (node.name?.getText() ?? (ts.isConstructorDeclaration(node) ? 'constructor' : '')) : ''
    const here = name === '' ? owner : `${owner}.${name}`
    walk(node, path === owner ? here : `${path} > ${here}`)
  }

  while (queue.length > 0) {
    const { symbol, via } = queue.shift() as { symbol: ts.Symbol; via: string }
    if (visited.has(symbol)) continue
    visited.add(symbol)
    for (const declaration of symbol.declarations ?? []) {
      if (!isOurs(declaration)) continue
      // A variable's or function's declaration is its type; a class's, interface's or alias's is its body.
      if (!ts.isClassDeclaration(declaration) && !ts.isInterfaceDeclaration(declaration)) {
        walk(ts.isVariableDeclaration(declaration) ? (declaration.type ?? declaration) : declaration, via)
        continue
      }
      for (const clause of declaration.heritageClauses ?? []) walk(clause, via)
      for (const typeParameter of declaration.typeParameters ?? []) walk(typeParameter, via)
      for (const member of declaration.members) walkMember(member, symbol.name, via)
    }
  }
  return [...missing.values()].sort((a, b) => a.type.localeCompare(b.type))
}

describe('the public surface', () => {
  it('exports every type that appears in a public signature of wasmesh, wasmesh/kbucket and wasmesh/sim', () => {
    const missing = findUnexportedTypes().map(({ type, via }) => `${type} (reached through ${via})`)
    expect(missing).toEqual([])
  }, 120_000)
})
