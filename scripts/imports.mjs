#!/usr/bin/env node
// The import rules of src/, type-only imports included (ESLint's import/no-cycle skips `import type`):
// - no import cycle, between files or between the folders of src/core;
// - a folder of src/core is used from outside only through its public entry, its index.ts;
// - src/core imports nothing of the front ends (src/action, src/cli).
// The graph comes from TypeScript's own pre-processor (ts.preProcessFile): every `import`, `import type`,
// `export … from` and `import()` of a relative module is an edge.
//
//   node scripts/imports.mjs [DIR]   exit 1 and print each finding (DIR: src by default)
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
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

/** The folder of src/core a file belongs to (`dir` is src/), or undefined outside src/core's folders. */
function coreFolder(dir, file) {
  const parts = relative(join(dir, 'core'), file).split(sep)
  return parts.length > 1 && parts[0] !== '..' ? parts[0] : undefined
}

/** The graph between the folders of src/core: folder → the folders its files import. */
export function folderGraph(dir, graph) {
  const folders = new Map()
  for (const [file, targets] of graph) {
    const from = coreFolder(dir, file)
    if (!from) continue
    const to = new Set(folders.get(from) ?? [])
    for (const target of targets) {
      const folder = coreFolder(dir, target)
      if (folder && folder !== from) to.add(folder)
    }
    folders.set(from, [...to].sort())
  }
  return folders
}

/** Imports that break the layout: into a folder of src/core past its index.ts, or from src/core into a front end. */
export function layoutBreaks(dir, graph) {
  const breaks = []
  for (const [file, targets] of graph) {
    const from = coreFolder(dir, file)
    const inCore = !relative(join(dir, 'core'), file).startsWith('..')
    for (const target of targets) {
      const to = coreFolder(dir, target)
      if (to && to !== from && basename(target) !== 'index.ts') breaks.push([file, target, `past the public entry of core/${to}`])
      if (inCore && relative(join(dir, 'core'), target).startsWith('..')) breaks.push([file, target, 'from the core into a front end'])
    }
  }
  return breaks
}

if (isMain(import.meta.url)) {
  const dir = resolve(ROOT, process.argv[2] ?? 'src')
  const graph = importGraph(dir)
  const rel = file => relative(ROOT, file)
  const folders = folderGraph(dir, graph)
  const found = [...cycles(graph).map(c => loop(graph, c).map(rel)), ...cycles(folders).map(c => loop(folders, c).map(f => `core/${f}/`))]
  const breaks = layoutBreaks(dir, graph)
  for (const c of found) console.error(`imports: a cycle: ${c.join(' → ')}`)
  for (const [file, target, why] of breaks) console.error(`imports: ${rel(file)} imports ${rel(target)}: ${why}`)
  if (found.length + breaks.length === 0) {
    console.log(
      `imports: no cycle among ${graph.size} modules of ${rel(dir)}/ nor among its ${folders.size} core folders (type-only imports included); every folder used through its index.ts`
    )
  } else process.exitCode = 1
}
