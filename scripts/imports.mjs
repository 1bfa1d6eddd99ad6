#!/usr/bin/env node
// Fails on an import cycle in src/, type-only imports included (ESLint's import/no-cycle skips `import type`).
// The graph comes from TypeScript's own pre-processor (ts.preProcessFile): every `import`, `import type`,
// `export … from` and `import()` of a relative module is an edge.
//
//   node scripts/import-cycles.mjs [DIR]   exit 1 and print each cycle found (DIR: src by default)
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { ROOT, isMain } from './lib/generated.mjs'

function tsFiles(dir) {
  return readdirSync(dir).flatMap(name => {
    const full = join(dir, name)
    if (statSync(full).isDirectory()) return tsFiles(full)
    return /\.ts$/.test(name) && !/\.d\.ts$/.test(name) ? [full] : []
  })
}

/** The import graph of the .ts files under `dir`: file → the files it imports (relative imports only). */
export function importGraph(dir) {
  const files = tsFiles(dir)
  const known = new Set(files)
  const graph = new Map()
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
    const targets = new Set()
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue
      const base = resolve(dirname(file), fileName).replace(/\.js$/, '')
      const target = [`${base}.ts`, join(base, 'index.ts')].find(candidate => known.has(candidate))
      if (target) targets.add(target)
    }
    graph.set(file, [...targets].sort())
  }
  return graph
}

/** The cycles of a graph: its strongly connected components with more than one node, or a node importing itself. */
export function cycles(graph) {
  let index = 0
  const indices = new Map()
  const lowlinks = new Map()
  const stack = []
  const onStack = new Set()
  const found = []
  const visit = node => {
    indices.set(node, index)
    lowlinks.set(node, index)
    index++
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next)
        lowlinks.set(node, Math.min(lowlinks.get(node), lowlinks.get(next)))
      } else if (onStack.has(next)) {
        lowlinks.set(node, Math.min(lowlinks.get(node), indices.get(next)))
      }
    }
    if (lowlinks.get(node) !== indices.get(node)) return
    const component = []
    let member
    do {
      member = stack.pop()
      onStack.delete(member)
      component.push(member)
    } while (member !== node)
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort())
  }
  for (const node of [...graph.keys()].sort()) if (!indices.has(node)) visit(node)
  return found
}

/** One path around a cycle, for the message: a → b → … → a, within the component. */
function loop(graph, component) {
  const members = new Set(component)
  const start = component[0]
  const previous = new Map([[start, undefined]])
  const queue = [start]
  while (queue.length) {
    const node = queue.shift()
    for (const next of graph.get(node) ?? []) {
      if (!members.has(next)) continue
      if (next === start) {
        const path = [node]
        while (previous.get(path[0]) !== undefined) path.unshift(previous.get(path[0]))
        return [...path, start]
      }
      if (!previous.has(next)) {
        previous.set(next, node)
        queue.push(next)
      }
    }
  }
  return component
}

if (isMain(import.meta.url)) {
  const dir = resolve(ROOT, process.argv[2] ?? 'src')
  const graph = importGraph(dir)
  const found = cycles(graph)
  const rel = file => relative(ROOT, file)
  if (found.length === 0) {
    console.log(`import-cycles: no cycle among ${graph.size} modules of ${rel(dir)}/ (type-only imports included)`)
  } else {
    console.error(`import-cycles: ${found.length} cycle(s) in ${rel(dir)}/ (type-only imports included):`)
    for (const component of found) console.error(`  ${loop(graph, component).map(rel).join(' → ')}`)
    process.exitCode = 1
  }
}
