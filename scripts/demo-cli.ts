/**
 * `npm run demo:cli`: the codebuild-vpc-task command (dist/cli/index.js on Node 24) against the local CodeBuild /
 * CloudWatch Logs stand-in with a realistic migration build, as a terminal shows it (here not a TTY: plain lines).
 * `npm run demo:cli -- --fail` shows a failing migration; `-- --json` the --json result.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { realisticMigrationScenario, startStandIn } from '../__tests__/standin/index.js'
import { NODE24 } from '../__tests__/fixtures/bundle.js'
import { ROOT } from '../__tests__/fixtures/root.js'

const fail = process.argv.includes('--fail')
const json = process.argv.includes('--json')
const s = await startStandIn(realisticMigrationScenario({ failLast: fail }))
const dir = mkdtempSync(path.join(os.tmpdir(), 'demo-cli-'))
const args = [
  'migrate',
  '--project-name',
  'db-migrate',
  '--image-uri',
  `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${'4b8e1d2f'.repeat(8)}`,
  '--command',
  'bun run db:migrate --verbose',
  '--env-vars',
  'LOG_LEVEL=info',
  '--env-vars',
  'STATEMENT_TIMEOUT=30s',
  ...(json ? ['--json'] : [])
]
const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)
process.stdout.write(`$ # AWS is the local stand-in at ${s.endpoint}\n`)
process.stdout.write(`$ node dist/cli/index.js ${args.map(quote).join(' ')}\n`)
const child = spawn(NODE24, [path.join(ROOT, 'dist', 'cli', 'index.js'), ...args], {
  env: { PATH: process.env.PATH ?? '', HOME: dir, ...s.env },
  cwd: dir,
  stdio: ['ignore', 'inherit', 'inherit']
})
const code = await new Promise<number>(resolve => child.on('close', c => resolve(c ?? 1)))
await s.close()
process.stdout.write(`$ echo $?\n${code}\n`)
process.exitCode = fail ? (code === 1 ? 0 : 1) : code
