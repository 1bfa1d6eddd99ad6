/**
 * The repository's layout rules that lint and the scripts rely on: no import cycle in src/ (type-only imports
 * included; scripts/imports.mjs), and scripts that use the test tree only through the stand-in's public entry
 * and the support folder.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { cycles, folderGraph, importGraph, layoutBreaks } from '../scripts/imports.mjs'
import { ROOT } from './fixtures/root.js'

describe('import cycles', () => {
  it('src/ has none, type-only imports included', () => {
    expect(cycles(importGraph(path.join(ROOT, 'src'))).map(c => c.map(f => path.relative(ROOT, f)))).toEqual([])
  })

  it('a cycle of type-only imports and re-exports is found', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cycles-'))
    writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b.js'\nexport type A = B\n")
    writeFileSync(path.join(dir, 'b.ts'), "export type { C as B } from './c.js'\n")
    writeFileSync(path.join(dir, 'c.ts'), "import type { A } from './a.js'\nexport type C = A | 1\n")
    writeFileSync(path.join(dir, 'd.ts'), "import type { A } from './a.js'\nexport type D = A\n")
    expect(cycles(importGraph(dir)).map(c => c.map(f => path.basename(f)))).toEqual([['a.ts', 'b.ts', 'c.ts']])
  })
})

describe('the folders of src/core', () => {
  const src = path.join(ROOT, 'src')

  it('are used through their index.ts, import no front end, and import one another without a cycle', () => {
    const graph = importGraph(src)
    expect(layoutBreaks(src, graph)).toEqual([])
    expect(cycles(folderGraph(src, graph))).toEqual([])
    expect([...folderGraph(src, graph).keys()].length).toBeGreaterThan(5)
  })

  it('an import past an index.ts, one into a front end, and a cycle between folders are found', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'layout-'))
    for (const folder of ['core/a', 'core/b', 'action']) mkdirSync(path.join(dir, folder), { recursive: true })
    writeFileSync(path.join(dir, 'core/a/index.ts'), "export { x } from './x.js'\n")
    writeFileSync(path.join(dir, 'core/a/x.ts'), "import type { Y } from '../b/y.js'\nexport const x = 1\nexport type X = Y\n")
    writeFileSync(path.join(dir, 'core/b/index.ts'), "export type { Y } from './y.js'\n")
    writeFileSync(
      path.join(dir, 'core/b/y.ts'),
      "import { x } from '../a/index.js'\nimport type { S } from '../../action/s.js'\nexport type Y = typeof x | S\n"
    )
    writeFileSync(path.join(dir, 'action/s.ts'), 'export type S = 1\n')
    const graph = importGraph(dir)
    const rel = (f: string) => path.relative(dir, f)
    expect(layoutBreaks(dir, graph).map(([from, to, why]) => [rel(from), rel(to), why])).toEqual([
      ['core/a/x.ts', 'core/b/y.ts', 'past the public entry of core/b'],
      ['core/b/y.ts', 'action/s.ts', 'from the core into a front end']
    ])
    expect(cycles(folderGraph(dir, graph))).toEqual([['a', 'b']])
  })
})

describe('scripts and the test tree', () => {
  it('scripts import only the stand-in’s public entry and the support folder, never a test or the e2e helpers', () => {
    const imports = readdirSync(path.join(ROOT, 'scripts'))
      .filter(name => /\.(ts|mjs)$/.test(name))
      .flatMap(name =>
        [...readFileSync(path.join(ROOT, 'scripts', name), 'utf8').matchAll(/from '(\.\.\/__tests__\/[^']+)'/g)].map(
          m => `${name}: ${m[1]}`
        )
      )
    expect(imports.length).toBeGreaterThan(0)
    expect(imports.filter(line => !/: \.\.\/__tests__\/(standin\/index|fixtures\/[\w-]+)\.js$/.test(line))).toEqual([])
  })
})
