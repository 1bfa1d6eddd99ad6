import type { Build, BuildPhase, BuildPhaseType, StatusType } from '@aws-sdk/client-codebuild'
import { renderComment } from '../../../src/action/pr-comment.js'
import { FLAG_NAMES, INPUT_NAMES } from '../../../src/core/errors/errors.js'
import { parsePlan } from '../../../src/core/plan/inputs.js'
import { addSummary } from '../../../src/action/summary.js'
import { PullSpans, adviceText, budgetRows, phaseMs, timeBudget } from '../../../src/core/report/time-budget.js'
import type { RunTiming, TimeBudget } from '../../../src/core/report/time-budget.js'
import { agent } from '../../fixtures/agent-line.js'
import { BASE_INPUTS, context, reader } from '../../fixtures/inputs.js'
import { SummaryRecorder } from '../../fixtures/summary.js'

/** AWS's clock: the build starts at T (epoch ms); the runner's clock is elsewhere (a skew of hours). */
const T = Date.UTC(2026, 11, 7, 6, 0, 0)
const RUNNER = 5_000_000

/** A build from phase durations in ms, back to back from T, ended (endTime) unless `running`. */
function buildOf(durations: Array<[BuildPhaseType, number]>, o: { running?: boolean; status?: StatusType } = {}): Build {
  let t = T
  const phases: BuildPhase[] = durations.map(([phaseType, ms]) => {
    const p: BuildPhase = {
      phaseType,
      phaseStatus: 'SUCCEEDED',
      startTime: new Date(t),
      endTime: new Date(t + ms),
      durationInSeconds: Math.floor(ms / 1000)
    }
    t += ms
    return p
  })
  if (o.running) phases.push({ phaseType: 'BUILD', startTime: new Date(t) })
  else phases.push({ phaseType: 'COMPLETED', startTime: new Date(t) })
  return {
    id: 'app:1',
    buildStatus: o.running ? 'IN_PROGRESS' : (o.status ?? 'SUCCEEDED'),
    startTime: new Date(T),
    ...(o.running ? {} : { endTime: new Date(t) }),
    phases
  }
}

/** A build of 100 s: queued 4 s, provisioning `prov`, pre_build 20 s (where the pull is), the task, the rest. */
const build = (prov: number, task = 30_000): Build =>
  buildOf([
    ['SUBMITTED', 1_000],
    ['QUEUED', 3_000],
    ['PROVISIONING', prov],
    ['DOWNLOAD_SOURCE', 2_000],
    ['INSTALL', 0],
    ['PRE_BUILD', 20_000],
    ['BUILD', task],
    ['POST_BUILD', 500],
    ['UPLOAD_ARTIFACTS', 500],
    ['FINALIZING', 1_000]
  ])

const spanOf = (b: Build): number => (b.endTime as Date).getTime() - (b.startTime as Date).getTime()

/** The runner's moments: 2 s before the start's answer, and the tail's end `tail` ms after the build's. */
function timing(b: Build, o: { tail?: number; pullMs?: number } = {}): RunTiming {
  return {
    stepStartedAt: RUNNER,
    startAnsweredAt: RUNNER + 2_000,
    tailEndedAt: RUNNER + 2_000 + spanOf(b) + (o.tail ?? 1_500),
    ...(o.pullMs !== undefined ? { pullMs: o.pullMs } : {})
  }
}

const msOf = (budget: TimeBudget | undefined): Record<string, number> => Object.fromEntries((budget?.parts ?? []).map(p => [p.id, p.ms]))

describe('timeBudget', () => {
  it('splits the run into its parts, which add up to the whole, whatever the skew between the two clocks', () => {
    const b = build(40_000)
    const budget = timeBudget(b, timing(b, { pullMs: 12_000 }))
    expect(msOf(budget)).toEqual({
      before: 2_000,
      queued: 4_000,
      provisioning: 40_000,
      pull: 12_000,
      task: 30_000,
      rest: 2_000 + 20_000 - 12_000 + 2_000,
      tail: 1_500
    })
    expect(budget?.totalMs).toBe(2_000 + spanOf(b) + 1_500)
    expect(budget?.parts.reduce((sum, p) => sum + p.ms, 0)).toBe(budget?.totalMs)
    expect(budget?.parts.map(p => p.label)).toEqual([
      'before the build (checks, backup, other builds)',
      'queued',
      'provisioning',
      'image pull (docker pull)',
      'the task (BUILD phase)',
      'rest of the build',
      'the end, the last log lines and the outputs'
    ])
  })

  it('takes a phase’s whole seconds when CodeBuild gives no times', () => {
    expect(phaseMs({ phaseType: 'BUILD', durationInSeconds: 7 })).toBe(7_000)
    expect(phaseMs({ phaseType: 'BUILD', startTime: new Date(0) })).toBeUndefined()
    expect(phaseMs({ phaseType: 'BUILD', startTime: new Date(0), endTime: new Date(1_234), durationInSeconds: 1 })).toBe(1_234)
  })

  it('without the log (logs off, no pull seen) has no pull part: the pre-build is in the rest', () => {
    const b = build(40_000)
    const budget = timeBudget(b, timing(b))
    expect(msOf(budget).pull).toBeUndefined()
    expect(msOf(budget).rest).toBe(24_000)
  })

  it('in image mode, names provisioning as holding the pull and counts no docker pull', () => {
    const b = build(40_000)
    const budget = timeBudget(b, timing(b, { pullMs: 12_000 }), { runIn: 'build-environment' })
    expect(budget?.parts.find(p => p.id === 'provisioning')?.label).toBe('provisioning (image pull included)')
    expect(msOf(budget).pull).toBeUndefined()
  })

  it('for a build still running (watching gave up) shows the phases that ended, and no total, no wait, no advice', () => {
    const b = buildOf(
      [
        ['SUBMITTED', 1_000],
        ['QUEUED', 1_000],
        ['PROVISIONING', 90_000],
        ['PRE_BUILD', 5_000]
      ],
      { running: true }
    )
    const budget = timeBudget(b, { stepStartedAt: RUNNER, startAnsweredAt: RUNNER + 500 })
    expect(msOf(budget)).toEqual({ before: 500, queued: 2_000, provisioning: 90_000, rest: 5_000 })
    expect(budget?.totalMs).toBeUndefined()
    expect(budget?.advice).toBeUndefined()
  })

  it('with no phases from CodeBuild, shows the build as one part under its own name, never split', () => {
    const b: Build = { id: 'app:1', buildStatus: 'SUCCEEDED', startTime: new Date(T), endTime: new Date(T + 60_000) }
    const budget = timeBudget(b, { stepStartedAt: RUNNER, startAnsweredAt: RUNNER + 1_000, tailEndedAt: RUNNER + 63_000 })
    expect(budget?.parts.map(p => [p.id, p.ms])).toEqual([
      ['before', 1_000],
      ['rest', 60_000],
      ['tail', 2_000]
    ])
    expect(budget?.parts[1]?.label).toBe('the build (its phases not known)')
    expect(budget?.totalMs).toBe(63_000)
  })

  it('is undefined when nothing is known', () => {
    expect(timeBudget(undefined, {})).toBeUndefined()
    expect(timeBudget({ id: 'app:1' }, {})).toBeUndefined()
  })
})

describe('the advice', () => {
  // The whole run: 2 s before + the build's span + 1.5 s after. Provisioning alone at exactly half, then just over.
  const runOf = (prov: number): number => 2_000 + spanOf(build(prov, 10_000)) + 1_500
  /** The provisioning that makes provisioning + pull exactly half of the run (the run grows with provisioning). */
  const halfWith = (pull: number): number => {
    const rest = runOf(0)
    return rest - 2 * pull // prov + pull = (rest + prov) / 2  ⇔  prov = rest − 2·pull
  }

  it('is not given at exactly half of the run, and is given just over it', () => {
    const at = halfWith(0)
    const b = build(at, 10_000)
    expect(timeBudget(b, timing(b))?.advice).toBeUndefined()
    const over = build(at + 2, 10_000)
    const advice = timeBudget(over, timing(over))?.advice
    expect(advice).toMatchObject({ provisioningMs: at + 2, runMs: runOf(at + 2), suggest: ['run-in', 'fleet'] })
    expect(advice?.share).toBeGreaterThan(0.5)
  })

  it('counts the pull with provisioning: neither alone is half, together they are', () => {
    const pull = 15_000
    const at = halfWith(pull)
    const b = build(at, 10_000)
    expect(timeBudget(b, timing(b, { pullMs: pull }))?.advice).toBeUndefined()
    const over = build(at + 2, 10_000)
    const budget = timeBudget(over, timing(over, { pullMs: pull }))
    expect(budget?.advice).toMatchObject({ provisioningMs: at + 2, pullMs: pull })
    expect(budget?.advice?.provisioningMs ?? 0).toBeLessThan((budget?.totalMs ?? 0) / 2)
  })

  it('suggests only what the run does not use yet', () => {
    const b = build(200_000)
    expect(timeBudget(b, timing(b), { runIn: 'build-environment' })?.advice?.suggest).toEqual(['fleet'])
    expect(timeBudget(b, timing(b), { fleet: true })?.advice?.suggest).toEqual(['run-in'])
    expect(timeBudget(b, timing(b), { runIn: 'build-environment', fleet: true })?.advice).toBeUndefined()
  })

  it('compares with the build’s own span when the run’s end is not known (a stopped build)', () => {
    const b = build(200_000)
    const advice = timeBudget(b, { stepStartedAt: RUNNER, startAnsweredAt: RUNNER + 1_000 })?.advice
    expect(advice?.runMs).toBe(spanOf(b))
  })

  it('is one line with its numbers, naming the setting as each front end writes it', () => {
    const advice = { provisioningMs: 95_000, pullMs: 40_000, runMs: 180_000, share: 0.75, suggest: ['run-in', 'fleet'] as const }
    const text = adviceText({ ...advice, suggest: [...advice.suggest] }, INPUT_NAMES)
    expect(text).toBe(
      "Provisioning (1m 35s) and the image pull (40s) took 2m 15s, 75% of this run's 3m 0s. Faster: run-in: build-environment " +
        '(CodeBuild pulls the image as the build environment: no Docker, no second pull), or a reserved-capacity fleet ' +
        '(instances ready before the build, the image layers cached on them).'
    )
    expect(adviceText({ provisioningMs: 95_000, runMs: 150_000, share: 95 / 150, suggest: ['run-in'] }, FLAG_NAMES)).toMatch(
      /^Provisioning took 1m 35s, 63% of this run's 2m 30s\. Faster: --run-in=build-environment \(/
    )
  })
})

describe('PullSpans', () => {
  const at = (spans: PullSpans, text: string, ms: number, prefix = 'Container'): void =>
    spans.observe(`${agent(text).replace('[Container]', `[${prefix}]`)}\n`, T + ms)

  it('measures docker pull from its command to the agent’s next command or phase line, and sums several', () => {
    const spans = new PullSpans()
    at(spans, 'Running command docker login --username AWS --password-stdin x', 0)
    at(spans, 'Running command docker pull "$IMAGE_URI"', 1_000)
    spans.observe('a2abf6c4d29d: Pull complete\n', T + 5_000)
    spans.observe(`${agent('Running command echo fake')}`, undefined)
    at(spans, 'Phase complete: PRE_BUILD State: SUCCEEDED', 9_000)
    expect(spans.totalMs()).toBe(8_000)
    at(spans, 'Running command docker image pull other', 10_000, 'Instance')
    at(spans, 'Running command docker run --rm x', 12_500, 'Instance')
    expect(spans.totalMs()).toBe(10_500)
  })

  it('ends a failed pull at the agent’s `Command did not exit successfully` line', () => {
    const spans = new PullSpans()
    at(spans, 'Running command docker pull "$IMAGE_URI"', 1_000)
    at(spans, 'Command did not exit successfully docker pull "$IMAGE_URI" exit status 1', 3_000)
    expect(spans.totalMs()).toBe(2_000)
  })

  it('counts nothing for a pull whose end the log never showed, nor for the task’s lines', () => {
    const spans = new PullSpans()
    spans.observe('Running command docker pull x\n', T)
    spans.observe('docker pull x\n', T + 1)
    at(spans, 'Running command docker pull "$IMAGE_URI"', 1_000)
    spans.observe('Status: Downloaded newer image\n', T + 60_000)
    expect(spans.totalMs()).toBeUndefined()
  })
})

describe('the time budget in the reports', () => {
  const plan = parsePlan(reader({ ...BASE_INPUTS, 'github-token': 'ghs_x' }), context())
  const b = build(150_000)
  const budget = timeBudget(b, timing(b, { pullMs: 12_000 })) as TimeBudget

  it('has a row per part with its share, and the whole run', () => {
    const rows = budgetRows(budget)
    expect(rows[2]).toEqual(['provisioning', '2m 30s', '71%'])
    expect(rows.at(-1)).toEqual(['the whole run', '3m 32s', '100%'])
    const partial = timeBudget(b, { stepStartedAt: RUNNER, startAnsweredAt: RUNNER + 1_000 }) as TimeBudget
    expect(budgetRows(partial).every(([, , share]) => share === '')).toBe(true)
  })

  it('the job summary: a table of the parts and the advice', () => {
    const summary = new SummaryRecorder()
    addSummary(summary, { plan, build: b, timeBudget: budget })
    const text = summary.parts.join('\n')
    expect(text).toContain('<p><b>Where the time went</b></p>')
    expect(text).toContain('Part | Time | Share\nbefore the build (checks, backup, other builds) | 2s | 1%')
    expect(text).toContain('provisioning | 2m 30s | 71%\nimage pull (docker pull) | 12s | 6%')
    expect(text).toMatch(
      /<p>💡 Provisioning \(2m 30s\) and the image pull \(12s\) took 2m 42s, 77% of this run&#39;s 3m 32s\. Faster: run-in: build-environment/
    )
    const without = new SummaryRecorder()
    addSummary(without, { plan, build: b })
    expect(without.parts.join('\n')).not.toContain('Where the time went')
  })

  it('the pull-request comment: one line of the parts, and the advice', () => {
    const body = renderComment({
      plan,
      build: b,
      timeBudget: budget,
      workflow: 'w.yml',
      job: 'migrate',
      key: '',
      redact: t => t
    })
    expect(body).toContain(
      '**Where the time went:** before the build &#40;checks, backup, other builds&#41; 2s (1&#37;) · queued 4s (2&#37;) · provisioning 2m 30s (71&#37;)'
    )
    expect(body).toMatch(/the whole run 3m 32s \(100&#37;\)\n\n💡 Provisioning &#40;2m 30s&#41; and the image pull/)
    expect(body).toContain('run&#45;in&#58; build&#45;environment')
  })
})
