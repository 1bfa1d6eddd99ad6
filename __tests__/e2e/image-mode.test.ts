/**
 * Image mode (run-in: build-environment) and fleets, end to end: the bundle against the stand-in, which checks the
 * overrides as CodeBuild documents them. Each mode's StartBuild request, with today's guarantees: every line once
 * and in order, the right conclusion, the build stopped on a cancel, the variables contained; refusals before
 * anything starts in AWS.
 */
import { BatchGetFleetsCommand, CodeBuildClient } from '@aws-sdk/client-codebuild'
import type { BuildScript, StandIn } from '../standin/index.js'
import { taskLine, taskLines } from '../standin/index.js'
import { IMAGE, PROJECT, envOf, expectHealthy, failureOf, logLines, run, standIn } from '../fixtures/e2e.js'
import { readWorkflowLog } from '../fixtures/workflow.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

/** The image-mode buildspec's task command: the stand-in attaches the task's output to it. */
const EXEC = /exec "\$@"/
const imageTask = (lines: number, extra: Partial<NonNullable<BuildScript['build']>[number]> = {}): BuildScript => ({
  label: 'image mode task',
  build: [{ command: EXEC, output: [taskLines(lines, { everyMs: 5 })], ...extra }]
})
/** The template's image-mode project: unprivileged, its service role pulling only from app-backend. */
const IMAGE_PROJECT = { privilegedMode: false, pullRepositories: ['app-backend'] }
const IMAGE_MODE = { 'run-in': 'build-environment', command: '/app/bin/migrate up --to "0042 final"', 'env-vars': 'LOG_LEVEL=debug' }
const FLEETS = [
  { name: 'migrations', baseCapacity: 1, overflowBehavior: 'QUEUE' as const },
  { name: 'ec2-fleet', environmentType: 'LINUX_EC2', overflowBehavior: 'ON_DEMAND' as const },
  { name: 'creating', status: 'CREATING' as const }
]

describe('image mode', () => {
  it('runs the task in the image, unprivileged, pulled with the service role: every line, SUCCEEDED, no Docker', async () => {
    s = await standIn([imageTask(120)], {}, IMAGE_PROJECT)
    const r = await run(s, IMAGE_MODE)
    expectHealthy(r, s)
    expect(r.warnings).toEqual([])
    const [start] = s.callsOf('StartBuild')
    expect(start?.request).toMatchObject({
      projectName: PROJECT,
      imageOverride: IMAGE,
      imagePullCredentialsTypeOverride: 'SERVICE_ROLE',
      privilegedModeOverride: false
    })
    expect(start?.request).not.toHaveProperty('fleetOverride')
    expect(start?.request.buildspecOverride).not.toMatch(/\bdocker\b/)
    expect(start?.request.buildspecOverride).toMatch(/^ {2}shell: \/bin\/sh$/m)
    // The variables travel as in container mode: carried names, the command's words quoted.
    expect(envOf(start)).toMatchObject({
      TASK_ARGV: `'/app/bin/migrate' 'up' '--to' '0042 final'`,
      TASK_ENV_NAMES: 'LOG_LEVEL',
      CBVT_VAR_LOG_LEVEL: 'debug'
    })
    expect(envOf(start)).not.toHaveProperty('LOG_LEVEL')
    const [build] = s.startedBuilds(PROJECT)
    expect(build?.snapshot()).toMatchObject({
      environment: { image: IMAGE, privilegedMode: false, imagePullCredentialsType: 'SERVICE_ROLE' }
    })
    expect(r.outputs['task-exit-code']).toBe('0')
  })

  it('fails the step with the task’s exit status, every line still streamed', async () => {
    s = await standIn([imageTask(30, { exitStatus: 3 })], {}, IMAGE_PROJECT)
    const r = await run(s, IMAGE_MODE)
    expect(r.code).toBe(1)
    const [build] = s.startedBuilds(PROJECT)
    expect(r.streamed).toEqual(logLines(build))
    expect(r.outputs['build-status']).toBe('FAILED')
    expect(r.outputs['task-exit-code']).toBe('3')
    expect(r.errors[0]).toMatch(
      /ended FAILED in phase BUILD: COMMAND_EXECUTION_ERROR: Error while executing command: .*exec "\$@".*exit status 3/
    )
  })

  it('a pull refused to the service role: PROVISIONING fails and the diagnosis names the role and the permissions', async () => {
    s = await standIn([imageTask(5)], {}, { privilegedMode: false, pullRepositories: ['other-app'] })
    const r = await run(s, IMAGE_MODE)
    expect(r.code).toBe(1)
    expect(r.outputs['build-status']).toBe('FAILED')
    const text = failureOf(r)
    expect(text).toMatch(/ended FAILED in phase PROVISIONING: CLIENT_ERROR: BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE/)
    expect(text).toMatch(/Likely cause: CodeBuild could not pull the image as the build environment/)
    expect(text).toMatch(/ecr:BatchGetImage/)
  })

  it('refuses a missing command before anything is asked of AWS', async () => {
    s = await standIn([imageTask(5)], {}, IMAGE_PROJECT)
    const r = await run(s, { 'run-in': 'build-environment' })
    expect(r.code).toBe(1)
    expect(failureOf(r)).toMatch(/'command' is required with run-in: build-environment/)
    expect(s.calls).toEqual([])
  })

  it('is stopped when the workflow is cancelled', async () => {
    s = await standIn([imageTask(1_000, { durationMs: 60_000 })], {}, IMAGE_PROJECT)
    const st = s
    let sent = false
    const r = await run(st, IMAGE_MODE, {
      timeoutMs: 30_000,
      onLine: (line, child) => {
        if (!sent && line.text === taskLine(2)) {
          sent = true
          child.kill('SIGINT')
        }
      }
    })
    expect(sent).toBe(true)
    expect(r.code).toBe(1)
    const [build] = st.startedBuilds(PROJECT)
    expect(st.callsOf('StopBuild').map(c => c.request.id)).toEqual([build?.id])
    await st.waitForEnd(build as NonNullable<typeof build>)
    expect(build?.status).toBe('STOPPED')
  }, 40_000)
})

describe('fleets', () => {
  it('image mode on a container fleet named by name: looked up, sent by ARN, summarised, every line', async () => {
    s = await standIn([imageTask(60)], { fleets: FLEETS }, IMAGE_PROJECT)
    const r = await run(s, { ...IMAGE_MODE, fleet: 'migrations' })
    expectHealthy(r, s)
    expect(s.callsOf('BatchGetFleets').map(c => c.request.names)).toEqual([['migrations']])
    const arn =
      s.callsOf('BatchGetFleets')[0]?.status === 200
        ? (s.startedBuilds(PROJECT)[0]?.snapshot() as { environment: { fleet: { fleetArn: string } } }).environment.fleet.fleetArn
        : ''
    expect(arn).toMatch(/^arn:aws:codebuild:us-east-1:123456789012:fleet\/migrations:/)
    expect(s.callsOf('StartBuild')[0]?.request).toMatchObject({ fleetOverride: { fleetArn: arn }, imageOverride: IMAGE })
    expect(r.stdout).toContain(
      'Fleet migrations: ACTIVE, LINUX_CONTAINER BUILD_GENERAL1_SMALL, base capacity 1; beyond it builds wait in the queue for an instance.'
    )
  })

  it('container mode on a Linux EC2 fleet: [Instance] lines, every one streamed, no image override', async () => {
    s = await standIn([{ label: 'on ec2', build: [{ command: /docker run/, output: [taskLines(40, { everyMs: 5 })] }] }], {
      fleets: FLEETS
    })
    const r = await run(s, { fleet: 'ec2-fleet' })
    expectHealthy(r, s)
    const [build] = s.startedBuilds(PROJECT)
    expect(logLines(build).some(l => l.startsWith('[Instance] '))).toBe(true)
    const request = s.callsOf('StartBuild')[0]?.request
    expect(request).toHaveProperty('fleetOverride')
    expect(request).not.toHaveProperty('imageOverride')
    expect(request).not.toHaveProperty('privilegedModeOverride')
  })

  it('refuses image mode on an EC2 fleet, a fleet not active and an unknown fleet before StartBuild, with one error each', async () => {
    s = await standIn([imageTask(5)], { fleets: FLEETS }, IMAGE_PROJECT)
    const st = s
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ ...IMAGE_MODE, fleet: 'ec2-fleet' }, /has environment type LINUX_EC2, which run-in: build-environment does not support/],
      [{ fleet: 'creating' }, /Fleet 'creating' is CREATING, not ACTIVE: it cannot run the build/],
      [{ fleet: 'nope' }, /CodeBuild fleet 'nope' was not found in region us-east-1/]
    ]
    const runs = await Promise.all(cases.map(([inputs]) => run(st, inputs)))
    runs.forEach((r, i) => {
      expect(r.code).toBe(1)
      expect(failureOf(r)).toMatch(cases[i]?.[1] as RegExp)
      expect(r.errors).toHaveLength(1)
    })
    expect(st.callsOf('StartBuild')).toEqual([])
  })

  it('a fleet name that cannot be looked up starts nothing; an ARN starts unchecked, with a warning', async () => {
    s = await standIn([imageTask(5)], { fleets: FLEETS }, IMAGE_PROJECT)
    const arn = await fleetArnOf(s, 'migrations')
    s.setFaults({ BatchGetFleets: { internal: 1 } })
    const byName = await run(s, { fleet: 'migrations' })
    expect(byName.code).toBe(1)
    expect(failureOf(byName)).toMatch(/only the lookup gives its ARN, so nothing was started. Allow codebuild:BatchGetFleets/)
    expect(s.callsOf('StartBuild')).toEqual([])
    const byArn = await run(s, { fleet: arn })
    expect(byArn.code).toBe(0)
    expect(byArn.warnings.join('\n')).toMatch(/Could not look up fleet 'migrations' .*starting on it without the fleet's checks/)
    expect(s.callsOf('StartBuild')[0]?.request).toMatchObject({ fleetOverride: { fleetArn: arn } })
  })
})

/** A fleet's ARN, as BatchGetFleets gives it. */
async function fleetArnOf(st: StandIn, name: string): Promise<string> {
  const client = new CodeBuildClient({ endpoint: st.endpoint, region: 'us-east-1', credentials: st.credentials })
  const arn = (await client.send(new BatchGetFleetsCommand({ names: [name] }))).fleets?.[0]?.arn ?? ''
  client.destroy()
  return arn
}

describe('dry run', () => {
  it('prints the exact request of each mode and starts nothing', async () => {
    s = await standIn([imageTask(5)], { fleets: FLEETS }, IMAGE_PROJECT)
    const st = s
    const modes: Array<[string, Record<string, string>]> = [
      ['container mode', {}],
      ['image mode', IMAGE_MODE],
      ['image mode on a fleet', { ...IMAGE_MODE, fleet: 'migrations' }]
    ]
    const runs = await Promise.all(modes.map(([, inputs]) => run(st, { ...inputs, 'dry-run': 'true' })))
    runs.forEach((r, i) => {
      const [name, inputs] = modes[i] as [string, Record<string, string>]
      expect(r.code).toBe(0)
      // As the workflow log shows it: printed with commands off, so plain text.
      const lines = readWorkflowLog(r.stdout).text
      const at = lines.findIndex(l => l.startsWith('Dry run: nothing is started. The StartBuild request that would be sent to us-east-1:'))
      const json = lines.slice(at + 1, lines.indexOf('}', at) + 1).join('\n')
      const shown = JSON.parse(json) as Record<string, unknown>
      if ('run-in' in inputs)
        expect(shown).toMatchObject({
          imageOverride: IMAGE,
          imagePullCredentialsTypeOverride: 'SERVICE_ROLE',
          privilegedModeOverride: false
        })
      else expect(shown).not.toHaveProperty('imageOverride')
      if ('fleet' in inputs)
        expect(shown.fleetOverride).toMatchObject({ fleetArn: expect.stringMatching(/:fleet\/migrations:/) as unknown })
      else expect(shown).not.toHaveProperty('fleetOverride')
      if (process.env.SHOW_DRY_RUN) console.log(`${name}:\n${json}`)
    })
    expect(st.callsOf('StartBuild')).toEqual([])
  })
})
