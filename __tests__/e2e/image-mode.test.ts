/**
 * Image mode (run-in: build-environment) and fleets, end to end: the bundle against the stand-in, which checks the
 * overrides as CodeBuild documents them. Each mode's StartBuild request, with today's guarantees: every line once
 * and in order, the right conclusion, the build stopped on a cancel, the variables contained; refusals before
 * anything starts in AWS. Task outputs and the plan task in image mode run the real buildspec (fixtures/real-build.ts,
 * under /bin/sh) with a real task on this machine.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BatchGetFleetsCommand, CodeBuildClient } from '@aws-sdk/client-codebuild'
import type { BuildScript, StandIn } from '../standin/index.js'
import { taskLine, taskLines } from '../standin/index.js'
import { IMAGE, PROJECT, TIGHT_TIME_SCALE, envOf, expectHealthy, failureOf, logLines, run, standIn } from '../fixtures/e2e.js'
import type { HostRun } from '../fixtures/build-host.js'
import { realBuild } from '../fixtures/real-build.js'
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

/**
 * The task of the real image-mode builds: a POSIX script, as a recipe's would be. `plan` reports its pending list;
 * `migrate` applies only the approved plan (the digest of its own list, computed as the action does), and reports
 * how many it applied. It prints what it was given.
 */
const TASK_SCRIPT = `printf 'task %s: RUN_MIGRATIONS=%s RUN_SEED=%s APPROVED_PLAN_DIGEST=%s\\n' "$TASK" "$RUN_MIGRATIONS" "$RUN_SEED" "\${APPROVED_PLAN_DIGEST:-unset}"
list='0001_create_users\\tcreate users\\tc1\\n0002_add_index\\t\\t\\n'
digest="sha256:$(printf "$list" | sha256sum | cut -d' ' -f1)"
if [ "$TASK" = plan ]; then
  echo 'pending=[{"id":"0001_create_users","name":"create users","checksum":"c1"},{"id":"0002_add_index"}]' >> "$TASK_OUTPUT"
  exit 0
fi
[ "\${APPROVED_PLAN_DIGEST:-}" = "$digest" ] || { echo "not the approved plan: $digest" >&2; exit 1; }
printf '%s\\n' 'applied-count=2' 'notes<<EOF' '::error::not a command' '<img src=x>' 'EOF' >> "$TASK_OUTPUT"
`
const PENDING_DIGEST = `sha256:${createHash('sha256').update('0001_create_users\tcreate users\tc1\n0002_add_index\t\t\n').digest('hex')}`
const HEAD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678'

describe('task outputs and the plan task in image mode (the real buildspec under /bin/sh)', () => {
  const hostRuns: HostRun[] = []
  afterEach(() => {
    hostRuns.length = 0
  })
  /** A stand-in whose image-mode builds really run; the real build blocks StartBuild, so a slower clock. */
  const realImageMode = (): Promise<StandIn> =>
    standIn(
      [],
      { timeScale: TIGHT_TIME_SCALE },
      { ...IMAGE_PROJECT, defaultBuild: realBuild({ images: {}, secrets: {}, onRun: r => hostRuns.push(r) }) }
    )

  it('plan on a pull request lists the pending migrations; migrate with its digest applies them and reports its outputs', async () => {
    s = await realImageMode()
    const dir = mkdtempSync(path.join(os.tmpdir(), 'image-task-'))
    const script = path.join(dir, 'task.sh')
    writeFileSync(script, TASK_SCRIPT)
    const event = path.join(dir, 'event.json')
    writeFileSync(event, JSON.stringify({ action: 'synchronize', number: 7, pull_request: { number: 7, head: { sha: HEAD } } }))
    const inputs = { 'run-in': 'build-environment', command: `/bin/sh ${script}` }
    const plan = await run(
      s,
      { ...inputs, task: 'plan', 'github-token': 'ghs_16C7e42F292c6912E7710c838347Ae178B4a' },
      {
        timeScale: TIGHT_TIME_SCALE,
        env: {
          GITHUB_EVENT_NAME: 'pull_request',
          GITHUB_EVENT_PATH: event,
          GITHUB_API_URL: s.endpoint,
          GITHUB_SERVER_URL: 'https://github.com',
          GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/plan.yml@refs/pull/7/merge'
        }
      }
    )
    expect(plan.errors).toEqual([])
    expect(plan.code).toBe(0)
    expect(s.callsOf('StartBuild')[0]?.request).toMatchObject({ imageOverride: IMAGE, privilegedModeOverride: false })
    expect(plan.streamed).toContain('task plan: RUN_MIGRATIONS=false RUN_SEED=false APPROVED_PLAN_DIGEST=unset')
    expect(hostRuns[0]?.exported.TASK_OUTPUTS).toMatch(/^[A-Za-z0-9+/]+=*$/)
    expect(plan.outputs).toMatchObject({ 'build-status': 'SUCCEEDED', 'pending-count': '2', 'plan-digest': PENDING_DIGEST })
    expect(plan.summary).toContain('Pending migrations (2)')
    const comment = s.github.comments('acme/app', 7)[0]?.body ?? ''
    expect(comment).toContain('#### Pending migrations (2)')
    expect(comment).toMatch(/\| 1 \| <code>0001&#95;create&#95;users<\/code> \| create users \| c1 \|/)

    const migrate = await run(s, { ...inputs, task: 'migrate', 'approved-plan-digest': PENDING_DIGEST }, { timeScale: TIGHT_TIME_SCALE })
    expect(migrate.errors).toEqual([])
    expect(migrate.code).toBe(0)
    expect(migrate.streamed).toContain(`task migrate: RUN_MIGRATIONS=true RUN_SEED=false APPROVED_PLAN_DIGEST=${PENDING_DIGEST}`)
    const notes = '::error::not a command\n<img src=x>'
    expect(migrate.outputs).toMatchObject({ 'build-status': 'SUCCEEDED', 'applied-count': '2', notes })
    expect(JSON.parse(migrate.outputs['task-outputs'] ?? '{}')).toEqual({ 'applied-count': '2', notes })
    expect(migrate.summary).toContain('<b>Task outputs</b>')
    expect(migrate.summary).not.toContain('<img')
  })

  it('a failed task still reports its outputs; a symbolic link in place of the file is refused, with a warning', async () => {
    s = await realImageMode()
    const failed = await run(
      s,
      { 'run-in': 'build-environment', command: `/bin/sh -c 'echo applied-count=1 >> "$TASK_OUTPUT"; exit 4'` },
      { timeScale: TIGHT_TIME_SCALE }
    )
    expect(failed.code).toBe(1)
    expect(failed.outputs).toMatchObject({ 'build-status': 'FAILED', 'task-exit-code': '4', 'applied-count': '1' })
    const link = await run(
      s,
      { 'run-in': 'build-environment', command: `/bin/sh -c 'ln -s /etc/hostname "$TASK_OUTPUT"'` },
      { timeScale: TIGHT_TIME_SCALE }
    )
    expect(link.code).toBe(0)
    expect(link.outputs['task-outputs']).toBe('{}')
    expect(link.warnings.join('\n')).toMatch(/not a regular file \(a symbolic link\?\): none were set/)
  })
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
