// npm run buildspecs: writes buildspecs/<task>.yml from src/core/bundled-buildspec.ts (--check only compares).
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { TASKS } from '../src/core/constants.js'
import { bundledBuildspecText } from '../src/core/bundled-buildspec.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const check = process.argv.includes('--check')
let stale = 0
for (const task of TASKS) {
  const file = path.join(root, 'buildspecs', `${task}.yml`)
  const text = bundledBuildspecText(task)
  let current = ''
  try {
    current = readFileSync(file, 'utf8')
  } catch {
    // written below
  }
  if (current === text) continue
  stale++
  if (check) console.log(`buildspecs/${task}.yml is out of date; run \`npm run buildspecs\``)
  else writeFileSync(file, text)
}
process.exit(check && stale > 0 ? 1 : 0)
