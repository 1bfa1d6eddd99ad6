import type { Project } from '@aws-sdk/client-codebuild'
import { InputError } from '../../../src/core/plan/inputs.js'
import { PreflightError, checkProject, preflight } from '../../../src/core/build/preflight.js'
import { handleRunningBuilds } from '../../../src/core/build/running.js'
import { ManualClock } from '../../fixtures/clock.js'
import { FakeClient, awsError } from '../../fixtures/fake-aws.js'
import { planOf } from '../../fixtures/inputs.js'

const plan = planOf
const ENV = { type: 'LINUX_CONTAINER', image: 'aws/codebuild/standard:7.0', computeType: 'BUILD_GENERAL1_SMALL' } as const
const goodProject: Project = {
  name: 'app-migrations',
  vpcConfig: { vpcId: 'vpc-1', subnets: ['s'], securityGroupIds: ['sg'] },
  environment: { ...ENV, privilegedMode: true, environmentVariables: [] }
}

describe('preflight', () => {
  it('fails for an unknown project, naming it and the region', async () => {
    const client = new FakeClient({ BatchGetProjects: () => ({ projects: [], projectsNotFound: ['app-migrations'] }) })
    await expect(preflight(client.codebuild, plan(), new ManualClock())).rejects.toThrow(
      new PreflightError(
        "CodeBuild project 'app-migrations' was not found in region us-east-1. Check project-name, region and the account of the credentials."
      )
    )
  })
  it('passes a well-configured project without warnings', async () => {
    const client = new FakeClient({ BatchGetProjects: () => ({ projects: [goodProject] }) })
    expect(await preflight(client.codebuild, plan(), new ManualClock())).toEqual({ project: goodProject, warnings: [] })
  })
  it('fails fast, naming the region and host, when the endpoint cannot be reached', async () => {
    const unreachable = Object.assign(new Error('getaddrinfo ENOTFOUND codebuild.us-east-7.amazonaws.com'), {
      code: 'ENOTFOUND',
      hostname: 'codebuild.us-east-7.amazonaws.com'
    })
    const client = new FakeClient({
      BatchGetProjects: () => {
        throw unreachable
      }
    })
    await expect(preflight(client.codebuild, plan({ region: 'us-east-7' }), new ManualClock())).rejects.toThrow(
      /Could not reach CodeBuild in region us-east-7 at codebuild\.us-east-7\.amazonaws\.com: .*ENOTFOUND.*Nothing was started/
    )
  })
  it('names expired credentials before anything starts', async () => {
    const client = new FakeClient({
      BatchGetProjects: () => {
        throw awsError('ExpiredTokenException', 400, 'The security token included in the request is expired')
      }
    })
    await expect(preflight(client.codebuild, plan(), new ManualClock())).rejects.toThrow(/credentials have expired/)
  })
  it('warns and goes on when the lookup is denied', async () => {
    const client = new FakeClient({
      BatchGetProjects: () => {
        throw awsError('AccessDeniedException', 400, 'not authorized')
      }
    })
    const result = await preflight(client.codebuild, plan(), new ManualClock())
    expect(result.warnings[0]).toMatch(/Could not look up project 'app-migrations'.*codebuild:BatchGetProjects/)
  })
  describe('fails closed when the lookup fails and variables could replace the project’s secrets', () => {
    const failing = (error: Error) =>
      new FakeClient({
        BatchGetProjects: () => {
          throw error
        }
      }).codebuild
    it.each([
      ['denied', awsError('AccessDeniedException', 400, 'not authorized')],
      ['throttled past the retries', awsError('ThrottlingException', 400, 'Rate exceeded')],
      ['a 500', awsError('InternalFailure', 500, 'internal')]
    ])('%s: nothing starts, the error names the inputs and the way out', async (_, error) => {
      const smuggled = plan({ 'env-vars': 'NOTE=x\nDATABASE_URL=postgres://u:p@attacker.example/db', 'secret-env-vars': 'API_KEY=app/key' })
      await expect(preflight(failing(error), smuggled, new ManualClock())).rejects.toThrow(
        new RegExp(
          "^Could not look up project 'app-migrations' \\(.*\\): without it nothing can check that env-vars, secret-env-vars do not replace a variable the project reads from Secrets Manager or Parameter Store \\(such as DATABASE_URL\\), so nothing was started\\. Allow codebuild:BatchGetProjects, or set project-lookup: optional"
        )
      )
    })
    it('project-lookup: optional starts with a warning', async () => {
      const result = await preflight(
        failing(awsError('AccessDeniedException', 400, 'not authorized')),
        plan({ 'env-vars': 'NOTE=x', 'project-lookup': 'optional' }),
        new ManualClock()
      )
      expect(result.warnings).toEqual([
        expect.stringMatching(/^Could not look up project 'app-migrations' .*; starting without the project's checks/)
      ])
    })
    it('refuses a project-lookup that is neither required nor optional', () => {
      expect(() => plan({ 'project-lookup': 'off' })).toThrow(/^Input 'project-lookup' /)
    })
  })
  it('warns about a project outside any VPC and about Docker without privileged mode', () => {
    const warnings = checkProject({ name: 'app-migrations', environment: { ...ENV, privilegedMode: false } }, plan())
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toMatch(/no VPC configuration.*private subnets/)
    expect(warnings[1]).toMatch(/not privileged.*Cannot connect to the Docker daemon.*privilegedMode/)
  })
  it('needs an image from the input or the project', () => {
    expect(() => checkProject(goodProject, plan({ 'image-uri': '' }))).toThrow(InputError)
    expect(() =>
      checkProject(
        {
          ...goodProject,
          environment: { ...ENV, privilegedMode: true, environmentVariables: [{ name: 'IMAGE_URI', value: 'r.example.com/a:1' }] }
        },
        plan({ 'image-uri': '' })
      )
    ).not.toThrow()
  })
})

describe('preflight: variables the project reads from Secrets Manager or Parameter Store', () => {
  const project: Project = {
    ...goodProject,
    environment: {
      ...ENV,
      privilegedMode: true,
      environmentVariables: [
        { name: 'DATABASE_URL', value: 'prod/db', type: 'SECRETS_MANAGER' },
        { name: 'FLAGS', value: '/prod/flags', type: 'PARAMETER_STORE' },
        { name: 'LOG_LEVEL', value: 'info', type: 'PLAINTEXT' }
      ]
    }
  }
  it.each([
    [
      { 'env-vars': 'DATABASE_URL=postgres://elsewhere' },
      /^Input 'env-vars' names DATABASE_URL, which project 'app-migrations' reads from Secrets Manager: it would replace the project's value/
    ],
    [
      { 'secret-env-vars': 'DATABASE_URL=other/db' },
      /^Input 'secret-env-vars' names DATABASE_URL, which project 'app-migrations' reads from Secrets Manager/
    ],
    [{ 'env-vars': 'FLAGS=all' }, /^Input 'env-vars' names FLAGS, which project 'app-migrations' reads from Parameter Store/]
  ])('%j is refused', (inputs, message) => {
    expect(() => checkProject(project, plan(inputs))).toThrow(InputError)
    expect(() => checkProject(project, plan(inputs))).toThrow(message)
  })
  it('a plaintext variable of the project may be overridden', () => {
    expect(checkProject(project, plan({ 'env-vars': 'LOG_LEVEL=debug' }))).toEqual([])
  })
})

describe('handleRunningBuilds', () => {
  /** Build ids of CodeBuild's shape (<project>:<uuid>): a running build's id is printed and linked. */
  const OTHER = 'app-migrations:0a0a0a0a-0000-4000-8000-000000000001'
  const OLD = 'app-migrations:0b0b0b0b-0000-4000-8000-000000000002'
  const running = (id: string) => ({
    id,
    buildNumber: 3,
    buildStatus: 'IN_PROGRESS',
    startTime: new Date(0),
    arn: `arn:aws:codebuild:us-east-1:123456789012:build/${id}`
  })
  function client(busyPolls: number) {
    let polls = 0
    return new FakeClient({
      ListBuildsForProject: () => ({ ids: [OTHER, OLD] }),
      BatchGetBuilds: () => ({
        builds: [polls++ < busyPolls ? running(OTHER) : { id: OTHER, buildStatus: 'SUCCEEDED' }, { id: OLD, buildStatus: 'FAILED' }]
      })
    })
  }
  const options = (c: FakeClient, mode: 'wait' | 'fail' | 'start', notices: string[], clock = new ManualClock(0)) => ({
    codebuild: c.codebuild,
    clock,
    projectName: 'app-migrations',
    region: 'us-east-1',
    mode,
    timeoutMs: 30 * 60_000,
    notice: (m: string) => notices.push(m)
  })

  it('returns at once when nothing runs', async () => {
    const c = client(0)
    await handleRunningBuilds(options(c, 'fail', []))
    expect(c.calls[0]?.input).toMatchObject({ projectName: 'app-migrations', sortOrder: 'DESCENDING' })
  })
  it('waits for a running build, saying which and for how long', async () => {
    const notices: string[] = []
    const clock = new ManualClock(120_000)
    await handleRunningBuilds(options(client(7), 'wait', notices, clock))
    // Seven pauses of 10 s (each look is also given a time limit, which never fires here).
    expect(clock.now() - 120_000).toBe(70_000)
    expect(notices.length).toBe(3)
    expect(notices[0]).toMatch(
      /Waiting for another build of app-migrations to finish: build #3 app-migrations:0a0a0a0a-0000-4000-8000-000000000001 \(in progress for 2m 0s, https:\/\/us-east-1\.console/
    )
  })
  it('fails with the running build’s id and link', async () => {
    await expect(handleRunningBuilds(options(client(1), 'fail', []))).rejects.toThrow(
      /Another build of app-migrations is in progress: build #3 app-migrations:0a0a0a0a-0000-4000-8000-000000000001 .*codebuild\/123456789012\/projects\/app-migrations\/build\/app-migrations%3A0a0a0a0a-0000-4000-8000-000000000001.*Not starting \(if-running: fail\)/
    )
  })
  it('takes a running build with a garbled id for a garbled answer: looked at again, the id never printed', async () => {
    let n = 0
    const c = new FakeClient({
      ListBuildsForProject: () => ({ ids: [OTHER] }),
      BatchGetBuilds: () => ({ builds: [running(n++ === 0 ? `${OTHER}\n::error::forged` : OTHER)] })
    })
    const error = await handleRunningBuilds(options(c, 'fail', [])).catch((e: unknown) => e)
    expect((error as Error).message).toContain(`Another build of app-migrations is in progress: build #3 ${OTHER} (in progress`)
    expect((error as Error).message).not.toContain('::error::')
    expect(c.count('BatchGetBuilds')).toBe(2)
  })
  it('starts anyway with a notice', async () => {
    const notices: string[] = []
    await handleRunningBuilds(options(client(1), 'start', notices))
    expect(notices[0]).toMatch(/Starting anyway/)
  })
  it('rides out throttling', async () => {
    let n = 0
    const c = new FakeClient({
      ListBuildsForProject: () => {
        if (n++ < 2) throw awsError('ThrottlingException', 400, 'Rate exceeded')
        return { ids: [] }
      }
    })
    const clock = new ManualClock(0)
    await handleRunningBuilds(options(c, 'wait', [], clock))
    expect(clock.sleeps.filter(ms => ms < 30_000)).toHaveLength(2)
  })
  it('waits no longer than its limit, then fails naming the build it waited for', async () => {
    const clock = new ManualClock(0)
    const started = clock.now()
    await expect(handleRunningBuilds({ ...options(client(1_000), 'wait', [], clock), timeoutMs: 5 * 60_000 })).rejects.toThrow(
      /Waited 5m 0s for another build of app-migrations to finish: build #3 app-migrations:0a0a0a0a-0000-4000-8000-000000000001 .*Nothing was started \(if-running-timeout-minutes\)/
    )
    expect(clock.now() - started).toBe(5 * 60_000)
  })
  it('gives up on a look that never answers at its time limit, and keeps waiting within its own', async () => {
    let n = 0
    const c = new FakeClient({
      ListBuildsForProject: () => (n++ === 0 ? new Promise(() => undefined) : { ids: [] })
    })
    const clock = new ManualClock(0)
    await handleRunningBuilds(options(c, 'wait', [], clock))
    expect(c.count('ListBuildsForProject')).toBe(2)
    expect(clock.now()).toBeGreaterThanOrEqual(30_000)
  })
})
