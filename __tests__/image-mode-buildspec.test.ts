/**
 * Runs image mode's bundled buildspec (buildspecs/build-environment.yml) as CodeBuild would inside the application
 * image: each command with the shell, the build's variables exported, in phase order. `app-task` on PATH stands for
 * the image's program and records its argv, environment and working directory. It runs under bash (as the other
 * bundled buildspecs' tests do) and under the system's POSIX /bin/sh (dash here), since it asks for /bin/sh.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { buildspecProblem } from '../src/core/plan/buildspec.js'
import { quoteArgv, splitCommand } from '../src/core/plan/command.js'
import { IMAGE_MODE_BUILDSPEC, imageModeBuildspecText } from '../scripts/image-mode-buildspec.js'
import { CARRIED_PREFIX } from '../src/core/plan/variables.js'
import { markerExists, runOnBuildHost } from './fixtures/build-host.js'
import { ROOT } from './fixtures/root.js'

const text = readFileSync(path.join(ROOT, IMAGE_MODE_BUILDSPEC), 'utf8')
const NOTE = 'line one\nline two $(touch PWNED) `touch PWNED2` "quoted" \'single\' \\ *'

it('is a buildspec generated from scripts/image-mode-buildspec.ts, asks for /bin/sh and calls no docker', () => {
  expect(buildspecProblem(text)).toBeUndefined()
  expect(text).toBe(imageModeBuildspecText())
  expect(text).toMatch(/^ {2}shell: \/bin\/sh$/m)
  expect(text).not.toMatch(/\bdocker\b/)
})

describe.each(['bash', '/bin/sh'])('run by %s', shell => {
  it('runs the command with its words intact from CODEBUILD_SRC_DIR, the variables under their names and nothing of the action', () => {
    const command = `app-task migrate --label "two words" '' "it's" '$HOME' '*'`
    const run = runOnBuildHost(
      text,
      {
        DATABASE_URL: 'postgres://x',
        TASK: 'migrate',
        CODEBUILD_SRC_DIR: '/',
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
    expect(task?.cwd).toBe('/')
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
})
