/**
 * Runs image mode's bundled buildspec (buildspecs/build-environment.yml) as CodeBuild would inside the application
 * image: each command with the shell, the build's variables exported, in phase order. `app-task` on PATH stands for
 * the image's program and records its argv, environment and working directory. It runs under bash (as the other
 * bundled buildspecs' tests do) and under the system's POSIX /bin/sh (dash here), since it asks for /bin/sh.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse } from 'yaml'
import { buildspecProblem } from '../src/core/plan/buildspec.js'
import { quoteArgv, splitCommand } from '../src/core/plan/command.js'
import { IMAGE_MODE_BUILDSPEC, imageModeBuildspecText } from '../scripts/image-mode-buildspec.js'
import { CARRIED_PREFIX } from '../src/core/plan/variables.js'
import { MAX_TASK_OUTPUT_BYTES, NO_OUTPUTS, taskOutputsOf } from '../src/core/results/task-outputs.js'
import { TASKS } from '../src/core/support/constants.js'
import { bundledBuildspecText } from '../scripts/buildspec-template.js'
import { markerExists, runOnBuildHost } from './fixtures/build-host.js'
import type { HostOptions } from './fixtures/build-host.js'
import { ROOT } from './fixtures/root.js'

const text = readFileSync(path.join(ROOT, IMAGE_MODE_BUILDSPEC), 'utf8')
const NOTE = 'line one\nline two $(touch PWNED) `touch PWNED2` "quoted" \'single\' \\ *'

it('is a buildspec generated from scripts/image-mode-buildspec.ts, asks for /bin/sh and calls no docker', () => {
  expect(buildspecProblem(text)).toBeUndefined()
  expect(text).toBe(imageModeBuildspecText())
  expect(text).toMatch(/^ {2}shell: \/bin\/sh$/m)
  expect(text).not.toMatch(/\bdocker\b/)
})

it("shares post_build, which carries the task's outputs, with the container-mode buildspecs, and declares its carrier", () => {
  type Spec = { env: { 'exported-variables'?: string[] }; phases: { post_build?: { commands: string[] } } }
  const image = parse(text) as Spec
  expect(image.env['exported-variables']).toEqual(['TASK_OUTPUTS'])
  for (const task of TASKS) expect((parse(bundledBuildspecText(task)) as Spec).phases.post_build).toEqual(image.phases.post_build)
  // POSIX: nothing of bash's, and no GNU option (BusyBox's base64 may have no -w).
  expect(image.phases.post_build?.commands.join('\n')).not.toMatch(/\[\[|[^$]\(\(|-w\b/)
})

describe.each(['bash', '/bin/sh'])('run by %s', shell => {
  it('runs the command with its words intact from CODEBUILD_SRC_DIR, the variables under their names and nothing of the action', () => {
    const command = `app-task migrate --label "two words" '' "it's" '$HOME' '*'`
    const src = mkdtempSync(path.join(os.tmpdir(), 'src-'))
    const run = runOnBuildHost(
      text,
      {
        DATABASE_URL: 'postgres://x',
        TASK: 'migrate',
        CODEBUILD_SRC_DIR: src,
        TASK_ARGV: quoteArgv(splitCommand(command)),
        TASK_COMMAND: command,
        TASK_ENV_NAMES: 'ORG NOTE EMPTY',
        [`${CARRIED_PREFIX}ORG`]: 'acme',
        [`${CARRIED_PREFIX}NOTE`]: NOTE,
        [`${CARRIED_PREFIX}EMPTY`]: ''
      },
      { shell }
    )
    expect(run.failed).toBeUndefined()
    expect(run.calls).toHaveLength(1)
    const task = run.calls[0]
    expect(task?.bin).toBe('app-task')
    expect(task?.args).toEqual(['migrate', '--label', 'two words', '', "it's", '$HOME', '*'])
    expect(task?.cwd).toBe(src)
    expect(task?.env).toMatchObject({ DATABASE_URL: 'postgres://x', ORG: 'acme', NOTE, EMPTY: '' })
    // Contained as in container mode: the carried names, the action's own variables and the loop's are gone.
    for (const name of Object.keys(task?.env ?? {})) expect(name).not.toMatch(/^(?:CBVT_|TASK_ARGV$|TASK_ENV_NAMES$|TASK_COMMAND$)/)
    expect(markerExists(run, 'PWNED')).toBe(false)
    expect(markerExists(run, 'PWNED2')).toBe(false)
  })

  it('passes the exit status of the task on (a failing task fails the build phase)', () => {
    const run = runOnBuildHost(text, { TASK_ARGV: quoteArgv(['sh', '-c', 'exit 3']) }, { shell })
    expect(run.failed?.phase).toBe('build')
  })

  it("refuses a DATABASE_URL among the user's variables when the project sets one: the task does not run", () => {
    const run = runOnBuildHost(
      text,
      {
        DATABASE_URL: 'postgres://project',
        TASK_ARGV: quoteArgv(['app-task']),
        TASK_ENV_NAMES: 'DATABASE_URL',
        [`${CARRIED_PREFIX}DATABASE_URL`]: 'postgres://attacker'
      },
      { shell }
    )
    expect(run.failed?.phase).toBe('pre_build')
    expect(run.failed?.stderr).toMatch(/DATABASE_URL is the project's/)
    expect(run.calls).toEqual([])
  })

  it('gives the task a DATABASE_URL of the action when the project sets none', () => {
    const run = runOnBuildHost(
      text,
      { TASK_ARGV: quoteArgv(['app-task']), TASK_ENV_NAMES: 'DATABASE_URL', [`${CARRIED_PREFIX}DATABASE_URL`]: 'postgres://mine' },
      { shell }
    )
    expect(run.failed).toBeUndefined()
    expect(run.calls[0]?.env.DATABASE_URL).toBe('postgres://mine')
  })

  it.each(['A-B', '1X', 'X;touch PWNED', '$(touch PWNED)'])('stops at a name in TASK_ENV_NAMES that is not a variable name: %s', name => {
    const run = runOnBuildHost(text, { TASK_ARGV: quoteArgv(['app-task']), TASK_ENV_NAMES: name }, { shell })
    expect(run.failed?.phase).toBe('build')
    expect(run.calls).toEqual([])
    expect(markerExists(run, 'PWNED')).toBe(false)
  })

  it('fails before the build phase without a command', () => {
    const run = runOnBuildHost(text, {}, { shell })
    expect(run.failed?.phase).toBe('pre_build')
    expect(run.failed?.stderr).toMatch(/needs the command input/)
  })
  it('gives the task what a container gets: TASK, RUN_MIGRATIONS, RUN_SEED, APPROVED_PLAN_DIGEST and TASK_OUTPUT', () => {
    const src = mkdtempSync(path.join(os.tmpdir(), 'src-'))
    const digest = `sha256:${'0a'.repeat(32)}`
    const plan = runOnBuildHost(text, { ...the('plan'), CODEBUILD_SRC_DIR: src, TASK_ARGV: quoteArgv(['app-task']) }, { shell })
    expect(plan.failed).toBeUndefined()
    const env = plan.calls[0]?.env ?? {}
    expect(env).toMatchObject({ TASK: 'plan', RUN_MIGRATIONS: 'false', RUN_SEED: 'false', TASK_OUTPUT: `${src}/.task-output/outputs` })
    expect(env).not.toHaveProperty('APPROVED_PLAN_DIGEST')
    expect(env).not.toHaveProperty('CBVT_OUT')
    const migrate = runOnBuildHost(text, { ...the('migrate'), APPROVED_PLAN_DIGEST: digest, TASK_ARGV: quoteArgv(['app-task']) }, { shell })
    expect(migrate.calls[0]?.env).toMatchObject({ TASK: 'migrate', RUN_MIGRATIONS: 'true', APPROVED_PLAN_DIGEST: digest })
  })

  it('exports the outputs file as TASK_OUTPUTS in post_build, base64 on one line', () => {
    const pending = JSON.stringify([{ id: '0001_create_users', name: 'create users', checksum: 'c'.repeat(64) }])
    const written = `pending=${pending}\nsummary<<EOF\nline one\n::error::not a command\nEOF\n`
    const run = writes(written)
    expect(run.failed).toBeUndefined()
    // Longer than one line of base64 (76 characters): joined.
    expect(run.exported.TASK_OUTPUTS).toBe(Buffer.from(written).toString('base64'))
    expect(
      taskOutputsOf({ exportedEnvironmentVariables: [{ name: 'TASK_OUTPUTS', value: run.exported.TASK_OUTPUTS ?? '' }] }).outputs
    ).toEqual([
      { name: 'pending', value: pending },
      { name: 'summary', value: 'line one\n::error::not a command' }
    ])
  })

  it('carries the outputs after a failed task too, and post_build does not fail', () => {
    const run = task('echo applied=2 >> "$TASK_OUTPUT"; exit 3')
    expect(run.failures.map(f => f.phase)).toEqual(['build'])
    expect(run.exported.TASK_OUTPUTS).toBe(Buffer.from('applied=2\n').toString('base64'))
  })

  it('exports the no-outputs mark (never an empty TASK_OUTPUTS) when the task writes none, or an empty file', () => {
    const run = task('true')
    expect(run.failed).toBeUndefined()
    expect(run.exported).toEqual({ TASK_OUTPUTS: NO_OUTPUTS })
    expect(task(': > "$TASK_OUTPUT"').exported).toEqual({ TASK_OUTPUTS: NO_OUTPUTS })
  })

  it(`refuses a file over ${MAX_TASK_OUTPUT_BYTES} bytes, and carries one of exactly that size`, () => {
    const over = task(`head -c ${MAX_TASK_OUTPUT_BYTES + 1} /dev/zero | tr '\\0' a > "$TASK_OUTPUT"`)
    expect(over.failed).toBeUndefined()
    expect(over.exported.TASK_OUTPUTS).toBe(`!too-large:${MAX_TASK_OUTPUT_BYTES + 1}`)
    const exact = task(`head -c ${MAX_TASK_OUTPUT_BYTES} /dev/zero | tr '\\0' a > "$TASK_OUTPUT"`)
    expect(Buffer.from(exact.exported.TASK_OUTPUTS ?? '', 'base64')).toHaveLength(MAX_TASK_OUTPUT_BYTES)
  })

  it.each([
    ['a symbolic link', 'ln -s /etc/hostname "$TASK_OUTPUT"'],
    ['a directory', 'mkdir "$TASK_OUTPUT"']
  ])('refuses %s in place of the file', (_, script) => {
    const run = task(script)
    expect(run.failed).toBeUndefined()
    expect(run.exported.TASK_OUTPUTS).toBe('!not-a-file')
  })

  it('works with a BusyBox-like base64 (no GNU options), and marks a file it cannot encode (no base64 in the image)', () => {
    const written = `notes=${'x'.repeat(200)}\n`
    const busybox = writes(written, {
      base64: 'case "$1" in -*) echo "base64: unrecognized option: $1" >&2; exit 1 ;; esac; exec /usr/bin/base64 "$@"'
    })
    expect(busybox.exported.TASK_OUTPUTS).toBe(Buffer.from(written).toString('base64'))
    const none = writes(written, { base64: 'echo "sh: base64: not found" >&2; exit 127' })
    expect(none.failed).toBeUndefined()
    expect(none.exported.TASK_OUTPUTS).toBe('!not-encoded')
    expect(taskOutputsOf({ exportedEnvironmentVariables: [{ name: 'TASK_OUTPUTS', value: '!not-encoded' }] }).state).toBe('refused')
  })

  /** The build's variables for a task, as the action sets them. */
  function the(name: string): Record<string, string> {
    return { TASK: name, RUN_MIGRATIONS: String(name === 'migrate'), RUN_SEED: String(name === 'seed') }
  }

  /** Runs the buildspec with the task `sh -c script`, from a source directory of its own. */
  function task(script: string, programs: HostOptions['programs'] = {}): ReturnType<typeof runOnBuildHost> {
    const vars = {
      ...the('migrate'),
      CODEBUILD_SRC_DIR: mkdtempSync(path.join(os.tmpdir(), 'src-')),
      TASK_ARGV: quoteArgv(['sh', '-c', script])
    }
    return runOnBuildHost(text, vars, { shell, programs })
  }

  /** A task that writes `content` to its outputs file. */
  function writes(content: string, programs: HostOptions['programs'] = {}): ReturnType<typeof runOnBuildHost> {
    return task(`printf %s '${Buffer.from(content).toString('base64')}' | /usr/bin/base64 -d > "$TASK_OUTPUT"`, programs)
  }
})
