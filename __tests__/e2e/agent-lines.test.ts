/**
 * The CodeBuild agent's lines in every form AWS writes them, end to end through the bundle: `[Instance]` instead of
 * `[Container]` on EC2-compute builds, and multi-line commands of a custom buildspec echoed line by line (only the
 * first prefixed) when they run, when they fail and in the phase context. The failure's annotation quotes the
 * task's own last lines and the diagnosis reads them, never the echoed script; the step ends as soon as the log
 * shows its end, whichever the prefix.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { BuildScript, BuildView, StandIn } from '../standin/index.js'
import { presets } from '../standin/index.js'
import { PROJECT, lastLinesSuffix, logLines, run, standIn } from '../fixtures/e2e.js'
import type { E2ERun } from '../fixtures/e2e.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

/** The `::error` annotations, title and message unescaped as the runner shows them. */
function annotations(r: E2ERun): Array<{ title: string | undefined; message: string }> {
  const unescape = (text: string): string =>
    text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%')
  return r.commands
    .filter(c => c.command === 'error')
    .map(c => ({
      title: /(?:^|,)title=([^,]*)/.exec(c.properties)?.[1]?.replace(/%3A/g, ':').replace(/%25/g, '%'),
      message: unescape(c.message)
    }))
}

/** The group (`::group::` title) each streamed line of the build's log was printed in. */
function groupOf(r: E2ERun): Map<string, string | undefined> {
  const placed = new Map<string, string | undefined>()
  let group: string | undefined
  let token: string | undefined
  for (const line of r.stdout.split('\n')) {
    if (token !== undefined) {
      if (line.trim() === `::${token}::`) token = undefined
      else if (!placed.has(line)) placed.set(line, group)
      continue
    }
    const m = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line)
    if (m?.[1] === 'stop-commands') token = m[2]
    else if (m?.[1] === 'group') group = m[2]
    else if (m?.[1] === 'endgroup') group = undefined
  }
  return placed
}

/** ms between the build's end and the action's exit, on the stand-in's clock. */
function exitLagMs(st: StandIn, r: E2ERun, build: BuildView): number {
  return st.fromPerformanceNow(r.exitedAt) - (build.endedAt ?? NaN)
}

describe('a custom buildspec with multi-line commands', () => {
  // A migration job's buildspec: block scalars, one of them quoting an error message it prints only on a timeout.
  const BUILDSPEC = [
    'version: 0.2',
    'phases:',
    '  build:',
    '    commands:',
    '      - |',
    '        echo "migrating $TASK"',
    '        npx knex migrate:status',
    '      - |',
    '        npx knex migrate:latest || status=$?',
    '        if [ "${status:-0}" -eq 124 ]; then echo "connection timed out" >&2; fi',
    '        exit "${status:-0}"',
    ''
  ].join('\n')
  // The migration tool's own error: the task's real output.
  const TOOL_ERROR = [
    'Using environment: production',
    'Knex: run',
    '$ npm install pg --save',
    "Cannot find module 'pg'",
    'Require stack:',
    '- /app/node_modules/knex/lib/client.js'
  ]
  const SCRIPT: BuildScript = {
    label: 'custom buildspec, multi-line commands',
    build: [
      { command: /migrate:status/, output: ['migrating migrate', 'No Pending Migration files Found.'] },
      { command: /migrate:latest/, output: TOOL_ERROR, exitStatus: 1 }
    ]
  }

  it('a failure: annotated with the task’s own last lines and diagnosed from them, not from the echoed script', async () => {
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'agent-lines-ws-'))
    writeFileSync(path.join(workspace, 'migrate.yml'), BUILDSPEC)
    s = await standIn([SCRIPT])
    const r = await run(s, { buildspec: 'migrate.yml' }, { workspace })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(1)
    const [build] = s.startedBuilds(PROJECT)
    if (!build) throw new Error('no build was started')
    expect(build.finalStatus).toBe('FAILED')
    // The agent echoed the failed command line by line, only the first line prefixed, three times: as it started,
    // as it failed and in the phase context. The action showed every line, once, in order.
    const echoed = logLines(build).filter(l => l === 'if [ "${status:-0}" -eq 124 ]; then echo "connection timed out" >&2; fi')
    expect(echoed).toHaveLength(3)
    expect(r.streamed).toEqual(logLines(build))

    const [failure, diagnosis, ...rest] = annotations(r)
    expect(rest).toHaveLength(1)
    expect(failure?.title).toBe('migrate FAILED in phase BUILD')
    expect(failure?.message).toContain('COMMAND_EXECUTION_ERROR: Error while executing command: npx knex migrate:latest || status=$? ')
    expect(failure?.message.endsWith(`\nLast lines of the output:\n${TOOL_ERROR.slice(-5).join('\n')}`)).toBe(true)
    expect(lastLinesSuffix(build)).toBe(`\nLast lines of the output:\n${TOOL_ERROR.slice(-5).join('\n')}`)
    // The tool's error, not the script's `echo "connection timed out"`: the module is missing, the database is fine.
    expect(diagnosis?.title).toBe('migrate: known failure (command-not-found)')
    expect(diagnosis?.message).toContain("Evidence: Cannot find module 'pg'")
    expect(r.stdout).not.toMatch(/database is unreachable/i)
  })
})

describe('an EC2-compute build: the agent writes [Instance]', () => {
  it('a failure: phases tracked, the last lines are the task’s, the step ends within the ingestion delay + 1 s of the build', async () => {
    const ingestionDelayMs = 1_000
    // In real time: the CPU time of the action's last calls and its exit (a few hundred ms, times the scale on a scaled
    // clock) does not decide the second it is given. The build ends about 2 s after the start.
    s = await standIn([presets.failure({ lines: 5, everyMs: 5, ingestionDelayMs })], { timeScale: 1 }, { agentPrefix: 'Instance' })
    const r = await run(s)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(1)
    const [build] = s.startedBuilds(PROJECT)
    if (!build) throw new Error('no build was started')
    expect(build.finalStatus).toBe('FAILED')
    const lines = logLines(build)
    expect(lines.filter(l => l.startsWith('[Instance] ')).length).toBeGreaterThan(20)
    expect(lines.filter(l => l.startsWith('[Container] '))).toEqual([])
    expect(r.streamed).toEqual(lines)

    // Phases are tracked: the setup is folded in its groups, the task's output is not folded.
    const groups = groupOf(r)
    const enteringPreBuild = lines.find(l => l.endsWith(' Entering phase PRE_BUILD'))
    expect(groups.get(enteringPreBuild ?? '')).toMatch(/PRE_BUILD/i)
    expect(groups.get('task line 000004')).toBeUndefined()
    expect(groups.get(lines.find(l => l.includes('Phase complete: BUILD State: FAILED')) ?? '')).toBeUndefined()

    // No agent line among the last lines of the failure.
    const [failure] = annotations(r)
    expect(failure?.message.endsWith(lastLinesSuffix(build))).toBe(true)
    const taskLines = ['task line 000001', 'task line 000002', 'task line 000003', 'task line 000004']
    expect(lastLinesSuffix(build)).toBe(
      `\nLast lines of the output:\n${[...taskLines, 'Error: migration 0042_add_index failed: relation "users" does not exist'].join('\n')}`
    )
    expect(failure?.message).not.toContain('[Instance]')

    // The end of the log is recognised: the step ends once the last lines are readable, not after a grace period.
    expect(exitLagMs(s, r, build)).toBeLessThanOrEqual(ingestionDelayMs + 1_000)
  })
})
