/** The task outputs' parser and carrier (src/core/results/task-outputs.ts), the plan's digest, and what becomes a step output. */
import type { Build } from '@aws-sdk/client-codebuild'
import { PLAN_DIGEST, parsePending, planDigest } from '../../../src/core/results/plan-digest.js'
import { outputsNote } from '../../../src/core/report/report.js'
import { MAX_TASK_OUTPUTS, MAX_TASK_OUTPUT_BYTES, parseTaskOutputs, taskOutputsOf } from '../../../src/core/results/task-outputs.js'
import { declaresOutputs, outputsJson, taskResultsOf } from '../../../src/core/results/task-results.js'

const carried = (file: string, status: Build['buildStatus'] = 'SUCCEEDED'): Build => ({
  buildStatus: status,
  exportedEnvironmentVariables: [{ name: 'TASK_OUTPUTS', value: Buffer.from(file, 'utf8').toString('base64') }]
})

describe('parseTaskOutputs: GitHub’s $GITHUB_OUTPUT format', () => {
  it('reads name=value lines and heredoc values, keeps the last value of a name set twice (whatever its case)', () => {
    const { outputs, problems } = parseTaskOutputs(
      'applied=3\r\nversion=2024_01=x\n\nnotes<<EOF\nline one\n\nname=not an output\nEOF\nApplied=4\nempty=\n'
    )
    expect(outputs).toEqual([
      { name: 'applied', value: '4' },
      { name: 'version', value: '2024_01=x' },
      { name: 'notes', value: 'line one\n\nname=not an output' },
      { name: 'empty', value: '' }
    ])
    expect(problems).toEqual(['line 9: Applied is set again: the last value is kept'])
  })

  it('leaves out bad names, lines of neither form and an unclosed heredoc, naming only the line', () => {
    const { outputs, problems } = parseTaskOutputs('9lives=x\n::error::pwned\n##[error]x=1\nok=1\nrest<<END\nnever closed\n')
    expect(outputs).toEqual([{ name: 'ok', value: '1' }])
    expect(problems).toEqual([
      expect.stringMatching(/^line 1: not an output name/),
      'line 2: neither name=value nor name<<DELIMITER: left out',
      expect.stringMatching(/^line 3: not an output name/),
      "line 5: the value's closing delimiter never comes: the rest is left out"
    ])
    // No outside text in a problem: they may be printed as they are.
    for (const p of problems) expect(p).not.toMatch(/pwned|##\[|9lives/)
  })

  it(`keeps at most ${MAX_TASK_OUTPUTS} outputs`, () => {
    const text = Array.from({ length: MAX_TASK_OUTPUTS + 2 }, (_, i) => `o${i}=${i}`).join('\n')
    const { outputs, problems } = parseTaskOutputs(text)
    expect(outputs).toHaveLength(MAX_TASK_OUTPUTS)
    expect(problems).toHaveLength(2)
  })
})

describe('taskOutputsOf: the TASK_OUTPUTS exported variable', () => {
  it('decodes and parses it', () => {
    expect(taskOutputsOf(carried('a=1\nb<<X\n::warning::x\nX\n'))).toEqual({
      state: 'captured',
      outputs: [
        { name: 'a', value: '1' },
        { name: 'b', value: '::warning::x' }
      ],
      problems: []
    })
  })

  it('says why there are none: stopped, timed out, failed before post_build, not declared', () => {
    expect(taskOutputsOf({ buildStatus: 'STOPPED' }).note).toMatch(
      /ended STOPPED, and CodeBuild keeps exported variables only when post_build ends/
    )
    expect(taskOutputsOf({ buildStatus: 'TIMED_OUT' }).note).toMatch(/ended TIMED_OUT/)
    expect(taskOutputsOf({ buildStatus: 'FAILED', phases: [{ phaseType: 'PRE_BUILD' }] }).note).toMatch(/before its post_build phase/)
    const undeclared = taskOutputsOf({ buildStatus: 'SUCCEEDED', phases: [{ phaseType: 'POST_BUILD' }] })
    expect([undeclared.state, undeclared.note]).toEqual(['undeclared', expect.stringMatching(/custom buildspec must declare it/)])
    // The reports say nothing of a custom buildspec that carries no outputs; they do of a stopped build.
    expect(outputsNote({ outputs: undeclared, stepOutputs: [] })).toBeUndefined()
    expect(outputsNote({ outputs: taskOutputsOf({ buildStatus: 'STOPPED' }), stepOutputs: [] })).toMatch(/ended STOPPED/)
  })

  it('tells a buildspec that declares TASK_OUTPUTS (late: CodeBuild has not reported it yet) from one that does not', () => {
    const ran: Build = { buildStatus: 'SUCCEEDED', phases: [{ phaseType: 'POST_BUILD' }] }
    const late = taskOutputsOf(ran, true)
    expect([late.state, late.note]).toEqual([
      'late',
      expect.stringMatching(/CodeBuild has not reported TASK_OUTPUTS, which the buildspec declares/)
    ])
    expect(outputsNote({ outputs: late, stepOutputs: [] })).toBe(late.note)
    // What the run reads the build again for (run/follow.ts): the outputs are late.
    const outputsAwaited = (build: Build, declared: boolean): boolean => taskOutputsOf(build, declared).state === 'late'
    expect(outputsAwaited(ran, true)).toBe(true)
    expect(outputsAwaited(ran, false)).toBe(false)
    // Declared or not, a build whose post_build never ran, or that was stopped, is not waited for.
    expect(outputsAwaited({ buildStatus: 'FAILED', phases: [{ phaseType: 'PRE_BUILD' }] }, true)).toBe(false)
    expect(outputsAwaited({ buildStatus: 'STOPPED', phases: [{ phaseType: 'POST_BUILD' }] }, true)).toBe(false)
    expect(outputsAwaited(carried('a=1\n'), true)).toBe(false)
    expect(declaresOutputs(['OTHER', 'TASK_OUTPUTS'])).toBe(true)
    expect(declaresOutputs(['OTHER'])).toBe(false)
  })

  it('refuses what the buildspec refused, what is not base64 and what is over the limit', () => {
    const value = (v: string): Build => ({ exportedEnvironmentVariables: [{ name: 'TASK_OUTPUTS', value: v }] })
    const large = taskOutputsOf(value('!too-large:99999'))
    expect([large.state, large.note]).toEqual(['refused', expect.stringMatching(/99999 bytes, over the 16384-byte/)])
    expect(taskOutputsOf(value('!too-large:$(id)')).note).toMatch(/was \? bytes/)
    expect(taskOutputsOf(value('!not-a-file')).state).toBe('refused')
    const unencoded = taskOutputsOf(value('!not-encoded'))
    expect([unencoded.state, unencoded.note]).toEqual(['refused', expect.stringMatching(/could not encode .*no base64 or tr/)])
    expect(taskOutputsOf(value('a=1')).note).toMatch(/not base64/)
    expect(taskOutputsOf(carried('a'.repeat(MAX_TASK_OUTPUT_BYTES + 1))).note).toMatch(/over the 16384-byte limit/)
    expect(taskOutputsOf(value(''))).toEqual({ state: 'captured', outputs: [], problems: [] })
  })
})

describe('the plan digest', () => {
  it('is sha256 over id, name, checksum, tab-separated, one line per migration (test vectors)', () => {
    expect(planDigest([{ id: '0001', name: 'create_users', checksum: 'abc' }, { id: '0002' }])).toBe(
      'sha256:dfd2e36323e4a611ad4bf650a70124ef435e937db998d65c902e5e3065ca2419'
    )
    expect(planDigest([{ id: '20240101_add_ümlaut', checksum: 'sha:1' }])).toBe(
      'sha256:4056906e662cbadb702db7490d4295c4a8a49651c06b4072f9ca3562155d998a'
    )
    expect(planDigest([])).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(planDigest([])).toMatch(PLAN_DIGEST)
  })

  it('reads the pending output: a JSON array of {id, name?, checksum?}; anything else is a problem', () => {
    expect(parsePending('[{"id":"1","name":"a","checksum":null},{"id":"2"}]')).toEqual([{ id: '1', name: 'a' }, { id: '2' }])
    expect(parsePending('[]')).toEqual([])
    expect(parsePending('nope')).toEqual({ problem: 'the pending output is not JSON' })
    expect(parsePending('{"id":"1"}')).toEqual({ problem: 'the pending output is not a JSON array' })
    expect(parsePending('[{"name":"a"}]')).toEqual({ problem: 'pending[0].id is missing or empty' })
    expect(parsePending('[{"id":1}]')).toEqual({ problem: 'pending[0].id is not a string' })
    expect(parsePending('[{"id":"1","sql":"drop"}]')).toEqual({ problem: 'pending[0] has a field other than id, name and checksum' })
    expect(parsePending('[{"id":"1\\t2"}]')).toEqual({ problem: 'pending[0].id has a tab or a line break' })
  })
})

describe('taskResultsOf', () => {
  it("sets no step output named like one of the action's own (case-insensitively); all are in task-outputs", () => {
    const results = taskResultsOf(carried('build-status=SUCCEEDED\nPlan-Digest=x\napplied=2\n', 'FAILED'), 'migrate')
    expect(results.stepOutputs).toEqual([{ name: 'applied', value: '2' }])
    expect(results.outputs.problems).toEqual([
      "build-status is one of the action's own outputs: it is not set as a step output (it is in task-outputs)",
      "Plan-Digest is one of the action's own outputs: it is not set as a step output (it is in task-outputs)"
    ])
    expect(JSON.parse(outputsJson(results.outputs.outputs))).toEqual({ 'build-status': 'SUCCEEDED', 'Plan-Digest': 'x', applied: '2' })
    expect(results.plan).toBeUndefined()
  })

  it('gives the plan task its pending list and digest, or why not', () => {
    const pending = [{ id: '0001', name: 'create_users', checksum: 'abc' }, { id: '0002' }]
    expect(taskResultsOf(carried(`pending=${JSON.stringify(pending)}\n`), 'plan').plan).toEqual({
      pending,
      digest: 'sha256:dfd2e36323e4a611ad4bf650a70124ef435e937db998d65c902e5e3065ca2419'
    })
    expect(taskResultsOf(carried('applied=0\n'), 'plan').plan?.problem).toMatch(/reported no 'pending' output/)
    expect(taskResultsOf({ buildStatus: 'STOPPED' }, 'plan').plan?.problem).toMatch(/ended STOPPED/)
  })
})
