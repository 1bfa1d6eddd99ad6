/**
 * Runs the bundled buildspecs' commands with bash, as CodeBuild would (env: shell: bash), with fake `docker` and
 * `aws` on PATH that record their arguments and environment: the command's words and the user's variables must
 * reach `docker run` intact, and nothing of the user's must reach the host under its own name.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { TASKS } from '../src/core/support/constants.js'
import { buildspecProblem } from '../src/core/plan/buildspec.js'
import { bundledBuildspecText } from '../scripts/buildspec-template.js'
import { quoteArgv, splitCommand } from '../src/core/plan/command.js'
import { CARRIED_PREFIX } from '../src/core/plan/variables.js'
import { containerOf, markerExists, runOnBuildHost } from './fixtures/build-host.js'
import { ROOT } from './fixtures/root.js'

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app-backend@sha256:' + 'a'.repeat(64)
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com'
const text = (task: string): string => readFileSync(path.join(ROOT, 'buildspecs', `${task}.yml`), 'utf8')

describe.each(TASKS)('buildspecs/%s.yml', task => {
  it('is a buildspec, generated from scripts/buildspec-template.ts (run `npm run buildspecs` after changing it)', () => {
    expect(buildspecProblem(text(task))).toBeUndefined()
    expect(text(task)).toBe(bundledBuildspecText(task))
  })

  it('logs in to the ECR registry of the image, pulls it and runs the command with its quoted arguments and the variables intact', () => {
    const command = `sh -c 'echo "$ORG" && exit 0' --label "two words" '' "it's"`
    const run = runOnBuildHost(text(task), {
      DATABASE_URL: 'postgres://x',
      TASK: task,
      IMAGE_URI: IMAGE,
      TASK_ARGV: quoteArgv(splitCommand(command)),
      TASK_ENV_NAMES: 'ORG NOTE',
      [`${CARRIED_PREFIX}ORG`]: 'acme',
      [`${CARRIED_PREFIX}NOTE`]: 'line one\nline two $(touch PWNED) `id` "quoted"'
    })
    expect(run.failed).toBeUndefined()
    // The two sides of the login pipe run at once: their order is not fixed.
    expect(run.calls.slice(0, 2).map(c => [c.bin, c.args, c.stdin])).toEqual(
      expect.arrayContaining([
        ['aws', ['ecr', 'get-login-password', '--region', 'eu-west-1'], undefined],
        ['docker', ['login', '--username', 'AWS', '--password-stdin', REGISTRY], 'ecr-token']
      ])
    )
    expect(run.calls.slice(2).map(c => c.args)).toEqual([
      ['pull', IMAGE],
      [
        'run',
        '--rm',
        '-e',
        'DATABASE_URL',
        '-e',
        'ORG=acme',
        '-e',
        'NOTE=line one\nline two $(touch PWNED) `id` "quoted"',
        IMAGE,
        'sh',
        '-c',
        'echo "$ORG" && exit 0',
        '--label',
        'two words',
        '',
        "it's"
      ]
    ])
    expect(containerOf(run)?.env).toEqual({
      DATABASE_URL: 'postgres://x',
      ORG: 'acme',
      NOTE: 'line one\nline two $(touch PWNED) `id` "quoted"'
    })
    // The host's tools never see a user's variable under its own name.
    for (const call of run.calls) expect(Object.keys(call.env)).not.toEqual(expect.arrayContaining(['ORG']))
    expect(markerExists(run, 'PWNED')).toBe(false)
  })

  it('passes the task name when there is no command, and skips the ECR login for other registries', () => {
    const run = runOnBuildHost(text(task), { TASK: task, IMAGE_URI: 'ghcr.io/acme/app:1', TASK_ARGV: quoteArgv([task]) })
    expect(run.failed).toBeUndefined()
    expect(run.calls.map(c => c.args)).toEqual([
      ['pull', 'ghcr.io/acme/app:1'],
      ['run', '--rm', '-e', 'DATABASE_URL', 'ghcr.io/acme/app:1', task]
    ])
  })

  it.each([
    '123456789012.dkr.ecr.us-east-1.amazonaws.com.attacker.example',
    'x123456789012.dkr.ecr.us-east-1.amazonaws.com',
    '123456789012.dkr.ecr.us-east-1.amazonaws.com:443',
    '123456789012.dkr.ecr.us-east-1.amazonaws.comm'
  ])('never logs in to %s, a registry that only looks like ECR', registry => {
    const image = `${registry}/app:1`
    const run = runOnBuildHost(text(task), { TASK: task, IMAGE_URI: image, TASK_ARGV: quoteArgv([task]) })
    expect(run.calls.filter(c => c.bin === 'aws' || c.args[0] === 'login')).toEqual([])
    expect(run.calls.map(c => c.args[0])).toEqual(['pull', 'run'])
  })

  it.each(['123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn'])(
    'logs in to %s',
    registry => {
      const run = runOnBuildHost(text(task), { TASK: task, IMAGE_URI: `${registry}/app:1`, TASK_ARGV: quoteArgv([task]) })
      expect(run.calls.find(c => c.args[0] === 'login')?.args).toEqual(['login', '--username', 'AWS', '--password-stdin', registry])
    }
  )

  it('fails the phase when there is no image at all', () => {
    const run = runOnBuildHost(text(task), { TASK: task })
    expect(run.failed?.stderr).toMatch(/IMAGE_URI is not set/)
    expect(run.calls).toEqual([])
  })
})
