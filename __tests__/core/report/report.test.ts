import { formatDuration } from '../../../src/core/support/text.js'
import { AgentLineFilter } from '../../../src/core/watch/agent-log.js'
import { LastTaskLines, describeFailure, failedPhase } from '../../../src/core/report/report.js'
import { parsePlan } from '../../../src/core/plan/inputs.js'
import { BASE_INPUTS, context, reader } from '../../fixtures/inputs.js'
import { FAILED_BUILD as failed } from '../../fixtures/summary.js'

const plan = parsePlan(reader({ ...BASE_INPUTS, 'env-vars': 'DB_PASSWORD=hunter2' }), context())

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

it('formats durations', () => {
  expect([formatDuration(0), formatDuration(59_400), formatDuration(61_000), formatDuration(3_720_000), formatDuration(undefined)]).toEqual(
    ['0s', '59s', '1m 1s', '1h 2m', '–']
  )
})
