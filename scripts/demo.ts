/**
 * `npm run demo`: the bundled action (dist/index.js on Node 24, as the runner runs it) against the local
 * CodeBuild / CloudWatch Logs stand-in with a realistic migration build, shown as a workflow log shows it:
 * commands hidden, groups collapsed to their title (their lines indented), annotations as errors/warnings,
 * then the outputs and the job summary. `npm run demo -- --fail` shows a failing migration.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { realisticMigrationScenario, startStandIn } from '../__tests__/standin/index.js'
import { MAIN, NODE24 } from '../__tests__/fixtures/bundle.js'

const fail = process.argv.includes('--fail')
const s = await startStandIn(realisticMigrationScenario({ failLast: fail }))
const dir = mkdtempSync(path.join(os.tmpdir(), 'demo-'))
const files = {
  GITHUB_OUTPUT: path.join(dir, 'output'),
  GITHUB_STATE: path.join(dir, 'state'),
  GITHUB_STEP_SUMMARY: path.join(dir, 'summary.md')
}
for (const f of Object.values(files)) writeFileSync(f, '')

const inputs: Record<string, string> = {
  'project-name': 'db-migrate',
  task: 'migrate',
  'image-uri': `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${'4b8e1d2f'.repeat(8)}`,
  command: 'bun run db:migrate --verbose',
  'env-vars': 'LOG_LEVEL=info'
}
const print = (text: string): void => {
  process.stdout.write(`${text}\n`)
}
print(`$ # a workflow step: uses: your-org/codebuild-vpc-task-action@v1 (dist/index.js on Node 24)`)
print(`$ # AWS is the local stand-in at ${s.endpoint}`)
for (const [k, v] of Object.entries(inputs)) print(`  ${k}: ${v}`)
print('')

const child = spawn(NODE24, [MAIN], {
  env: {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    ...s.env,
    ...files,
    GITHUB_WORKSPACE: dir,
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_SHA: '9f2c1e7a0b3d4c5e6f708192a3b4c5d6e7f80912',
    GITHUB_RUN_ID: '7351',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'migrate',
    GITHUB_ACTION: 'migrate',
    GITHUB_ACTOR: 'octocat',
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]))
  },
  stdio: ['ignore', 'pipe', 'inherit']
})

// Render stdout as the workflow log shows it.
let stopToken: string | undefined
let inGroup = false
let partial = ''
const render = (line: string): void => {
  if (stopToken !== undefined) {
    if (line === `::${stopToken}::`) stopToken = undefined
    else print(inGroup ? `    ${line}` : line)
    return
  }
  const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line)
  if (!m) return print(inGroup ? `    ${line}` : line)
  const [, command, props, message] = m as unknown as [string, string, string | undefined, string]
  const text = message.replace(/%0A/g, '\n').replace(/%0D/g, '').replace(/%25/g, '%')
  if (command === 'stop-commands') stopToken = message
  else if (command === 'group') {
    inGroup = true
    print(`▸ ${text}`)
  } else if (command === 'endgroup') inGroup = false
  else if (command === 'error' || command === 'warning' || command === 'notice') {
    const title = /title=([^,]*)/.exec(props ?? '')?.[1]
    print(
      `${command === 'error' ? '❌ Error' : command === 'warning' ? '⚠️  Warning' : 'ℹ️  Notice'}${title ? ` (${title.replace(/%3A/g, ':').replace(/%2C/g, ',')})` : ''}: ${text}`
    )
  }
}
child.stdout.setEncoding('utf8')
child.stdout.on('data', (data: string) => {
  const parts = (partial + data).split('\n')
  partial = parts.pop() ?? ''
  parts.forEach(render)
})
const code = await new Promise<number>(resolve => child.on('close', c => resolve(c ?? 1)))
if (partial) render(partial)
await s.close()

print('')
print(`Exit code: ${code}`)
print(`Outputs:`)
// GITHUB_OUTPUT holds `name<<delimiter`, the value, then the delimiter.
const outputLines = readFileSync(files.GITHUB_OUTPUT, 'utf8').split('\n')
for (let i = 0; i < outputLines.length; i++) {
  const m = /^([a-z-]+)<<(.+)$/.exec(outputLines[i] ?? '')
  if (m) print(`  ${m[1]}: ${outputLines[++i]}`)
}
print('')
print('Job summary (as text):')
print(htmlToText(readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8')))
process.exitCode = fail ? (code === 1 ? 0 : 1) : code

function htmlToText(html: string): string {
  return html
    .replace(/<h3>(.*?)<\/h3>/g, '\n$1\n')
    .replace(/<\/tr>/g, '\n')
    .replace(/<\/t[hd]>/g, ' | ')
    .replace(/<tr>/g, '| ')
    .replace(/<a href="([^"]*)">([^<]*)<\/a>/g, '$2 ($1)')
    .replace(/<br>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
    .split('\n')
    .map(l => `  ${l}`)
    .join('\n')
}
