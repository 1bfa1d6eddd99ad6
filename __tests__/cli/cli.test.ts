import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import type { Build } from '@aws-sdk/client-codebuild'
import { renderFlags } from '../../scripts/cli-flags.mjs'
import { UsageError, inputReader, parseArgs } from '../../src/cli/args.js'
import { Terminal, colorsWanted, neutralise } from '../../src/cli/terminal.js'
import { taskExitCode } from '../../src/core/report/report.js'
import { isWorkflowCommand } from '../../src/core/support/text.js'
import { agentEvent } from '../fixtures/agent-line.js'
import { ROOT } from '../fixtures/root.js'

describe('the CLI flags', () => {
  it('are generated from action.yml and up to date (npm run docs)', () => {
    const action = readFileSync(path.join(ROOT, 'action.yml'), 'utf8')
    expect(readFileSync(path.join(ROOT, 'src', 'cli', 'flags.generated.ts'), 'utf8')).toBe(renderFlags(action))
  })

  it('take the task positionally, repeat multi-value flags, default like the action', () => {
    const args = parseArgs(['seed', '--project-name', 'db', '--env-vars', 'A=1', '--env-vars=B=2', '--dry-run', '--profile', 'ops'])
    const read = inputReader(args)
    expect(read('task')).toBe('seed')
    expect(read('env-vars')).toBe('A=1\nB=2')
    expect(read('dry-run')).toBe('true')
    expect(read('wait')).toBe('true')
    expect(read('if-running')).toBe('wait')
    expect(read('pr-comment')).toBe('never')
    expect(read('github-token')).toBe('')
    expect(args.profile).toBe('ops')
  })

  it.each([
    [['--nope'], '--nope is not a flag'],
    [['--region', 'a', '--region', 'b'], '--region is given more than once'],
    [['--project-name'], '--project-name needs a value'],
    [['--pr-comment', 'auto'], 'only makes sense in a GitHub workflow'],
    [['migrate', 'seed'], 'one task is expected'],
    [['migrate', '--task', 'seed'], 'the task is given twice']
  ])('refuse %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError)
    expect(() => parseArgs(argv)).toThrow(message)
  })
})

describe('terminal output', () => {
  it('keeps colours only when wanted, drops every other control sequence, and shows workflow commands as text', () => {
    const line = '\u001b[31mred\u001b[0m \u001b]0;title\u0007\u001b]52;c;Zm9v\u0007\u001b[2Jdone\r\u0008'
    expect(neutralise(line, true)).toBe('\u001b[31mred\u001b[0m done\u001b[0m')
    expect(neutralise(line, false)).toBe('red done')
    expect(neutralise('::add-mask::x', false)).toBe('» ::add-mask::x')
    expect(neutralise('  ##[error]x', false)).toBe('  # #[error]x')
    expect(neutralise('tool says ##[add-mask]x and ##[error]y', false)).toBe('tool says # #[add-mask]x and # #[error]y')
    expect(neutralise('#\u001b[31m#[error]x', false)).toBe('# #[error]x')
    // Hidden text (SGR 8) is not a colour; bidi overrides and isolates reorder what is shown.
    expect(neutralise('a\u001b[8mhidden\u001b[28m b', true)).toBe('ahidden b')
    expect(neutralise('\u001b[5;31mblink\u001b[7mrev', true)).toBe('blinkrev')
    expect(neutralise('\u001b[1;38;5;196mred\u001b[38;2;0;128;0mgreen\u001b[0m', true)).toBe(
      '\u001b[1;38;5;196mred\u001b[38;2;0;128;0mgreen\u001b[0m\u001b[0m'
    )
    expect(neutralise('ok \u202eevil\u202c \u2066x\u2069 \u200fy', false)).toBe('ok evil x y')
  })

  it("prints a table's outside text without escape sequences or workflow commands", () => {
    let out = ''
    const terminal = new Terminal({ write: (t: string) => (out += t), isTTY: false }, {})
    terminal.table([
      ['Build', '::error::forged'],
      ['Phase', 'BUILD ##[add-mask]x \u001b]52;c;Zm9v\u0007\u001b[2J\u202edone']
    ])
    const lines = out.split('\n').filter(l => l !== '')
    expect(lines).toHaveLength(2)
    for (const line of lines) {
      expect(isWorkflowCommand(line)).toBe(false)
      expect(line).not.toContain('\u001b')
    }
    expect(lines[1]).toContain('BUILD # #[add-mask]x')
  })

  it('honours FORCE_COLOR and NO_COLOR', () => {
    expect(colorsWanted({}, true)).toBe(true)
    expect(colorsWanted({}, false)).toBe(false)
    expect(colorsWanted({ NO_COLOR: '1' }, true)).toBe(false)
    expect(colorsWanted({ FORCE_COLOR: '1' }, false)).toBe(true)
    expect(colorsWanted({ FORCE_COLOR: '0' }, true)).toBe(false)
  })
})

describe('taskExitCode', () => {
  const failedIn = (phaseType: 'BUILD' | 'PRE_BUILD', message: string): Build => ({
    buildStatus: 'FAILED',
    phases: [
      { phaseType: 'PRE_BUILD', phaseStatus: 'SUCCEEDED' },
      { phaseType, phaseStatus: 'FAILED', contexts: [{ statusCode: 'COMMAND_EXECUTION_ERROR', message }] }
    ]
  })
  it('is 0 for a build that succeeded, N from the BUILD phase’s "Reason: exit status N", else undefined', () => {
    expect(taskExitCode({ buildStatus: 'SUCCEEDED' })).toBe(0)
    expect(taskExitCode(failedIn('BUILD', 'Error while executing command: (\ndocker run …\n). Reason: exit status 3'))).toBe(3)
    expect(taskExitCode(failedIn('PRE_BUILD', 'Error while executing command: docker pull. Reason: exit status 1'))).toBeUndefined()
    expect(taskExitCode(failedIn('BUILD', 'Build has timed out.'))).toBeUndefined()
    expect(taskExitCode({ buildStatus: 'STOPPED' })).toBeUndefined()
  })
})

describe('the layout', () => {
  it('keeps @actions/* out of the core and the CLI', () => {
    for (const dir of ['core', 'cli'])
      for (const file of readdirSync(path.join(ROOT, 'src', dir), { recursive: true })
        .map(String)
        .filter(f => f.endsWith('.ts')))
        expect([file, readFileSync(path.join(ROOT, 'src', dir, file), 'utf8').includes("from '@actions/")]).toEqual([file, false])
  })
})

describe('Terminal', () => {
  const agent = agentEvent
  const events = [
    agent('Entering phase INSTALL'),
    { message: 'npm ci\n' },
    agent('Entering phase BUILD'),
    { message: '\u001b[32mok\u001b[0m\n' }
  ]

  it('on a TTY: setup phases on one updating line, then a heading and the task’s lines', () => {
    let out = ''
    const term = new Terminal({ write: t => (out += t), isTTY: true, columns: 80 }, { NO_COLOR: '1' })
    term.events(events)
    expect(out).toContain('\r\u001b[2KINSTALL · npm ci')
    expect(out).not.toContain('── INSTALL ──')
    expect(out).toContain('── BUILD ──\n[Container] 2026/11/25 12:00:00.123456 Entering phase BUILD\nok\n')
  })

  it('elsewhere: every line plainly, each phase a heading, no escape sequence', () => {
    let out = ''
    const term = new Terminal({ write: t => (out += t) }, {})
    term.events(events)
    expect(out).toBe(
      '── INSTALL ──\n[Container] 2026/11/25 12:00:00.123456 Entering phase INSTALL\nnpm ci\n' +
        '── BUILD ──\n[Container] 2026/11/25 12:00:00.123456 Entering phase BUILD\nok\n'
    )
  })
})
