/**
 * Network and AWS faults, end to end through the bundle on Node 24 against the stand-in: calls that never answer,
 * garbled and cut answers, an unreachable endpoint, lost StartBuild answers, expired credentials, hostile error
 * messages, watching that keeps failing, bounded waits, and the post step's own cancellation.
 * A fault in watching never stops the build: every test that has a healthy build asserts no StopBuild.
 */
import net from 'node:net'
import type { StandIn } from '../standin/index.js'
import { presets, taskLine } from '../standin/index.js'
import { POST } from './runner.js'
import { LONG_WAIT_TIME_SCALE, PROJECT, TIGHT_TIME_SCALE, afterVirtual, logLines, run, standIn, virtualMs } from './fixtures.js'
import type { E2ERun } from './fixtures.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

const shown = (data: string): string => data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
const failureOf = (r: E2ERun): string =>
  shown(
    r.commands
      .filter(c => c.command === 'error')
      .map(c => c.message)
      .join('\n')
  )

/** A healthy build: it succeeded, every line was shown once and in order, and the action never stopped it. */
function expectHealthy(r: E2ERun, st: StandIn): void {
  const builds = st.startedBuilds(PROJECT)
  expect(builds).toHaveLength(1)
  const [build] = builds
  expect(r.code).toBe(0)
  expect(build?.status).toBe('SUCCEEDED')
  expect(r.outputs['build-status']).toBe('SUCCEEDED')
  expect(r.streamed).toEqual(logLines(build))
  expect(st.callsOf('StopBuild')).toHaveLength(0)
}

/** Seconds between the build's end and the action's exit, on the stand-in's clock. */
function exitLagMs(st: StandIn, r: E2ERun): number {
  const build = st.startedBuilds(PROJECT)[0]
  return st.fromPerformanceNow(r.exitedAt) - (build?.endedAt ?? NaN)
}

describe('a call that never answers', () => {
  it('one hung GetLogEvents: abandoned and retried; every line once, in order; exit within 30 s of the build', async () => {
    // The third read is the drain after the build's end only if the second came before it: 0.6 s to spare in real
    // time, less the CPU time of the first calls times the clock's scale. Hence a slower clock for this one.
    s = await standIn([presets.success({ lines: 120, everyMs: 20 })], {
      faults: { GetLogEvents: { sequence: ['ok', 'ok', 'hang'] } },
      timeScale: TIGHT_TIME_SCALE
    })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expectHealthy(r, s)
    expect(s.callsOf('GetLogEvents').filter(c => c.injected === 'hang')).toHaveLength(1)
    expect(exitLagMs(s, r)).toBeLessThanOrEqual(30_000)
  }, 70_000)

  it('one hung BatchGetBuilds: abandoned and retried; the build is never stopped; exit within 30 s of the build', async () => {
    s = await standIn([presets.success({ lines: 60, everyMs: 20 })], { faults: { BatchGetBuilds: { sequence: ['ok', 'hang'] } } })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expectHealthy(r, s)
    expect(s.callsOf('BatchGetBuilds').filter(c => c.injected === 'hang')).toHaveLength(1)
    expect(exitLagMs(s, r)).toBeLessThanOrEqual(30_000)
  }, 70_000)
})

describe('garbled answers', () => {
  it('malformed and empty 200 answers to BatchGetBuilds are retried: the build is not stopped', async () => {
    s = await standIn([presets.success({ lines: 60, everyMs: 20 })], {
      faults: { BatchGetBuilds: { sequence: ['ok', 'garbled', 'empty', 'cut'] } }
    })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expectHealthy(r, s)
    expect(
      s
        .callsOf('BatchGetBuilds')
        .map(c => c.injected)
        .slice(0, 4)
    ).toEqual([undefined, 'garbled', 'empty', 'cut'])
  })

  it('malformed, cut and empty GetLogEvents pages are retried: every line, no advice about permissions', async () => {
    s = await standIn([presets.success({ lines: 351, everyMs: 5 })], {
      faults: { GetLogEvents: { sequence: ['ok', 'garbled', 'ok', 'cut', 'empty', 'garbled'] } }
    })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expectHealthy(r, s)
    expect(r.streamed.filter(l => l.startsWith('task line '))).toHaveLength(351)
    expect(r.stdout).not.toMatch(/logs:GetLogEvents/)
    expect(r.warnings).toEqual([])
  })
})

describe('an unreachable endpoint', () => {
  it('a region whose endpoint has no DNS name: fails within 60 s naming the region and host; nothing starts', async () => {
    const r = await run({ endpoint: 'http://codebuild.us-east-7.invalid' } as StandIn, { region: 'us-east-7' }, { timeoutMs: 90_000 })
    expect(r.code).toBe(1)
    expect(virtualMs(r.exitedAt - r.startedAt)).toBeLessThan(60_000)
    expect(failureOf(r)).toMatch(
      /Could not reach CodeBuild in region us-east-7 at codebuild\.us-east-7\.invalid: .*ENOTFOUND.*Nothing was started/
    )
    expect(r.state).toEqual({})
  }, 90_000)

  it('a refused connection: fails within 60 s naming the address', async () => {
    const port = await closedPort()
    const r = await run({ endpoint: `http://127.0.0.1:${port}` } as StandIn, {}, { timeoutMs: 90_000 })
    expect(r.code).toBe(1)
    expect(virtualMs(r.exitedAt - r.startedAt)).toBeLessThan(60_000)
    expect(failureOf(r)).toMatch(new RegExp(`Could not reach CodeBuild in region us-east-1 at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`))
  }, 90_000)
})

describe('StartBuild', () => {
  it('every answer lost for 4 minutes: retried with one token, then the build is found by its token and watched; one build', async () => {
    s = await standIn([presets.success({ lines: 20, everyMs: 5 })], {
      faults: { StartBuild: { lost: 1 } },
      timeScale: LONG_WAIT_TIME_SCALE
    })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    const starts = s.callsOf('StartBuild')
    expect(starts.length).toBeGreaterThan(4)
    expect(new Set(starts.map(c => c.request.idempotencyToken)).size).toBe(1)
    expectHealthy(r, s)
    expect(r.outputs['build-id']).toBe(s.startedBuilds(PROJECT)[0]?.id)
  }, 70_000)

  it('no answer and no build: the error says a build may have started and how to tell; nothing to stop', async () => {
    s = await standIn([presets.success()], { faults: { StartBuild: { reset: 1 } }, timeScale: LONG_WAIT_TIME_SCALE })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expect(r.code).toBe(1)
    expect(s.startedBuilds(PROJECT)).toHaveLength(0)
    expect(failureOf(r)).toMatch(
      /StartBuild for app-migrations got no usable answer .*no build carrying TASK_RUN_TOKEN=[0-9a-f]{40} was found: a build may have started/
    )
    expect(r.stdout).not.toMatch(/Unexpected error/)
  }, 70_000)

  it('a hung StartBuild honours SIGINT: the build it may have started is found by its token and stopped', async () => {
    s = await standIn([presets.longRunning({ runMs: 60_000 })], { faults: { StartBuild: { hang: 1 } } })
    const st = s
    let action: { kill?: (s: string) => void } | undefined
    let signalled = false
    // 200 ms after the first StartBuild arrived (a hung call is recorded on arrival).
    const off = st.onCall(call => {
      if (call.operation !== 'StartBuild' || signalled) return
      signalled = true
      afterVirtual(200, () => action?.kill?.('SIGINT'))
    })
    const r = await run(
      st,
      {},
      {
        timeoutMs: 30_000,
        onSpawn: child => (action = child as typeof action)
      }
    )
    off()
    expect(r.signal).toBeNull()
    expect(r.code).toBe(1)
    const [build] = st.startedBuilds(PROJECT)
    expect(st.callsOf('StopBuild').map(c => c.request.id)).toEqual([build?.id])
    expect(r.outputs['build-status']).toBe('STOPPED')
    expect(failureOf(r)).toMatch(/Stopped build .* because the workflow was cancelled/)
  }, 40_000)
})

describe('expired credentials while watching', () => {
  it('are named, with how long it watched and how to get longer sessions; no StopBuild; the post step stays quiet', async () => {
    s = await standIn([presets.longRunning({ runMs: 60_000 })])
    const st = s
    const r = await run(
      st,
      {},
      {
        timeoutMs: 40_000,
        onLine: line => {
          if (line.text === taskLine(3)) st.setFaults({ '*': { expiredFromMs: st.now() } })
        }
      }
    )
    expect(r.code).toBe(1)
    const message = failureOf(r)
    expect(message).toMatch(
      /The AWS credentials expired after \d+s of watching build app-migrations:[0-9a-f-]+ \(ExpiredTokenException: The security token included in the request is expired\)/
    )
    expect(message).toMatch(/The build goes on \(it is not stopped\): https:\/\//)
    expect(message).toMatch(/role-duration-seconds/)
    expect(st.callsOf('StopBuild')).toHaveLength(0)
    expect(r.outputs['build-status']).toBe('IN_PROGRESS')
    expect(r.state.settled).toBe('true')
    const post = await run(st, {}, { entry: POST, state: r.state })
    expect(post.code).toBe(0)
    expect(post.errors).toEqual([])
    expect(st.callsOf('StopBuild')).toHaveLength(0)
  }, 60_000)
})

describe('outside text in the action’s own lines', () => {
  it('an AWS error message with line breaks and workflow commands is shown flattened, never as a command', async () => {
    s = await standIn([presets.success({ lines: 100, everyMs: 30 })], {
      faults: { GetLogEvents: { sequence: ['ok', 'internal'], message: 'boom\n::error::pwned\n##[warning]also pwned' } }
    })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expectHealthy(r, s)
    expect(r.commands.filter(c => /pwned/.test(c.message))).toEqual([])
    const lines = r.stdout.split('\n').filter(l => /pwned/.test(l))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^CloudWatch Logs answered InternalFailure: boom ::error::pwned ##\[warning\]also pwned; retrying in \d+\.\d s/
    )
  })
})

describe('watching that keeps failing', () => {
  it('gives up after 5 minutes of failed status calls: says the build goes on, IN_PROGRESS, never stopped, post leaves it', async () => {
    s = await standIn([presets.longRunning({ runMs: 600_000, everyMs: 500 })], { timeScale: LONG_WAIT_TIME_SCALE })
    const st = s
    const r = await run(
      st,
      {},
      {
        timeoutMs: 60_000,
        onLine: line => {
          if (line.text === taskLine(1)) st.setFaults({ BatchGetBuilds: { internal: 1 } })
        }
      }
    )
    expect(r.code).toBe(1)
    const message = failureOf(r)
    expect(message).toMatch(
      /Gave up watching build app-migrations:[0-9a-f-]+: CodeBuild could not be asked for its status for 5m 0s \(last error: InternalFailure[^)]*\)/
    )
    expect(message).toMatch(/The build goes on \(it is not stopped\): https:\/\//)
    expect(r.outputs['build-status']).toBe('IN_PROGRESS')
    expect(st.callsOf('StopBuild')).toHaveLength(0)
    expect(st.startedBuilds(PROJECT)[0]?.status).toBe('IN_PROGRESS')
    const post = await run(st, {}, { entry: POST, state: r.state })
    expect(post.code).toBe(0)
    expect(st.callsOf('StopBuild')).toHaveLength(0)
  }, 70_000)
})

describe('every wait is bounded', () => {
  it('if-running: wait gives up after if-running-timeout-minutes, naming the build it waited for; nothing starts', async () => {
    s = await standIn([presets.success()], { timeScale: LONG_WAIT_TIME_SCALE }, { running: [{ startedAgoMs: 120_000 }] })
    const r = await run(s, { 'if-running-timeout-minutes': '1' }, { timeoutMs: 30_000 })
    expect(r.code).toBe(1)
    expect(failureOf(r)).toMatch(
      /Waited 1m 0s for another build of app-migrations to finish: build #\d+ app-migrations:[0-9a-f-]+ .*Nothing was started \(if-running-timeout-minutes\)/
    )
    expect(s.callsOf('StartBuild')).toHaveLength(0)
  }, 40_000)

  it('queued-timeout-minutes is sent as the build’s queued timeout', async () => {
    s = await standIn([presets.success({ lines: 5 })])
    const r = await run(s, { 'queued-timeout-minutes': '45' })
    expect(r.code).toBe(0)
    expect(s.callsOf('StartBuild')[0]?.request.queuedTimeoutInMinutesOverride).toBe(45)
  })

  it('refuses a queued timeout outside CodeBuild’s range before any call', async () => {
    s = await standIn([presets.success()])
    const r = await run(s, { 'queued-timeout-minutes': '481' })
    expect(r.code).toBe(1)
    expect(failureOf(r)).toBe("Input 'queued-timeout-minutes' must be a whole number of minutes from 5 to 480, got '481'")
    expect(s.calls).toHaveLength(0)
  })
})

describe('the post step under cancellation', () => {
  it('finishes its StopBuild when it receives SIGINT itself', async () => {
    s = await standIn([presets.longRunning({ runMs: 60_000 })], { faults: { StopBuild: { latencyMs: 1_500 } } })
    const st = s
    const main = await run(
      st,
      {},
      {
        timeoutMs: 30_000,
        onLine: (line, child) => {
          if (line.text === taskLine(2)) child.kill('SIGKILL')
        }
      }
    )
    expect(main.signal).toBe('SIGKILL')
    // The post step asks for the status, then sends StopBuild, which takes 1.5 s to answer: SIGINT lands meanwhile,
    // 300 ms after the status answer (a moment taken from the calls, as the post step's start-up is CPU time).
    let postChild: { kill?: (s: string) => void } | undefined
    const off = st.onCall(call => {
      if (call.operation === 'BatchGetBuilds' && postChild) afterVirtual(300, () => postChild?.kill?.('SIGINT'))
    })
    const post = await run(
      st,
      {},
      {
        entry: POST,
        state: main.state,
        timeoutMs: 20_000,
        onSpawn: child => (postChild = child as typeof postChild)
      }
    )
    off()
    expect(post.signal).toBeNull()
    expect(post.code).toBe(0)
    expect(post.stdout).toMatch(/Received SIGINT: finishing the attempt to stop the build first/)
    expect(post.warnings.join('\n')).toMatch(/Stopped build .*: it was still running after the main step ended/)
    expect(st.callsOf('StopBuild')).toHaveLength(1)
  }, 40_000)
})

async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>(resolve => server.close(() => resolve()))
  return port
}
