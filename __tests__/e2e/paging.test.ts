/**
 * The log under real CloudWatch paging (the stand-in's default): partial pages of 250-300 events while more is
 * readable, a new forward token on every empty page at the live end, an ingestion delay of 0.3-1.5 s. The bundle
 * must show every line once, in order, soon, end soon after the build, keep idle reads few, and say so when the log
 * could not be read to its end. `npm run bench` has the same scenarios in real time (`real paging: ...`).
 */
import type { StandIn } from '../standin/index.js'
import { DEFAULT_EXPORTED_VARIABLES_LAG_MS, presets, taskLineTexts, taskLines } from '../standin/index.js'
import { LONG_WAIT_TIME_SCALE, PROJECT, TIGHT_TIME_SCALE, expectHealthy, logLines, run, standIn } from '../fixtures/e2e.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

describe('real CloudWatch paging', () => {
  it('a burst on ~300-event pages is read whole and soon, and the step ends soon after the build', async () => {
    // 12,000 lines in 6 s, on a slower clock so that CPU time does not decide it.
    s = await standIn([presets.success({ output: [taskLines(12_000, { everyMs: 0.5 })] })], { timeScale: TIGHT_TIME_SCALE })
    const r = await run(s)
    expectHealthy(r, s)
    expect(r.streamed.filter(l => l.startsWith('task line'))).toEqual(taskLineTexts(12_000))
    const build = s.startedBuilds(PROJECT)[0]
    // Lag from the event's timestamp: the ingestion delay (0.3-1.5 s) included.
    const st = s
    const written = new Map((build?.events() ?? []).map(e => [e.text, st.fromEpoch(e.timestamp)]))
    const lags = r.lines.filter(l => written.has(l.text)).map(l => st.fromPerformanceNow(l.at) - (written.get(l.text) as number))
    expect(lags.length).toBeGreaterThanOrEqual(12_000)
    expect(median(lags)).toBeLessThanOrEqual(3_000)
    // Within 5 s of the moment the build's end and its outputs were both there (the stand-in reports the outputs
    // DEFAULT_EXPORTED_VARIABLES_LAG_MS after the end).
    expect(s.fromPerformanceNow(r.exitedAt) - (build?.endedAt as number)).toBeLessThanOrEqual(5_000 + DEFAULT_EXPORTED_VARIABLES_LAG_MS)
    const pages = s.callsOf('GetLogEvents').length
    expect(pages).toBeGreaterThanOrEqual(12_000 / 300)
    expect(r.warnings).toEqual([])
  })

  it('a silent build with a new token on every empty page: at most 20 GetLogEvents calls a minute', async () => {
    s = await standIn(
      [presets.success({ output: ['silence begins', { atMs: 180_000, text: 'silence ends' }, taskLines(5, { everyMs: 100 })] })],
      { timeScale: LONG_WAIT_TIME_SCALE }
    )
    const r = await run(s)
    expectHealthy(r, s)
    const build = s.startedBuilds(PROJECT)[0]
    const from = (build?.events().find(e => e.text === 'silence begins')?.readableAt as number) + 10_000
    const to = build?.events().find(e => e.text === 'silence ends')?.readableAt as number
    const calls = s.callsOf('GetLogEvents').filter(c => c.at >= from && c.at < to)
    // Each empty page came with a new token: the stand-in gives one on every empty read at the live end.
    const tokens = new Set(calls.map(c => c.request.nextToken))
    expect(tokens.size).toBe(calls.length)
    expect((calls.length / (to - from)) * 60_000).toBeLessThanOrEqual(20)
  })

  it('a log whose last lines never come within the drain limit: the step says so, with the lines shown and the console link', async () => {
    s = await standIn([presets.lateTail({ lines: 30, everyMs: 5, tailLines: 10, tailDelayMs: 600_000 })], {
      timeScale: LONG_WAIT_TIME_SCALE
    })
    const r = await run(s)
    expect(r.code).toBe(0)
    const build = s.startedBuilds(PROJECT)[0]
    const shown = logLines(build).length - 10
    expect(r.streamed).toEqual(logLines(build).slice(0, shown))
    const link = `https://us-east-1.console.aws.amazon.com/codesuite/codebuild/123456789012/projects/${PROJECT}/build/${encodeURIComponent(build?.id ?? '')}/log?region=us-east-1`
    expect(r.warnings.map(w => w.replace(/%25/g, '%'))).toEqual([
      `The build's log could not be read to its end: ${shown} lines were shown, the last ones may be missing (and from the diagnosis). The whole log: ${link}`
    ])
  })
})
