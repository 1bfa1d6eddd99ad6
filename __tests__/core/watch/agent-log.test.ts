import { AgentLineFilter, PhaseProgress, agentMessage, parseAgentLine } from '../../../src/core/watch/agent-log.js'
import type { LineKind } from '../../../src/core/watch/agent-log.js'
import { buildspecCommands } from '../../../src/core/plan/buildspec.js'

const container = (text: string): string => `[Container] 2026/11/25 12:00:00.123456 ${text}`
const instance = (text: string): string => `[Instance] 2026/11/25 12:00:00.123456 ${text}`

/** A custom buildspec with a multi-line command (a YAML block scalar) whose script quotes an error message. */
const BUILDSPEC = [
  'version: 0.2',
  'phases:',
  '  build:',
  '    commands:',
  '      - echo "starting"',
  '      - |',
  '        if ! ./bin/migrate up; then',
  '          echo "connection timed out" >&2',
  '          exit 1',
  '        fi',
  '    finally:',
  '      - |-',
  '        echo done',
  '        echo "really done"',
  ''
].join('\n')
const MIGRATE = 'if ! ./bin/migrate up; then\n  echo "connection timed out" >&2\n  exit 1\nfi\n'

/** Each event's lines as `kind: text`. */
function sorted(filter: AgentLineFilter, events: readonly string[]): string[] {
  return events.flatMap(e => filter.classify(`${e}\n`).map(l => `${l.kind}: ${l.text}`))
}

const kinds = (filter: AgentLineFilter, events: readonly string[]): LineKind[] =>
  events.flatMap(e => filter.classify(`${e}\n`).map(l => l.kind))

describe('agent lines', () => {
  it('either prefix: [Container] (container builds) and [Instance] (EC2 compute)', () => {
    for (const agent of [container, instance]) {
      expect(agentMessage(agent('Entering phase BUILD'))).toBe('Entering phase BUILD')
      expect(parseAgentLine(agent('Phase complete: BUILD State: FAILED'))).toEqual({ kind: 'complete', phase: 'BUILD', state: 'FAILED' })
      expect(parseAgentLine(agent('Phase is DOWNLOAD_SOURCE'))).toEqual({ kind: 'enter', phase: 'DOWNLOAD_SOURCE' })
    }
    for (const line of [
      '[Host] 2026/11/25 12:00:00 Entering phase BUILD',
      '[Instance] Entering phase BUILD',
      ' [Container] 2026/11/25 12:00:00 x'
    ])
      expect(agentMessage(line)).toBeUndefined()
  })

  it('PhaseProgress: the end of the last phase with either prefix', () => {
    for (const agent of [container, instance]) {
      const progress = new PhaseProgress()
      progress.observe(agent('Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED'))
      expect(progress.hasShownEndOf('UPLOAD_ARTIFACTS')).toBe(false)
      progress.observe(`${agent('Phase context status code:  Message: ')}\n`)
      expect(progress.hasShownEndOf('UPLOAD_ARTIFACTS')).toBe(true)
    }
  })

  it('PhaseProgress: a context quoting a multi-line command, one line an event, is whole at its Reason line', () => {
    const progress = new PhaseProgress()
    progress.observe(instance('Phase complete: PRE_BUILD State: FAILED'))
    progress.observe(instance('Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: if true; then'))
    expect(progress.hasShownEndOf('PRE_BUILD')).toBe(false)
    progress.observe('  false\n')
    expect(progress.hasShownEndOf('PRE_BUILD')).toBe(false)
    progress.observe('fi. Reason: exit status 1\n')
    expect(progress.hasShownEndOf('PRE_BUILD')).toBe(true)
    // As one event, it is whole at once.
    const whole = new PhaseProgress()
    whole.observe(container('Phase complete: PRE_BUILD State: FAILED'))
    whole.observe(
      `${container('Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: if true; then')}\n  false\nfi. Reason: exit status 1\n`
    )
    expect(whole.hasShownEndOf('PRE_BUILD')).toBe(true)
  })
})

describe('buildspecCommands', () => {
  it("every phase's commands and finally, a block scalar as its lines", () => {
    expect(buildspecCommands(BUILDSPEC)).toEqual(['echo "starting"', MIGRATE, 'echo done\necho "really done"'])
  })

  it('nothing from text that is not a buildspec', () => {
    expect(buildspecCommands('phases: [')).toEqual([])
    expect(buildspecCommands('just text')).toEqual([])
    expect(buildspecCommands('version: 0.2\nphases:\n  build:\n    commands: echo\n')).toEqual([])
  })
})

describe('AgentLineFilter', () => {
  const commands = buildspecCommands(BUILDSPEC)

  it('a multi-line command echoed one line an event, only the first prefixed: the echo, then the task’s output', () => {
    const log = [
      instance('Running command echo "starting"'),
      'starting',
      instance('Running command if ! ./bin/migrate up; then'),
      '  echo "connection timed out" >&2',
      '  exit 1',
      'fi',
      '',
      'migrate: applying 0042_add_index',
      'migrate: error: relation "users" does not exist',
      'connection timed out',
      instance('Command did not exit successfully if ! ./bin/migrate up; then'),
      '  echo "connection timed out" >&2',
      '  exit 1',
      'fi',
      ' exit status 1',
      instance('Phase complete: BUILD State: FAILED'),
      instance('Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: if ! ./bin/migrate up; then'),
      '  echo "connection timed out" >&2',
      '  exit 1',
      'fi',
      '. Reason: exit status 1',
      instance('Running command echo done'),
      'echo "really done"',
      'done',
      'really done'
    ]
    expect(sorted(new AgentLineFilter(commands), log)).toEqual([
      `echo: ${log[0]}`,
      'task: starting',
      `echo: ${log[2]}`,
      'echo:   echo "connection timed out" >&2',
      'echo:   exit 1',
      'echo: fi',
      'echo: ',
      'task: migrate: applying 0042_add_index',
      'task: migrate: error: relation "users" does not exist',
      // The script's own echo is output (the command ran it), not the echo of the command.
      'task: connection timed out',
      `echo: ${log[10]}`,
      'echo:   echo "connection timed out" >&2',
      'echo:   exit 1',
      'echo: fi',
      'echo:  exit status 1',
      `agent: ${log[15]}`,
      `agent: ${log[16]}`,
      'echo:   echo "connection timed out" >&2',
      'echo:   exit 1',
      'echo: fi',
      'echo: . Reason: exit status 1',
      `echo: ${log[21]}`,
      'echo: echo "really done"',
      'task: done',
      'task: really done'
    ])
  })

  it('stops at the first line that differs from the command: the task’s output is never taken for the echo', () => {
    // An output line equal to the command's next line, but after a line that differs.
    const log = [container('Running command if ! ./bin/migrate up; then'), '  echo "connection timed out" >&2', 'oops', '  exit 1', 'fi']
    expect(kinds(new AgentLineFilter(commands), log)).toEqual(['echo', 'echo', 'task', 'task', 'task'])
    // Without the buildspec's commands, a continuation line is the task's (never "everything up to the next prefix").
    expect(kinds(new AgentLineFilter(), [container('Running command if ! ./bin/migrate up; then'), '  exit 1'])).toEqual(['echo', 'task'])
  })

  it('the ends of a failed command: ` exit status N` and `. Reason: …` only on the last line', () => {
    const filter = new AgentLineFilter(['a\nb'])
    expect(kinds(filter, [container('Command did not exit successfully a'), 'b exit status 2', 'b exit status 2'])).toEqual([
      'echo',
      'echo',
      'task'
    ])
    expect(kinds(filter, [container('Command did not exit successfully a'), 'b'])).toEqual(['echo', 'task'])
    expect(
      kinds(filter, [
        container('Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: a'),
        'b. Reason: exit status 2'
      ])
    ).toEqual(['agent', 'echo'])
  })

  it('continuation lines written with the prefix too are still the echo', () => {
    const filter = new AgentLineFilter(['a\nb\nc'])
    expect(kinds(filter, [container('Running command a'), container('b'), 'c', 'c'])).toEqual(['echo', 'echo', 'echo', 'task'])
  })

  it('commands sharing their first lines: the echo follows whichever the lines match', () => {
    const filter = new AgentLineFilter(['set -e\nmigrate up', 'set -e\nseed --all\nvacuum'])
    expect(kinds(filter, [container('Running command set -e'), 'seed --all', 'vacuum', 'migrate up'])).toEqual([
      'echo',
      'echo',
      'echo',
      'task'
    ])
    expect(kinds(filter, [container('Running command set -e'), 'migrate up', 'seed --all'])).toEqual(['echo', 'echo', 'task'])
  })

  it('an event of several lines written by the agent is its whole; the task’s are split', () => {
    const filter = new AgentLineFilter(commands)
    expect(filter.classify(`${container('Running command if ! ./bin/migrate up; then')}\n  exit 1\nfi\n\n`)).toEqual([
      { kind: 'echo', text: `${container('Running command if ! ./bin/migrate up; then')}\n  exit 1\nfi\n` }
    ])
    const context = `${instance('Phase context status code: YAML_FILE_ERROR Message: wrong type')}\nat line 3`
    expect(filter.classify(`${context}\n`)).toEqual([{ kind: 'agent', text: context }])
    expect(filter.classify('first\r\nsecond\n')).toEqual([
      { kind: 'task', text: 'first' },
      { kind: 'task', text: 'second' }
    ])
  })

  it('a command it does not know, continued with trailing backslashes, as far as they go', () => {
    const log = [container('Running command docker run --rm \\'), '  -e DATABASE_URL \\', '  "$IMAGE_URI" migrate', 'applied 3 migrations']
    expect(kinds(new AgentLineFilter(), log)).toEqual(['echo', 'echo', 'echo', 'task'])
  })

  it('agent lines that are not an echo, with either prefix; everything else is the task’s', () => {
    const filter = new AgentLineFilter(commands)
    expect(
      kinds(filter, [
        instance('Entering phase BUILD'),
        container('Phase complete: BUILD State: SUCCEEDED'),
        '[Instance] not the agent',
        '+ ./bin/migrate up'
      ])
    ).toEqual(['agent', 'agent', 'task', 'task'])
  })
})
