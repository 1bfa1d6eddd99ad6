/**
 * The post step (src/action/post.ts) stops only the build of its own execution: by the id the main step saved, or
 * by the start token saved before StartBuild, matched exactly; with neither saved it does nothing.
 */
import type { CodeBuildClient } from '@aws-sdk/client-codebuild'
import { jest } from '@jest/globals'
import { run } from '../../src/action/post.js'
import { ManualClock } from '../fixtures/clock.js'
import { FakeClient } from '../fixtures/fake-aws.js'
import { captureStdout } from '../fixtures/stdout.js'

const OURS = '0123456789abcdef0123456789abcdef01234567'
/** Build ids of CodeBuild's shape (<project>:<uuid>): the post step uses no other. */
const ID = {
  ours: 'app:0a0a0a0a-0000-4000-8000-000000000001',
  legB: 'app:0b0b0b0b-0000-4000-8000-000000000002',
  upper: 'app:0c0c0c0c-0000-4000-8000-000000000003',
  prefix: 'app:0d0d0d0d-0000-4000-8000-000000000004'
}
const build = (id: string, token: string): Record<string, unknown> => ({
  id,
  buildStatus: 'IN_PROGRESS',
  environment: { environmentVariables: [{ name: 'TASK_RUN_TOKEN', value: token, type: 'PLAINTEXT' }] }
})
/** Another leg of the matrix, with a token that differs from ours only in case, or is ours cut short. */
const others = [build(ID.legB, 'f'.repeat(40)), build(ID.upper, OURS.toUpperCase()), build(ID.prefix, OURS.slice(0, 39))]

let stdout: string[]
const STATE = ['build-id', 'region', 'stop-on-cancel', 'project-name', 'start-token', 'settled']
beforeEach(() => {
  stdout = captureStdout()
})
afterEach(() => {
  jest.restoreAllMocks()
  process.exitCode = undefined
  for (const name of STATE) delete process.env[`STATE_${name}`]
})

async function post(state: Record<string, string>, builds: Array<Record<string, unknown>>): Promise<FakeClient> {
  for (const [name, value] of Object.entries({ region: 'us-east-1', 'stop-on-cancel': 'true', 'project-name': 'app', ...state }))
    process.env[`STATE_${name}`] = value
  const byId = new Map(builds.map(b => [b.id as string, b]))
  const client = new FakeClient({
    ListBuildsForProject: () => ({ ids: builds.map(b => b.id) }),
    BatchGetBuilds: (input: { ids: string[] }) => ({ builds: input.ids.map(id => byId.get(id)).filter(Boolean) }),
    StopBuild: (input: { id: string }) => ({ build: { ...byId.get(input.id), buildStatus: 'STOPPED' } })
  })
  await run({ clients: () => ({ codebuild: client as unknown as CodeBuildClient }), clock: new ManualClock(), signals: [] })
  return client
}

const stopped = (client: FakeClient): unknown[] => client.calls.filter(c => c.operation === 'StopBuild').map(c => c.input.id)

describe('the post step', () => {
  it('with only the start token saved (StartBuild never answered): stops the build carrying exactly that token', async () => {
    const client = await post({ 'start-token': OURS }, [...others, build(ID.ours, OURS)])
    expect(stopped(client)).toEqual([ID.ours])
    expect(stdout.join('')).toContain(`::warning::Stopped build ${ID.ours}: it was still running after the main step ended`)
  })

  it("never stops another execution's build, even one whose token is ours in another case or cut short", async () => {
    const client = await post({ 'start-token': OURS }, others)
    expect(stopped(client)).toEqual([])
    expect(stdout.join('')).toContain("No build carrying this step's start token was found: nothing to stop.")
  })

  it('with nothing saved: asks AWS nothing, says nothing', async () => {
    const client = await post({}, [...others, build(ID.ours, OURS)])
    expect(client.calls).toEqual([])
    expect(stdout.join('')).toBe('')
  })

  it("a saved build id that is not CodeBuild's is not used nor printed: the start token finds the build", async () => {
    const client = await post({ 'build-id': `${ID.ours}\n::error::forged`, 'start-token': OURS }, [...others, build(ID.ours, OURS)])
    expect(stopped(client)).toEqual([ID.ours])
    expect(stdout.join('')).not.toContain('forged')
  })

  it('stops its build to be safe when CodeBuild’s answer does not show it (a garbled or partial answer), and says so', async () => {
    const client = await post({ 'build-id': ID.ours, 'start-token': OURS }, others)
    expect(stopped(client)).toEqual([ID.ours])
    expect(stdout.join('')).toContain(
      `::warning::Stopped build ${ID.ours}: CodeBuild's answer did not show its state after the main step ended`
    )
  })

  it('with the build id saved: that build, by its id (no search)', async () => {
    const client = await post({ 'build-id': ID.ours, 'start-token': OURS }, [...others, build(ID.ours, OURS)])
    expect(client.calls.map(c => c.operation)).toEqual(['BatchGetBuilds', 'StopBuild'])
    expect(stopped(client)).toEqual([ID.ours])
  })
})
