#!/usr/bin/env node
// Bundles each entry point with ncc (minified, tree-shaken) into dist/: dist/index.js (main, with the backup step's
// RDS code in a chunk of its own, loaded only by runs that back up),
// dist/post/index.js (post) and dist/cli/index.js (the codebuild-vpc-task command). Output goes to a
// fresh temporary directory first, so dist/ is exactly what this script produces from the sources:
// nothing stale survives. dist/sources.sha256 records which sources (scripts/sources-hash.mjs): the
// end-to-end tests refuse to run a dist/ built from other sources.
// package.json's "sideEffects": false lets webpack leave out what a core folder's index.ts re-exports and an
// entry does not use (without it the post bundle carried the plan's YAML parser: 1,299 KB instead of 1,147 KB).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, renameSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { licensesFor } from './licenses.mjs'
import { sourcesHash } from './sources-hash.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const ncc = path.join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js')
const entries = [
  { src: 'src/action/index.ts', out: '.' },
  { src: 'src/action/post-index.ts', out: 'post' },
  { src: 'src/cli/index.ts', out: 'cli' }
]

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bundle-'))
try {
  const hash = sourcesHash()
  for (const { src, out } of entries) {
    execFileSync(
      process.execPath,
      [
        ncc,
        'build',
        path.join(root, src),
        '-o',
        path.join(tmp, out),
        '--minify',
        '--stats-out',
        path.join(tmp, `${out}.stats.json`),
        '--quiet',
        '--target',
        'es2023'
      ],
      {
        cwd: root,
        stdio: 'inherit'
      }
    )
    writeFileSync(path.join(tmp, out, 'licenses.txt'), licensesFor(path.join(tmp, `${out}.stats.json`)))
    rmSync(path.join(tmp, `${out}.stats.json`))
  }
  rmSync(path.join(root, 'dist'), { recursive: true, force: true })
  mkdirSync(path.join(root, 'dist'), { recursive: true })
  for (const name of readdirSync(tmp)) renameSync(path.join(tmp, name), path.join(root, 'dist', name))
  writeFileSync(path.join(root, 'dist', 'sources.sha256'), `${hash}\n`)
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
const size = f => statSync(path.join(root, 'dist', f)).size
console.log(
  `dist/index.js ${(size('index.js') / 1024).toFixed(0)} KiB, dist/post/index.js ${(size('post/index.js') / 1024).toFixed(0)} KiB, dist/cli/index.js ${(size('cli/index.js') / 1024).toFixed(0)} KiB`
)
