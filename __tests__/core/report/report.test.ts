import { formatDuration } from '../../../src/core/support/text.js'
import type { Build } from '@aws-sdk/client-codebuild'
import { AgentLineFilter } from '../../../src/core/watch/agent-log.js'
import { LastTaskLines, addSummary, describeFailure, escapeHtml, failedPhase } from '../../../src/core/report/report.js'
import { parsePlan } from '../../../src/core/plan/inputs.js'
import { BASE_INPUTS, context, reader } from '../../fixtures/inputs.js'
import { SummaryRecorder } from '../../fixtures/summary.js'

const plan = parsePlan(reader({ ...BASE_INPUTS, 'env-vars': 'DB_PASSWORD=hunter2' }), context())
const failed: Build = {
  id: 'app-migrations:1234',
  buildNumber: 7,
  buildStatus: 'FAILED',
  startTime: new Date(0),
  endTime: new Date(95_000),
  phases: [
    { phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED', durationInSeconds: 0 },
    { phaseType: 'PRE_BUILD', phaseStatus: 'SUCCEEDED', durationInSeconds: 20 },
    {
      phaseType: 'BUILD',
      phaseStatus: 'FAILED',
      durationInSeconds: 70,
      contexts: [
        { statusCode: 'COMMAND_EXECUTION_ERROR', message: 'Error while executing command: docker run <image>. Reason: exit status 1' }
      ]
    },
    { phaseType: 'COMPLETED' }
  ]
}

describe('describeFailure', () => {
  it('names the task, status, failed phase and CodeBuild’s message', () => {
    expect(describeFailure(plan, failed)).toEqual({
      title: 'migrate FAILED in phase BUILD',
      message:
        'Build app-migrations:1234 of app-migrations ended FAILED in phase BUILD: COMMAND_EXECUTION_ERROR: Error while executing command: docker run <image>. Reason: exit status 1'
    })
  })
  it.each([
    ['TIMED_OUT', /ran past its timeout of 60 minutes/],
    ['STOPPED', /was stopped/],
    ['FAULT', /CodeBuild gave no message/]
  ] as const)('explains %s without a phase context', (status, message) => {
    const f = describeFailure(plan, { id: 'x', buildStatus: status, timeoutInMinutes: 60, phases: [] })
    expect(f.title).toBe(`migrate ${status}`)
    expect(f.message).toMatch(message)
  })
  it('adds the task’s last output lines under CodeBuild’s message', () => {
    const f = describeFailure(plan, failed, ['ERROR: canceling statement due to lock timeout', 'migrate: rolled back'])
    expect(f.title).toBe('migrate FAILED in phase BUILD')
    expect(f.message.split('\n')).toEqual([
      expect.stringContaining('ended FAILED in phase BUILD: COMMAND_EXECUTION_ERROR'),
      'Last lines of the output:',
      'ERROR: canceling statement due to lock timeout',
      'migrate: rolled back'
    ])
  })
  it('finds the first phase that did not succeed', () => {
    expect(failedPhase(failed)?.phaseType).toBe('BUILD')
    expect(failedPhase({ phases: [{ phaseType: 'BUILD', phaseStatus: 'SUCCEEDED' }] })).toBeUndefined()
  })
})

describe('addSummary', () => {
  it('shows the run, the build, its link and a phase table with the failed phase’s context, escaped', () => {
    const r = new SummaryRecorder()
    addSummary(r, { plan, build: failed, links: { build: 'https://console/b?x=1&y=2', logs: 'https://console/l' } })
    const text = r.parts.join('\n')
    expect(text).toContain('# ❌ CodeBuild migrate: FAILED')
    expect(text).toContain('app-migrations')
    expect(text).toContain('us-east-1')
    expect(text).toContain('#\u200B7 <code>app-migrations:1234</code>')
    expect(text).toContain('<a href="https://console/b?x=1&#38;y=2">build</a>')
    expect(text).toContain('1m 35s')
    expect(text).toContain(
      'BUILD | ❌ FAILED | 1m 10s | COMMAND_EXECUTION_ERROR: Error while executing command: docker run &#60;image&#62;.'
    )
    expect(text).not.toContain('hunter2')
    expect(text).not.toContain('COMPLETED')
  })
  it('shows the task’s last output lines of a failure as code, escaped', () => {
    const r = new SummaryRecorder()
    addSummary(r, { plan, build: failed, lastLines: ['ERROR: relation <users> does not exist'] })
    const text = r.parts.join('\n')
    expect(text).toContain('Last lines of the output:')
    expect(text).toContain('ERROR: relation &#60;users&#62; does not exist')
  })
  it('shows the request and buildspec of a dry run', () => {
    const r = new SummaryRecorder()
    addSummary(r, { plan, request: { projectName: 'app-migrations' } })
    const text = r.parts.join('\n')
    expect(text).toContain('DRY RUN')
    expect(text).toContain('"projectName": "app-migrations"')
    expect(text).toContain('version: 0.2')
  })
})

describe('LastTaskLines', () => {
  it('keeps the last few lines of the task, not the agent’s, without colour codes, each bounded', () => {
    const last = new LastTaskLines(3, 20)
    const filter = new AgentLineFilter()
    for (const m of [
      'first\n',
      '[Container] 2026/11/25 12:00:00.1 Running command x\n',
      '\u001b[31mred\u001b[0m\n',
      '   \n',
      'third\n',
      'x'.repeat(50) + '\n',
      'last\r\n',
      '[Container] 2026/11/25 12:00:01.1 Phase complete: BUILD State: FAILED\n'
    ])
      for (const line of filter.classify(m)) last.observe(line)
    expect(last.lines()).toEqual(['third', `${'x'.repeat(20)}…`, 'last'])
  })
})

it('formats durations and escapes HTML', () => {
  expect([formatDuration(0), formatDuration(59_400), formatDuration(61_000), formatDuration(3_720_000), formatDuration(undefined)]).toEqual(
    ['0s', '59s', '1m 1s', '1h 2m', '–']
  )
  expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;')
})
