import { START_RETRY_WINDOW_MS, StartUnknownError, findStartedBuild, startBuild } from '../../../src/core/build/start.js'
import { ManualClock } from '../../fixtures/clock.js'
import { FakeClient, awsError } from '../../fixtures/fake-aws.js'

const TOKEN = 'a'.repeat(40)
const request = { projectName: 'db', idempotencyToken: TOKEN, environmentVariablesOverride: [{ name: 'TASK_RUN_TOKEN', value: TOKEN }] }
/** Build ids of CodeBuild's shape (<project>:<uuid>): StartBuild's answer and the lookup by token use no other. */
const OURS = 'db:0a0a0a0a-0000-4000-8000-000000000001'
const OTHER = 'db:0b0b0b0b-0000-4000-8000-000000000002'
const ours = {
  id: OURS,
  buildStatus: 'IN_PROGRESS',
  environment: { environmentVariables: [{ name: 'TASK_RUN_TOKEN', value: TOKEN, type: 'PLAINTEXT' }] }
}
const other = {
  id: OTHER,
  buildStatus: 'IN_PROGRESS',
  environment: { environmentVariables: [{ name: 'TASK_RUN_TOKEN', value: 'b'.repeat(40), type: 'PLAINTEXT' }] }
}
const lost = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })

describe('startBuild', () => {
  it('retries lost answers with the same request (and token) until one comes', async () => {
    let n = 0
    const client = new FakeClient({
      StartBuild: (input: { idempotencyToken: string }) => {
        if (n++ < 8) throw lost()
        return { build: { id: OURS, buildNumber: 1, idempotency: input.idempotencyToken } }
      }
    })
    const notices: string[] = []
    const build = await startBuild(
      { codebuild: client.codebuild, clock: new ManualClock(), notice: m => notices.push(m), random: () => 0.5 },
      request
    )
    expect(build.id).toBe(OURS)
    expect(client.count('StartBuild')).toBe(9)
    expect(new Set(client.calls.map(c => c.input.idempotencyToken))).toEqual(new Set([TOKEN]))
    expect(notices).toHaveLength(1)
    expect(notices[0]).toMatch(/same idempotency token/)
  })

  it('abandons a StartBuild that never answers at its time limit, and tries again', async () => {
    let n = 0
    const client = new FakeClient({ StartBuild: () => (n++ === 0 ? new Promise(() => undefined) : { build: { id: OURS } }) })
    const clock = new ManualClock()
    expect((await startBuild({ codebuild: client.codebuild, clock }, request)).id).toBe(OURS)
    expect(clock.now()).toBeGreaterThanOrEqual(30_000)
  })

  it('passes a plain refusal on at once: nothing can have started', async () => {
    const client = new FakeClient({
      StartBuild: () => {
        throw awsError('AccessDeniedException', 400, 'not authorized to perform: codebuild:StartBuild')
      }
    })
    await expect(startBuild({ codebuild: client.codebuild, clock: new ManualClock() }, request)).rejects.toThrow(/not authorized/)
    expect(client.count('StartBuild')).toBe(1)
    expect(client.count('ListBuildsForProject')).toBe(0)
  })

  it('after its window, finds the build by the token it carries, and never starts a second', async () => {
    const client = new FakeClient({
      StartBuild: () => {
        throw lost()
      },
      ListBuildsForProject: () => ({ ids: [OTHER, OURS] }),
      BatchGetBuilds: () => ({ builds: [other, ours] })
    })
    const clock = new ManualClock()
    const build = await startBuild({ codebuild: client.codebuild, clock }, request)
    expect(build.id).toBe(OURS)
    expect(clock.now()).toBeLessThanOrEqual(START_RETRY_WINDOW_MS + 30_000)
    expect(clock.now()).toBeLessThan(5 * 60_000)
  })

  it('says a build may have started when none carrying the token is found', async () => {
    const client = new FakeClient({
      StartBuild: () => {
        throw lost()
      },
      ListBuildsForProject: () => ({ ids: [OTHER] }),
      BatchGetBuilds: () => ({ builds: [other] })
    })
    const error = await startBuild({ codebuild: client.codebuild, clock: new ManualClock() }, request).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StartUnknownError)
    expect((error as Error).message).toMatch(new RegExp(`no build carrying TASK_RUN_TOKEN=${TOKEN} was found: a build may have started`))
  })

  it('a refusal after a lost answer (the first build took the only slot) is resolved by the lookup', async () => {
    let n = 0
    const client = new FakeClient({
      StartBuild: () => {
        if (n++ === 0) throw lost()
        throw awsError('AccountLimitExceededException', 400, 'Cannot have more than 1 builds in queue for the account')
      },
      ListBuildsForProject: () => ({ ids: [OURS] }),
      BatchGetBuilds: () => ({ builds: [ours] })
    })
    expect((await startBuild({ codebuild: client.codebuild, clock: new ManualClock() }, request)).id).toBe(OURS)
  })

  it("takes an answer whose build id is not CodeBuild's for a garbled one: tried again with the same token, never returned", async () => {
    let n = 0
    const client = new FakeClient({
      StartBuild: () => ({ build: { ...ours, id: n++ === 0 ? `${OURS}\n::error::forged` : OURS } })
    })
    const build = await startBuild({ codebuild: client.codebuild, clock: new ManualClock(), random: () => 0.5 }, request)
    expect(build.id).toBe(OURS)
    expect(client.count('StartBuild')).toBe(2)
    expect(new Set(client.calls.map(c => c.input.idempotencyToken))).toEqual(new Set([TOKEN]))
  })

  it('when every answer has a garbled id: the build is found by its token; with a garbled id there too, nothing is', async () => {
    const garbled = { ...ours, id: `${OURS}\n::error::forged` }
    const found = new FakeClient({
      StartBuild: () => ({ build: garbled }),
      ListBuildsForProject: () => ({ ids: [OURS] }),
      BatchGetBuilds: () => ({ builds: [ours] })
    })
    expect((await startBuild({ codebuild: found.codebuild, clock: new ManualClock() }, request)).id).toBe(OURS)
    const none = new FakeClient({
      StartBuild: () => ({ build: garbled }),
      ListBuildsForProject: () => ({ ids: [garbled.id] }),
      BatchGetBuilds: () => ({ builds: [garbled] })
    })
    const error = await startBuild({ codebuild: none.codebuild, clock: new ManualClock() }, request).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StartUnknownError)
    expect((error as Error).message).toMatch(
      /^StartBuild for db got no usable answer \(MalformedAnswerError: StartBuild answered with a build id that is not of the form <project-name>:<uuid>\), and no build carrying/
    )
    expect((error as Error).message).not.toContain('::error::')
  })

  it('stops trying at once when cancelled', async () => {
    const controller = new AbortController()
    const client = new FakeClient({
      StartBuild: () => {
        controller.abort(new Error('cancelled'))
        throw lost()
      }
    })
    await expect(startBuild({ codebuild: client.codebuild, clock: new ManualClock(), signal: controller.signal }, request)).rejects.toThrow(
      'cancelled'
    )
  })
})

describe('findStartedBuild', () => {
  it('never throws: a failing lookup finds nothing', async () => {
    const client = new FakeClient({
      ListBuildsForProject: () => {
        throw awsError('InternalFailure', 500)
      }
    })
    expect(await findStartedBuild(client.codebuild, 'db', TOKEN, new ManualClock())).toBeUndefined()
  })
})
