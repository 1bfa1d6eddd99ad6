import type { Build } from '@aws-sdk/client-codebuild'
import {
  DEFAULT_TIMING,
  WatchError,
  drainWindow,
  lastLoggedPhase,
  logDelay,
  statusDelay,
  watchBuild
} from '../../../src/core/watch/watch.js'
import type { LogView, StatusView } from '../../../src/core/watch/watch.js'
import { agent } from '../../fixtures/agent-line.js'
import { ManualClock } from '../../fixtures/clock.js'
import { FakeClient, awsError } from '../../fixtures/fake-aws.js'
import { FakeStream } from '../../fixtures/fake-stream.js'

const T0 = 1_700_000_000_000
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
  /** A fault that is this error makes the call hang (never answer) instead of failing. */
  hangOn?: Error
}

function simulate(timeline: Timeline, faults: Faults = {}) {
  const clock = new ManualClock(T0)
  const stream = new FakeStream(() => clock.now())
  timeline.lines.forEach(([at, text], i) => stream.add(text, T0 + at, timeline.delay?.(i) ?? 0))
  let statusCalls = 0
  let logCalls = 0
  const logTimes: number[] = []
  /** The number of events each GetLogEvents answer carried, in order. */
  const pageSizes: number[] = []
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
      if (fault && fault === faults.hangOn) return new Promise(() => undefined)
      if (fault) throw fault
      return { builds: [build()] }
    },
    GetLogEvents: input => {
      const n = logCalls++
      logTimes.push(clock.now() - T0)
      const fault = faults.logFault?.(n)
      if (fault && fault === faults.hangOn) return new Promise(() => undefined)
      if (fault) throw fault
      stream.exists = clock.now() - T0 >= timeline.streamAt
      stream.ended = clock.now() - T0 >= timeline.endAt
      const page = stream.getLogEvents(input as { nextToken?: string }) as { events: unknown[] }
      pageSizes.push(page.events.length)
      return page
    }
  })
  return { clock, client, build, logTimes, pageSizes, stream }
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
  const printedAt: number[] = []
  const warnings: string[] = []
  const result = await watchBuild(
    { codebuild: sim.client.codebuild, logs: sim.client.logs, clock: sim.clock, random: () => 0.5 },
    { id: 'p:uuid', buildStatus: 'IN_PROGRESS', currentPhase: 'SUBMITTED' },
    {
      onEvents: events => {
        printed.push(...events.map(e => (e.message ?? '').replace(/\n$/, '')))
        printedAt.push(...events.map(() => sim.clock.now()))
      },
      onWarning: w => warnings.push(w)
    },
    { showLogs: true, signal }
  )
  return { result, printed, printedAt, warnings, elapsed: sim.clock.now() - T0 }
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

  it('stops reading at the last phase’s end line: no empty page is asked for to confirm the end', async () => {
    const lines = [...taskLines(0, 20, 100), ...ending(2_500)]
    // The last phase's end lines reach CloudWatch after the status shows the end: the drain after the end reads them.
    const sim = simulate({ streamAt: 0, endAt: 2_600, status: 'SUCCEEDED', lines, delay: i => (i >= 23 ? 3_000 : 0) })
    const { result, printed } = await watch(sim)
    expect(printed).toEqual(lines.map(([, text]) => text))
    expect(result.logComplete).toBe(true)
    expect(sim.pageSizes.at(-1)).toBeGreaterThan(0)
  })

  it('keeps going through throttling and 500s on both APIs', async () => {
    const lines = [...taskLines(0, 100, 100), ...ending(10_000)]
    const sim = simulate(
      { streamAt: 0, endAt: 10_200, status: 'FAILED', lines },
      {
        statusFault: n => (n % 3 === 1 ? awsError('ThrottlingException', 400, 'Rate exceeded') : undefined),
        logFault: n =>
          n % 3 === 0 ? awsError('ThrottlingException', 400, 'Rate exceeded') : n % 5 === 1 ? awsError('InternalFailure', 500) : undefined
      }
    )
    const { result, printed } = await watch(sim)
    expect(printed).toEqual(lines.map(([, text]) => text))
    expect(result.build.buildStatus).toBe('FAILED')
  })

  it('retries a throttled log read soon, then reads at the fair-share pace (the quota may be shared)', async () => {
    const lines = [...taskLines(0, 200, 100), ...ending(20_000)]
    const sim = simulate(
      { streamAt: 0, endAt: 20_200, status: 'SUCCEEDED', lines },
      { logFault: n => (n === 3 ? awsError('ThrottlingException', 400, 'Rate exceeded') : undefined) }
    )
    const { printed, elapsed } = await watch(sim)
    expect(printed).toEqual(lines.map(([, text]) => text))
    const gaps = sim.logTimes.slice(1).map((t, i) => t - (sim.logTimes[i] as number))
    expect(gaps.slice(0, 3)).toEqual([1_000, 1_000, 1_000])
    // random() = 0.5: the retry comes after 300 ms (400 ms base, full jitter), then a read every 2.6 s (no jitter).
    expect(gaps[3]).toBe(300)
    expect(gaps.slice(4, 7)).toEqual([2_600, 2_600, 2_600])
    // The reads after the build's end are not slowed: the step still ends soon after the build.
    expect(elapsed - 20_200).toBeLessThanOrEqual(2_600 + 1_000)
  })

  it('rides out a status call and a log call that never answer: each is abandoned at its time limit, nothing lost', async () => {
    const lines = [...taskLines(0, 100, 100), ...ending(10_000)]
    const hang = new Error('hang')
    const sim = simulate(
      { streamAt: 0, endAt: 10_200, status: 'SUCCEEDED', lines },
      { statusFault: n => (n === 1 ? hang : undefined), logFault: n => (n === 4 ? hang : undefined), hangOn: hang }
    )
    const { result, printed } = await watch(sim)
    expect(printed).toEqual(lines.map(([, text]) => text))
    expect(result.build.buildStatus).toBe('SUCCEEDED')
    // Each hung call is abandoned at its limit while the other schedule goes on: the step ends well within 30 s of the build.
    expect(sim.clock.now() - T0 - 10_200).toBeLessThanOrEqual(DEFAULT_TIMING.callLimitMs + DEFAULT_TIMING.statusRetryBaseMs + 2_000)
  })

  it('takes a garbled status answer as transient: retried, never fatal', async () => {
    const lines = [...taskLines(0, 30, 100), ...ending(3_000)]
    const garbled = Object.assign(new SyntaxError('Unexpected token < in JSON at position 0'), {
      $metadata: { httpStatusCode: 200 },
      $response: {}
    })
    const sim = simulate({ streamAt: 0, endAt: 3_200, status: 'SUCCEEDED', lines }, { statusFault: n => (n < 3 ? garbled : undefined) })
    const { result, printed } = await watch(sim)
    expect(result.build.buildStatus).toBe('SUCCEEDED')
    expect(printed).toHaveLength(lines.length)
  })

  it('keeps reading the log through garbled pages, with no advice about permissions', async () => {
    const lines = [...taskLines(0, 50, 100), ...ending(5_000)]
    const garbled = Object.assign(new SyntaxError('Unexpected end of JSON input'), { $metadata: { httpStatusCode: 200 }, $response: {} })
    const sim = simulate(
      { streamAt: 0, endAt: 5_200, status: 'SUCCEEDED', lines },
      { logFault: n => (n % 2 === 1 && n < 8 ? garbled : undefined) }
    )
    const { printed, warnings } = await watch(sim)
    expect(printed).toEqual(lines.map(([, text]) => text))
    expect(warnings).toEqual([])
  })

  it('gives up after status calls fail for the give-up time in a row, without stopping anything', async () => {
    const sim = simulate(
      { streamAt: 0, endAt: 3_600_000, status: 'SUCCEEDED', lines: taskLines(0, 10, 100) },
      { statusFault: n => (n >= 2 ? awsError('InternalFailure', 500) : undefined) }
    )
    const error = await watch(sim).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WatchError)
    expect((error as WatchError).reason).toBe('gave-up')
    expect((error as WatchError).build.buildStatus).toBe('IN_PROGRESS')
    const elapsed = sim.clock.now() - T0
    expect(elapsed).toBeGreaterThanOrEqual(DEFAULT_TIMING.giveUpMs)
    // Trouble starts with the third status poll (two running intervals in) and ends at most one back-off after the limit.
    expect(elapsed).toBeLessThanOrEqual(DEFAULT_TIMING.giveUpMs + 2 * DEFAULT_TIMING.statusRunningMs + DEFAULT_TIMING.statusRetryCapMs)
    expect(sim.client.count('StopBuild')).toBe(0)
  })

  it('names expired credentials at once, with how long it watched', async () => {
    const expired = awsError('ExpiredTokenException', 400, 'The security token included in the request is expired')
    const sim = simulate(
      { streamAt: 0, endAt: 3_600_000, status: 'SUCCEEDED', lines: taskLines(0, 10, 100) },
      { statusFault: n => (n >= 3 ? expired : undefined) }
    )
    const error = (await watch(sim).catch((e: unknown) => e)) as WatchError
    expect(error.reason).toBe('credentials-expired')
    expect(error.watchedMs).toBeGreaterThan(0)
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

  it('does not wait forever for a log end that a stopped build never writes: the stream read to its end, once settled', async () => {
    const sim = simulate({ streamAt: 0, endAt: 4_000, status: 'STOPPED', lines: taskLines(0, 30, 100) })
    const { result, printed } = await watch(sim)
    expect(printed).toHaveLength(30)
    expect(result.logComplete).toBe(true)
    expect(sim.clock.now() - T0).toBeLessThanOrEqual(4_000 + DEFAULT_TIMING.statusRunningMs + DEFAULT_TIMING.drainGraceMaxMs)
  })

  it('stops watching (not the build) on a refusal that retrying cannot fix', async () => {
    const sim = simulate(
      { streamAt: 0, endAt: 3_000, status: 'SUCCEEDED', lines: [] },
      { statusFault: () => awsError('AccessDeniedException', 400, 'denied') }
    )
    const error = (await watch(sim).catch((e: unknown) => e)) as WatchError
    expect(error).toBeInstanceOf(WatchError)
    expect(error.reason).toBe('refused')
    expect(error.message).toMatch(/denied/)
  })

  it('stops at once when cancelled', async () => {
    const sim = simulate({ streamAt: 0, endAt: 60_000, status: 'SUCCEEDED', lines: taskLines(0, 10, 100) })
    const controller = new AbortController()
    controller.abort(new Error('cancelled'))
    await expect(watch(sim, controller.signal)).rejects.toThrow('cancelled')
  })
})

describe('watchBuild under real CloudWatch paging', () => {
  /** Partial pages of 250-300 events (drawn), a new token on every empty page at the live end. */
  function realPaging(sim: ReturnType<typeof simulate>): void {
    let n = 0
    sim.stream.pageEvents = () => 250 + ((n++ * 7919) % 51)
    sim.stream.newTokens = true
  }

  it('a burst of 6,000 lines in 3 s is read whole, soon, and the step ends soon after the build', async () => {
    const lines = [...taskLines(2_000, 6_000, 0.5), ...ending(5_100)]
    const sim = simulate({ streamAt: 0, endAt: 5_300, status: 'SUCCEEDED', lines, delay: i => 300 + ((i * 37) % 900) })
    realPaging(sim)
    const { result, printed, printedAt, warnings } = await watch(sim)
    expect(printed).toEqual(lines.map(([, text]) => text))
    expect(result.logComplete).toBe(true)
    expect(warnings).toEqual([])
    const lags = printedAt.map((at, i) => at - (T0 + (lines[i] as [number, string])[0])).sort((a, b) => a - b)
    expect(lags[Math.floor(lags.length / 2)]).toBeLessThanOrEqual(3_000)
    expect(sim.clock.now() - T0 - 5_300).toBeLessThanOrEqual(5_000)
  })

  it('a silent build with a new token on every empty page costs at most 20 GetLogEvents calls a minute', async () => {
    const lines = [...taskLines(1_000, 5, 100), ...taskLines(181_000, 5, 100), ...ending(182_000)]
    const sim = simulate({ streamAt: 0, endAt: 182_500, status: 'SUCCEEDED', lines })
    realPaging(sim)
    const { printed } = await watch(sim)
    expect(printed).toEqual(lines.map(([, text]) => text))
    const silent = sim.logTimes.filter(t => t >= 30_000 && t < 180_000).length
    expect(silent / 2.5).toBeLessThanOrEqual(20)
  })

  it('a log whose end never comes is cut at the drain limit, and says so (logComplete false)', async () => {
    const lines = [...taskLines(0, 20, 100)]
    const sim = simulate({ streamAt: 0, endAt: 3_000, status: 'SUCCEEDED', lines })
    realPaging(sim)
    const { result, printed } = await watch(sim)
    expect(printed).toHaveLength(20)
    expect(result.logComplete).toBe(false)
    expect(sim.clock.now() - T0).toBeLessThanOrEqual(3_000 + DEFAULT_TIMING.statusRunningMs + DEFAULT_TIMING.drainGraceMaxMs)
  })

  it('catching up keeps max-log-requests-per-minute and says that it holds the log back', async () => {
    const lines = [...taskLines(1_000, 3_000, 1), ...ending(5_000)]
    const sim = simulate({ streamAt: 0, endAt: 5_200, status: 'SUCCEEDED', lines })
    realPaging(sim)
    const notices: string[] = []
    const result = await watchBuild(
      { codebuild: sim.client.codebuild, logs: sim.client.logs, clock: sim.clock, random: () => 0.5 },
      { id: 'p:uuid', buildStatus: 'IN_PROGRESS', currentPhase: 'SUBMITTED' },
      { onNotice: m => notices.push(m) },
      { showLogs: true, maxLogRequestsPerMinute: 30 }
    )
    const gaps = sim.logTimes.slice(1).map((t, i) => t - (sim.logTimes[i] as number))
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(2_000)
    expect(notices.filter(n => n.includes('max-log-requests-per-minute (30) holds the log back'))).toHaveLength(1)
    expect(result.logEvents).toBe(3_005)
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

describe('the schedules, as policy: given what was observed, when is the next call', () => {
  const t = DEFAULT_TIMING
  const view = (v: Partial<StatusView> = {}): StatusView => ({ logsShown: true, streamOpen: true, queuedPolls: 0, ending: false, ...v })

  it('status: 2 s, 4 s, then 5 s while waiting for the log stream', () => {
    expect([0, 1, 2, 3].map(queuedPolls => statusDelay(t, view({ streamOpen: false, queuedPolls })))).toEqual([2_000, 4_000, 5_000, 5_000])
  })
  it('status: rare while the log shows the build running, every second once it is about to end, 5 s without logs', () => {
    expect(statusDelay(t, view())).toBe(12_000)
    expect(statusDelay(t, view({ ending: true }))).toBe(1_000)
    expect(statusDelay(t, view({ logsShown: false, streamOpen: false }))).toBe(5_000)
  })
  it('log: every second while lines flow and for five empty polls, then 2 s, then 5 s; 0.5 s once the build ended', () => {
    const after = (emptyPolls: number, v: Partial<LogView> = {}): number => logDelay(t, { ended: false, ending: false, emptyPolls, ...v })
    expect([0, 5, 6, 8, 9, 100].map(n => after(n))).toEqual([1_000, 1_000, 2_000, 2_000, 5_000, 5_000])
    expect(after(100, { ending: true })).toBe(1_000)
    expect(after(100, { ended: true })).toBe(500)
  })
  it('drain: the full grace when the agent logs its end; else the observed delay plus 1 s, within 1.5–15 s', () => {
    const endTime = new Date(100_000)
    const phases = [{ phaseType: 'BUILD' as const, phaseStatus: 'SUCCEEDED' as const }]
    expect(drainWindow(t, { buildStatus: 'SUCCEEDED', phases, endTime }, 100_500, 0)).toBe(15_000)
    expect(drainWindow(t, { buildStatus: 'STOPPED', endTime }, 100_500, 0)).toBe(1_500)
    expect(drainWindow(t, { buildStatus: 'STOPPED', endTime }, 100_500, 4_000)).toBe(4_500)
    expect(drainWindow(t, { buildStatus: 'FAULT', endTime }, 100_500, 60_000)).toBe(15_000)
  })
})

describe('watchBuild with max-log-requests-per-minute', () => {
  it('bounds the log calls, the drain after the end included, and still shows every line', async () => {
    const lines = [...taskLines(0, 300, 100), ...ending(30_000)]
    const sim = simulate({ streamAt: 0, endAt: 30_200, status: 'SUCCEEDED', lines })
    const printed: string[] = []
    await watchBuild(
      { codebuild: sim.client.codebuild, logs: sim.client.logs, clock: sim.clock, random: () => 0.5 },
      { id: 'p:uuid', buildStatus: 'IN_PROGRESS', currentPhase: 'SUBMITTED' },
      { onEvents: events => printed.push(...events.map(e => (e.message ?? '').replace(/\n$/, ''))) },
      { showLogs: true, maxLogRequestsPerMinute: 20 }
    )
    expect(printed).toEqual(lines.map(([, text]) => text))
    const gaps = sim.logTimes.slice(1).map((t, i) => t - (sim.logTimes[i] as number))
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(3_000)
  })
})
