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
import { MAX_TASK_OUTPUT_BYTES, NO_OUTPUTS, taskOutputsOf } from '../src/core/results/task-outputs.js'

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app-backend@sha256:' + 'a'.repeat(64)
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com'
/** What every `docker run` of a bundled buildspec starts with: the outputs mount, TASK_OUTPUT, the fixed variables. */
const RUN_OPTIONS = (dir: string): string[] => [
  '--rm',
  '-v',
  `${dir}/.task-output:${dir}/.task-output`,
  ...[`TASK_OUTPUT=${dir}/.task-output/outputs`, 'DATABASE_URL', 'TASK', 'RUN_MIGRATIONS', 'RUN_SEED', 'APPROVED_PLAN_DIGEST'].flatMap(
    e => ['-e', e]
  )
]
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
        ...RUN_OPTIONS(run.dir),
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
      TASK_OUTPUT: `${run.dir}/.task-output/outputs`,
      DATABASE_URL: 'postgres://x',
      TASK: task,
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
      ['run', ...RUN_OPTIONS(run.dir), 'ghcr.io/acme/app:1', task]
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

  it('fails the phase when there is no image at all, and carries no outputs (post_build does not run after pre_build)', () => {
    const run = runOnBuildHost(text(task), { TASK: task })
    expect(run.failed?.stderr).toMatch(/IMAGE_URI is not set/)
    expect(run.calls).toEqual([])
    expect(run.exported).toEqual({})
  })

  it('gives the task TASK_OUTPUT in a mounted directory and exports the file as TASK_OUTPUTS in post_build', () => {
    const written = 'count=3\nsummary<<EOF\nline one\n::error::not a command\nEOF\n'
    const run = runOnBuildHost(
      text(task),
      { TASK: task, RUN_MIGRATIONS: String(task === 'migrate'), IMAGE_URI: 'ghcr.io/acme/app:1', TASK_ARGV: quoteArgv([task]) },
      {
        container: `base64 -d <<< ${Buffer.from(written).toString('base64')} > "$TASK_OUTPUT"; echo "$RUN_MIGRATIONS" > "$(dirname "$TASK_OUTPUT")/seen"`
      }
    )
    expect(run.failed).toBeUndefined()
    const container = containerOf(run)
    // Mounted at its own path: TASK_OUTPUT names the same file in the container and on the host.
    expect(container?.mounts).toEqual([`${run.dir}/.task-output:${run.dir}/.task-output`])
    expect(container?.env.TASK_OUTPUT).toBe(`${run.dir}/.task-output/outputs`)
    expect(readFileSync(path.join(run.dir, '.task-output', 'seen'), 'utf8')).toBe(`${task === 'migrate'}\n`)
    expect(run.exported.TASK_OUTPUTS).toBe(Buffer.from(written).toString('base64'))
    const outputs = taskOutputsOf({ exportedEnvironmentVariables: [{ name: 'TASK_OUTPUTS', value: run.exported.TASK_OUTPUTS }] })
    expect(outputs.outputs).toEqual([
      { name: 'count', value: '3' },
      { name: 'summary', value: 'line one\n::error::not a command' }
    ])
  })
})

describe('the outputs of a bundled buildspec', () => {
  const vars = { TASK: 'migrate', IMAGE_URI: 'ghcr.io/acme/app:1', TASK_ARGV: quoteArgv(['migrate']) }

  it('are carried after a failed task too, and post_build does not fail', () => {
    const run = runOnBuildHost(text('migrate'), vars, { container: 'echo applied=2 >> "$TASK_OUTPUT"; exit 3' })
    expect(run.failures.map(f => f.phase)).toEqual(['build'])
    expect(run.exported.TASK_OUTPUTS).toBe(Buffer.from('applied=2\n').toString('base64'))
  })

  it('are the no-outputs mark (never an empty TASK_OUTPUTS) when the task writes none, or an empty file', () => {
    const run = runOnBuildHost(text('migrate'), vars, { container: 'true' })
    expect(run.failed).toBeUndefined()
    expect(run.exported).toEqual({ TASK_OUTPUTS: NO_OUTPUTS })
    expect(runOnBuildHost(text('migrate'), vars, { container: ': > "$TASK_OUTPUT"' }).exported).toEqual({ TASK_OUTPUTS: NO_OUTPUTS })
    expect(taskOutputsOf({ exportedEnvironmentVariables: [{ name: 'TASK_OUTPUTS', value: NO_OUTPUTS }] })).toEqual({
      state: 'captured',
      outputs: [],
      problems: []
    })
  })

  it(`are refused over ${MAX_TASK_OUTPUT_BYTES} bytes`, () => {
    const run = runOnBuildHost(text('migrate'), vars, {
      container: `head -c ${MAX_TASK_OUTPUT_BYTES + 1} /dev/zero | tr '\\0' a > "$TASK_OUTPUT"`
    })
    expect(run.exported.TASK_OUTPUTS).toBe(`!too-large:${MAX_TASK_OUTPUT_BYTES + 1}`)
    const exact = runOnBuildHost(text('migrate'), vars, {
      container: `head -c ${MAX_TASK_OUTPUT_BYTES} /dev/zero | tr '\\0' a > "$TASK_OUTPUT"`
    })
    expect(Buffer.from(exact.exported.TASK_OUTPUTS ?? '', 'base64')).toHaveLength(MAX_TASK_OUTPUT_BYTES)
  })

  it("never follow a symbolic link out of the directory (a host file such as docker's credentials)", () => {
    const run = runOnBuildHost(text('migrate'), vars, { container: 'ln -s /etc/hostname "$TASK_OUTPUT"' })
    expect(run.exported.TASK_OUTPUTS).toBe('!not-a-file')
    expect(taskOutputsOf({ exportedEnvironmentVariables: [{ name: 'TASK_OUTPUTS', value: '!not-a-file' }] }).state).toBe('refused')
  })

  it('pass APPROVED_PLAN_DIGEST into the container when the action sets it', () => {
    const digest = `sha256:${'0'.repeat(64)}`
    const run = runOnBuildHost(text('migrate'), { ...vars, APPROVED_PLAN_DIGEST: digest }, { container: 'true' })
    expect(containerOf(run)?.env.APPROVED_PLAN_DIGEST).toBe(digest)
  })
})
