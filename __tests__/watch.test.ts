import type { Build } from '@aws-sdk/client-codebuild'
import { DEFAULT_TIMING, lastLoggedPhase, watchBuild } from '../src/watch.js'
import { ManualClock } from './fixtures/clock.js'
import { FakeClient, awsError } from './fixtures/fake-aws.js'
import { FakeStream } from './fixtures/fake-stream.js'

const T0 = 1_700_000_000_000
const agent = (text: string) => `[Container] 2026/11/25 12:00:00.123456 ${text}`

interface Timeline {
  streamAt: number
  endAt: number
  status: 'SUCCEEDED' | 'FAILED' | 'STOPPED'
  lines: Array<[number, string]>
  delay?: (index: number) => number
}

/** A build simulated on the manual clock: status and stream as CodeBuild and CloudWatch would show them at each moment. */
interface Faults {
  statusFault?: (n: number) => Error | undefined
  logFault?: (n: number) => Error | undefined
  /** HTTP attempts the SDK reports behind the n-th log call (its retries). */
  logAttempts?: (n: number) => number
}

function simulate(timeline: Timeline, faults: Faults = {}) {
  const clock = new ManualClock(T0)
  const stream = new FakeStream(() => clock.now())
  timeline.lines.forEach(([at, text], i) => stream.add(text, T0 + at, timeline.delay?.(i) ?? 0))
  let statusCalls = 0
  let logCalls = 0
  const logTimes: number[] = []
  const build = (): Build => {
    const t = clock.now() - T0
    const ended = t >= timeline.endAt
    const b: Build = {
      id: 'p:uuid',
      buildStatus: ended ? timeline.status : 'IN_PROGRESS',
      currentPhase: ended ? 'COMPLETED' : t >= timeline.streamAt ? 'BUILD' : 'QUEUED',
      phases: [{ phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED' }],
      ...(ended ? { endTime: new Date(T0 + timeline.endAt) } : {})
    }
    if (t >= timeline.streamAt) b.logs = { groupName: '/aws/codebuild/p', streamName: 'uuid', cloudWatchLogs: { status: 'ENABLED' } }
    if (ended && timeline.status !== 'STOPPED') {
      b.phases?.push(
        { phaseType: 'BUILD', phaseStatus: timeline.status },
        { phaseType: 'POST_BUILD', phaseStatus: 'SUCCEEDED' },
        { phaseType: 'COMPLETED' }
      )
    }
    return b
  }
  stream.exists = false
  const client = new FakeClient({
    BatchGetBuilds: () => {
      const fault = faults.statusFault?.(statusCalls++)
      if (fault) throw fault
      return { builds: [build()] }
    },
    GetLogEvents: input => {
      const n = logCalls++
      logTimes.push(clock.now() - T0)
      const fault = faults.logFault?.(n)
      if (fault) throw fault
      stream.exists = clock.now() - T0 >= timeline.streamAt
      return { ...(stream.getLogEvents(input) as object), $metadata: { attempts: faults.logAttempts?.(n) ?? 1 } }
    }
  })
  return { clock, client, build, logTimes }
}

function taskLines(from: number, count: number, every: number): Array<[number, string]> {
  return Array.from({ length: count }, (_, i) => [from + i * every, `task line ${String(i).padStart(5, '0')}`])
}

function ending(at: number): Array<[number, string]> {
  return [
    [at, agent('Phase complete: BUILD State: SUCCEEDED')],
    [at, agent('Phase context status code:  Message: ')],
    [at + 10, agent('Entering phase POST_BUILD')],
    [at + 20, agent('Phase complete: POST_BUILD State: SUCCEEDED')],
    [at + 20, agent('Phase context status code:  Message: ')]
  ]
}

async function watch(sim: ReturnType<typeof simulate>, signal?: AbortSignal) {
  const printed: string[] = []
  const warnings: string[] = []
  const result = await watchBuild(
    { codebuild: sim.client.codebuild, logs: sim.client.logs, clock: sim.clock, random: () => 0.5 },
    { id: 'p:uuid', buildStatus: 'IN_PROGRESS', currentPhase: 'SUBMITTED' },
    { onEvents: events => printed.push(...events.map(e => (e.message ?? '').replace(/\n$/, ''))), onWarning: w => warnings.push(w) },
    { showLogs: true, signal }
  )
  return { result, printed, warnings, elapsed: sim.clock.now() - T0 }
}

describe('watchBuild', () => {
  it('waits through the queue, streams every line once in order, and ends promptly after the build', async () => {
    const lines = [[5_000, agent('Entering phase BUILD')] as [number, string], ...taskLines(5_100, 200, 100), ...ending(25_200)]
    const sim = simulate({ streamAt: 5_000, endAt: 25_800, status: 'SUCCEEDED', lines })
    const { result, printed } = await watch(sim)
    expect(printed).toEqual(lines.map(([, text]) => text))
    expect(result.build.buildStatus).toBe('SUCCEEDED')
    expect(result.logComplete).toBe(true)
    // Ends within about a second of the build's end.
    expect(sim.clock.now() - T0 - 25_800).toBeLessThanOrEqual(1_200)
    // Budget: about one log poll a second while lines flow, few status polls.
    const minutes = (sim.clock.now() - T0) / 60_000
    expect((result.statusCalls + result.logCalls) / minutes).toBeLessThan(75)
    expect(result.statusCalls).toBeLessThanOrEqual(10)
  })

  it('waits for last lines that CloudWatch delivers late, losing none', async () => {
    const lines = [...taskLines(0, 50, 100), ...ending(5_000)]
    const sim = simulate({ streamAt: 0, endAt: 5_300, status: 'SUCCEEDED', lines, delay: i => (i >= 45 ? 2_000 : 0) })
    const { result, printed } = await watch(sim)
    expect(printed).toEqual(lines.map(([, text]) => text))
    expect(result.logComplete).toBe(true)
    expect(sim.clock.now() - T0).toBeLessThanOrEqual(5_300 + 2_000 + 1_500)
  })

  it('keeps going through throttling and 500s on both APIs', async () => {
    const lines = [...taskLines(0, 100, 100), ...ending(10_000)]
    const sim = simulate(
      { streamAt: 0, endAt: 10_200, status: 'FAILED', lines },
      {
        statusFault: n => (n % 3 === 1 ? awsError('ThrottlingException', 400, 'Rate exceeded') : undefined),
        logFault: n => (n % 3 === 0 ? awsError('ThrottlingException', 400, 'Rate exceeded') : n % 5 === 1 ? awsError('InternalFailure', 500) : undefined)
      }
    )
    const { result, printed } = await watch(sim)
    expect(printed).toEqual(lines.map(([, text]) => text))
    expect(result.build.buildStatus).toBe('FAILED')
  })

  it('stretches its log pace while the SDK has to retry (throttling), and recovers it after', async () => {
    const lines = [...taskLines(0, 200, 100), ...ending(20_000)]
    // Log calls 3 to 5 each needed 3 attempts behind the scenes.
    const sim = simulate({ streamAt: 0, endAt: 20_200, status: 'SUCCEEDED', lines }, { logAttempts: n => (n >= 3 && n <= 5 ? 3 : 1) })
    const { printed } = await watch(sim)
    expect(printed).toEqual(lines.map(([, text]) => text))
    const gaps = sim.logTimes.slice(1).map((t, i) => t - (sim.logTimes[i] as number))
    expect(gaps.slice(0, 3)).toEqual([1_000, 1_000, 1_000])
    expect(gaps.slice(3, 6)).toEqual([3_000, 3_000, 3_000])
    expect(gaps[6]).toBe(1_000)
  })

  it('watches to the end without logs when reading them is denied', async () => {
    const sim = simulate(
      { streamAt: 0, endAt: 3_000, status: 'SUCCEEDED', lines: taskLines(0, 10, 100) },
      { logFault: () => awsError('AccessDeniedException', 400, 'not authorized to perform: logs:GetLogEvents') }
    )
    const { result, warnings, printed } = await watch(sim)
    expect(result.build.buildStatus).toBe('SUCCEEDED')
    expect(printed).toEqual([])
    expect(warnings.join('\n')).toMatch(/Cannot read the build's log .*logs:GetLogEvents/)
  })

  it('does not wait forever for a log end that a stopped build never writes', async () => {
    const sim = simulate({ streamAt: 0, endAt: 4_000, status: 'STOPPED', lines: taskLines(0, 30, 100) })
    const { result, printed } = await watch(sim)
    expect(printed).toHaveLength(30)
    expect(result.logComplete).toBe(false)
    expect(sim.clock.now() - T0).toBeLessThanOrEqual(4_000 + DEFAULT_TIMING.statusRunningMs + DEFAULT_TIMING.drainGraceMaxMs)
  })

  it('fails fast on an error that retrying cannot fix', async () => {
    const sim = simulate({ streamAt: 0, endAt: 3_000, status: 'SUCCEEDED', lines: [] }, { statusFault: () => awsError('AccessDeniedException', 400, 'denied') })
    await expect(watch(sim)).rejects.toThrow('denied')
  })

  it('stops at once when cancelled', async () => {
    const sim = simulate({ streamAt: 0, endAt: 60_000, status: 'SUCCEEDED', lines: taskLines(0, 10, 100) })
    const controller = new AbortController()
    controller.abort(new Error('cancelled'))
    await expect(watch(sim, controller.signal)).rejects.toThrow('cancelled')
  })
})

describe('lastLoggedPhase', () => {
  it('is the last phase the agent logs that has a status', () => {
    expect(
      lastLoggedPhase({
        phases: [
          { phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED' },
          { phaseType: 'PRE_BUILD', phaseStatus: 'FAILED' },
          { phaseType: 'FINALIZING', phaseStatus: 'SUCCEEDED' },
          { phaseType: 'COMPLETED' }
        ]
      })
    ).toBe('PRE_BUILD')
    expect(lastLoggedPhase({ phases: [{ phaseType: 'QUEUED', phaseStatus: 'SUCCEEDED' }] })).toBeUndefined()
  })
})
