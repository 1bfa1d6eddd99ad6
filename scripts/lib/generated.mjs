// The small library the generators share: where the repository is, whether a script is the one being run, and
// writing (or only checking) the files they generate. Every generated file has one generator; scripts/generate.ts
// runs them all (npm run generate writes, npm run lint runs it with --check).
import { readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository's root (this file is scripts/lib/generated.mjs). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The text of a file of the repository, by its path from the root. */
export const readRepoFile = file => readFileSync(join(ROOT, file), 'utf8')

/** True when the module at `importMetaUrl` is the script node (or tsx) was asked to run. */
export function isMain(importMetaUrl) {
  if (!process.argv[1]) return false
  try {
    return realpathSync(fileURLToPath(importMetaUrl)) === realpathSync(process.argv[1])
  } catch {
    return false
  }
}

/** A short, diff-like account of how `actual` differs from `expected`, line by line; '' when equal. */
export function lineDiff(actual, expected, label = 'README.md', source = 'action.yml and examples/workflows') {
  if (actual === expected) return ''
  const a = actual.split('\n')
  const b = expected.split('\n')
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length - 1
  let endB = b.length - 1
  while (endA >= start && endB >= start && a[endA] === b[endB]) {
    endA--
    endB--
  }
  const out = [`--- ${label} (now)`, `+++ ${label} (generated from ${source})`, `@@ line ${start + 1} @@`]
  const limit = 40
  const removed = a.slice(start, endA + 1)
  const added = b.slice(start, endB + 1)
  for (const line of removed.slice(0, limit)) out.push(`-${line}`)
  if (removed.length > limit) out.push(`-… ${removed.length - limit} more lines`)
  for (const line of added.slice(0, limit)) out.push(`+${line}`)
  if (added.length > limit) out.push(`+… ${added.length - limit} more lines`)
  return out.join('\n')
}

/**
 * Writes each generated file whose text changed, or with `check` only compares and prints a diff for each stale
 * one. `files`: { file: path from the root, text, source: what it is generated from }. Returns the exit code:
 * 1 when checking found a stale file, else 0.
 */
export function writeOrCheck(files, { check = false, log = console.log } = {}) {
  let stale = 0
  for (const { file, text, source } of files) {
    let current
    try {
      current = readRepoFile(file)
    } catch {
      current = undefined
    }
    if (current === text) {
      log(`  ok       ${file}`)
      continue
    }
    if (check) {
      stale++
      log(`  STALE    ${file}: out of date with ${source}; run \`npm run generate\``)
      if (current !== undefined) log(lineDiff(current, text, file, source).replace(/^/gm, '           '))
    } else {
      writeFileSync(join(ROOT, file), text)
      log(`  written  ${file}`)
    }
  }
  return stale > 0 ? 1 : 0
}

/** Runs one generator as a script: `node <script> [--check]`. */
export function runGenerator(files, argv = process.argv.slice(2)) {
  process.exitCode = writeOrCheck(files, { check: argv.includes('--check') })
}
