/**
 * Runs the bundled buildspecs' commands with bash, as CodeBuild would (env: shell: bash), with fake
 * `docker` and `aws` on PATH that record their arguments: the command's words must reach `docker run` intact.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse } from 'yaml'
import { buildspecProblem } from '../src/buildspec.js'
import { quoteArgv, splitCommand } from '../src/command.js'
import { ROOT } from './fixtures/inputs.js'

interface Spec {
  env?: { shell?: string }
  phases: Record<string, { commands: string[] }>
}

function fakeBin(): { dir: string; log: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bin-'))
  const log = path.join(dir, 'calls.jsonl')
  const recorder = `#!/usr/bin/env node
const fs = require('fs')
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ bin: require('path').basename(process.argv[1]), args: process.argv.slice(2), env: { DATABASE_URL: process.env.DATABASE_URL } }) + '\\n')
if (process.argv[2] === 'get-login-password') process.stdout.write('token')
`
  for (const name of ['docker', 'aws']) {
    writeFileSync(path.join(dir, name), recorder.replace('#!/usr/bin/env node', `#!${process.execPath}`))
    chmodSync(path.join(dir, name), 0o755)
  }
  return { dir, log }
}

function runPhases(task: string, env: Record<string, string>): Array<{ bin: string; args: string[] }> {
  const spec = parse(readFileSync(path.join(ROOT, 'buildspecs', `${task}.yml`), 'utf8')) as Spec
  expect(spec.env?.shell).toBe('bash')
  const { dir, log } = fakeBin()
  writeFileSync(log, '')
  for (const phase of ['pre_build', 'build']) {
    for (const command of spec.phases[phase]?.commands ?? []) {
      execFileSync('bash', ['-c', command], { env: { PATH: `${dir}:${process.env.PATH}`, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    }
  }
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map(l => JSON.parse(l) as { bin: string; args: string[] })
}

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app-backend@sha256:' + 'a'.repeat(64)

describe.each(['migrate', 'seed', 'cleanup'])('buildspecs/%s.yml', task => {
  it('is a buildspec', () => {
    expect(buildspecProblem(readFileSync(path.join(ROOT, 'buildspecs', `${task}.yml`), 'utf8'))).toBeUndefined()
  })

  it('logs in to the ECR registry of the image, pulls it and runs the command with its quoted arguments intact', () => {
    const command = `sh -c 'echo "$ORG" && exit 0' --label "two words" '' "it's"`
    const calls = runPhases(task, {
      TASK: task,
      IMAGE_URI: IMAGE,
      ECR_REGISTRY: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      TASK_ARGV: quoteArgv(splitCommand(command)),
      TASK_ENV_NAMES: 'ORG LOG_LEVEL',
      DATABASE_URL: 'postgres://x'
    })
    // The two sides of the login pipe run at once: their order is not fixed.
    expect(calls.slice(0, 2)).toEqual(
      expect.arrayContaining([
        { bin: 'aws', args: ['ecr', 'get-login-password', '--region', 'eu-west-1'], env: { DATABASE_URL: 'postgres://x' } },
        { bin: 'docker', args: ['login', '--username', 'AWS', '--password-stdin', '123456789012.dkr.ecr.eu-west-1.amazonaws.com'], env: { DATABASE_URL: 'postgres://x' } }
      ])
    )
    expect(calls.slice(2)).toEqual([
      { bin: 'docker', args: ['pull', IMAGE], env: { DATABASE_URL: 'postgres://x' } },
      {
        bin: 'docker',
        args: ['run', '--rm', '-e', 'DATABASE_URL', '-e', 'ORG', '-e', 'LOG_LEVEL', IMAGE, 'sh', '-c', 'echo "$ORG" && exit 0', '--label', 'two words', '', "it's"],
        env: { DATABASE_URL: 'postgres://x' }
      }
    ])
  })

  it('passes the task name when there is no command, and skips the ECR login for other registries', () => {
    const calls = runPhases(task, { TASK: task, IMAGE_URI: 'ghcr.io/acme/app:1', TASK_ARGV: quoteArgv([task]) })
    expect(calls.map(c => c.args)).toEqual([
      ['pull', 'ghcr.io/acme/app:1'],
      ['run', '--rm', '-e', 'DATABASE_URL', 'ghcr.io/acme/app:1', task]
    ])
  })

  it('fails the phase when there is no image at all', () => {
    expect(() => runPhases(task, { TASK: task })).toThrow(/IMAGE_URI is not set/)
  })
})
