/**
 * The run written once (src/core/run/run.ts), as both front ends call it: it never throws, every end is an Outcome, the
 * front end's UI port is told what happened in order, and settings are named as the front end writes them.
 */
import type { AwsClients } from '../../../src/core/aws/clients.js'
import { FLAG_NAMES, INPUT_NAMES } from '../../../src/core/errors/errors.js'
import type { SettingNames } from '../../../src/core/errors/errors.js'
import { runTask, runTimeBudget } from '../../../src/core/run/run.js'
import { runIdentity } from '../../../src/action/run-identity.js'
import type { RunResult, RunUi } from '../../../src/core/run/run.js'
import { ManualClock } from '../../fixtures/clock.js'
import { FakeClient } from '../../fixtures/fake-aws.js'
import type { Handler } from '../../fixtures/fake-aws.js'
import { BASE_INPUTS, context, reader } from '../../fixtures/inputs.js'

const OTHER = 'app-migrations:0a0a0a0a-0000-4000-8000-000000000001'
const PROJECT = { name: 'app-migrations', vpcConfig: { vpcId: 'vpc-1' }, environment: { privilegedMode: true } }
const IDENTITY = runIdentity(
  { eventName: '', sha: '', ref: '', payload: {}, runId: 0, runAttempt: 0, actor: '', job: '', action: '', serverUrl: '', apiUrl: '' },
  undefined
)

async function run(
  inputs: Record<string, string>,
  o: { names?: SettingNames; handlers?: Record<string, Handler> } = {}
): Promise<RunResult & { seen: string[]; codebuild: FakeClient }> {
  const seen: string[] = []
  const codebuild = new FakeClient({
    ListBuildsForProject: () => ({ ids: [] }),
    BatchGetProjects: () => ({ projects: [PROJECT] }),
    ...o.handlers
  })
  const ui: RunUi = {
    say: m => seen.push(`say ${m}`),
    warn: m => seen.push(`warn ${m}`),
    progress: m => seen.push(`progress ${m}`),
    note: m => seen.push(`note ${m}`),
    onPlan: plan => void seen.push(`plan ${plan.task}`),
    onStarting: () => seen.push('starting'),
    onStarted: build => seen.push(`started ${build.id ?? ''}`),
    showDryRun: () => seen.push('dry run shown'),
    print: () => seen.push('print'),
    printEnd: () => seen.push('print end')
  }
  const clients = (): AwsClients => ({
    codebuild: codebuild.codebuild,
    logs: codebuild.logs,
    rds: () => Promise.reject(new Error('no RDS'))
  })
  const result = await runTask({
    read: reader({ ...BASE_INPUTS, ...inputs }),
    context: context(),
    names: o.names ?? INPUT_NAMES,
    clients,
    clock: new ManualClock(Date.UTC(2026, 11, 7)),
    identity: IDENTITY,
    ui,
    signal: new AbortController().signal
  })
  return { ...result, seen, codebuild }
}

describe('runTask', () => {
  it('a bad setting: not started, named as the front end writes it; nothing asked of AWS, nothing thrown', async () => {
    const cli = await run({ region: 'mars' }, { names: FLAG_NAMES })
    expect(cli.outcome).toEqual({
      kind: 'not-started',
      reason: 'input',
      message: "--region: must be an AWS region such as us-east-1, got 'mars'"
    })
    expect(cli.facts.plan).toBeUndefined()
    expect(cli.codebuild.calls).toEqual([])
    const action = await run({ region: 'mars' })
    expect(action.outcome).toMatchObject({ reason: 'input', message: "Input 'region' must be an AWS region such as us-east-1, got 'mars'" })
  })

  it('a dry run: shown, never started; the identity is known once the lookup passed', async () => {
    const r = await run({ 'dry-run': 'true' })
    expect(r.outcome.kind).toBe('dry-run')
    expect(r.seen).toEqual(['plan migrate', 'progress Checking project app-migrations…', 'dry run shown'])
    expect(r.facts.identity).toBe(IDENTITY)
    expect(r.codebuild.count('StartBuild')).toBe(0)
  })

  it('a busy project with if-running fail: a precondition, the setting as the CLI writes it', async () => {
    const r = await run(
      { 'if-running': 'fail' },
      {
        names: FLAG_NAMES,
        handlers: {
          ListBuildsForProject: () => ({ ids: [OTHER] }),
          BatchGetBuilds: () => ({ builds: [{ id: OTHER, buildNumber: 3, buildStatus: 'IN_PROGRESS' }] })
        }
      }
    )
    expect(r.outcome).toMatchObject({ kind: 'not-started', reason: 'precondition' })
    expect(r.outcome.kind === 'not-started' && r.outcome.message).toMatch(/Not starting \(--if-running=fail\)\.$/)
    expect(r.seen).not.toContain('starting')
    expect(r.codebuild.count('StartBuild')).toBe(0)
  })

  it('records the moments of the time budget on its clock: the start, StartBuild’s answer, the end of following', async () => {
    // CodeBuild's clock is hours away from the run's: only spans within each clock count.
    const aws = Date.UTC(2026, 0, 1)
    const id = 'app-migrations:0a0a0a0a-0000-4000-8000-000000000002'
    const phase = (phaseType: 'QUEUED' | 'PROVISIONING' | 'BUILD', from: number, to: number) => ({
      phaseType,
      phaseStatus: 'SUCCEEDED' as const,
      startTime: new Date(aws + from),
      endTime: new Date(aws + to)
    })
    const ended = {
      id,
      buildStatus: 'SUCCEEDED' as const,
      startTime: new Date(aws),
      endTime: new Date(aws + 600),
      phases: [phase('QUEUED', 0, 100), phase('PROVISIONING', 100, 400), phase('BUILD', 400, 550)]
    }
    const r = await run(
      { 'show-logs': 'false' },
      { handlers: { StartBuild: () => ({ build: { id, buildStatus: 'IN_PROGRESS' } }), BatchGetBuilds: () => ({ builds: [ended] }) } }
    )
    expect(r.outcome.kind).toBe('ended')
    const t0 = Date.UTC(2026, 11, 7)
    // The first status poll (1 s after the start) sees the end; with the log off there is nothing to drain.
    expect(r.facts.timing).toEqual({ stepStartedAt: t0, startAnsweredAt: t0, tailEndedAt: t0 + 1_000 })
    const budget = runTimeBudget(r)
    expect(budget?.parts.map(p => [p.id, p.ms])).toEqual([
      ['before', 0],
      ['queued', 100],
      ['provisioning', 300],
      ['task', 150],
      ['rest', 50],
      ['tail', 400]
    ])
    expect(budget?.totalMs).toBe(1_000)
  })
})
