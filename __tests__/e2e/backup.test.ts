/**
 * Back up before the task (backup: verify | snapshot), end to end: the bundle on Node 24, the real
 * @aws-sdk/client-rds talking the AWS Query protocol (form requests, XML answers) to the stand-in's RDS.
 * Nothing is started unless the backup step passed; the backup runs after the project and running-builds checks
 * and before a second running-builds check and StartBuild.
 */
import type { RdsConfig, RecordedCall, StandIn } from '../standin/index.js'
import { presets } from '../standin/index.js'
import { LONG_WAIT_TIME_SCALE, PROJECT, TIGHT_TIME_SCALE, TIME_SCALE, failureOf as failure, run, standIn } from '../fixtures/e2e.js'
import type { E2ERun } from '../fixtures/e2e.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

const RUN_ID = '8123456789'
/** The name's last part is the execution's own (the first 8 characters of its token): a pattern. */
const INSTANCE_SNAPSHOT = `gha-orders-db-migrate-${RUN_ID}-1-[0-9a-f]{8}`
const whole = (pattern: string): RegExp => new RegExp(`^${pattern}$`)
/** The execution's token, as the build carries it (TASK_RUN_TOKEN). */
const tokenOf = (call: RecordedCall | undefined): string | undefined =>
  ((call?.request.environmentVariablesOverride ?? []) as Array<{ name: string; value: string }>).find(v => v.name === 'TASK_RUN_TOKEN')
    ?.value
const runEnv = { GITHUB_RUN_ID: RUN_ID, GITHUB_RUN_ATTEMPT: '1' }

const ops = (st: StandIn): string[] => st.calls.map(c => c.operation)
const rdsCalls = (st: StandIn): RecordedCall[] => st.calls.filter(c => c.service === 'rds')
const info = (r: E2ERun): string[] => r.lines.map(l => l.text).filter(t => !t.startsWith('::'))

/** A stand-in with RDS; `timeScale` for minutes of snapshot time (both clocks run at it). */
async function withRds(rds: RdsConfig, builds = [presets.success({ lines: 5, everyMs: 5 })], timeScale = TIME_SCALE): Promise<StandIn> {
  return standIn(builds, { rds, timeScale })
}

/** Nothing started, and the failure reached the summary. */
function expectNothingStarted(r: E2ERun, st: StandIn): void {
  expect(r.code).toBe(1)
  expect(st.callsOf('StartBuild')).toHaveLength(0)
  expect(r.outputs['build-id']).toBeUndefined()
}

describe('backup: verify', () => {
  it('passes: one DescribeDBInstances between the running-builds check and StartBuild; the summary says what was verified', async () => {
    // The slower clock: the age in the message ("4m 0s") is the answer's time plus the call's CPU time, which at 10x
    // passed a second under a cold, loaded CI run ("4m 1s").
    s = await withRds(
      { databases: [{ id: 'orders-db', backupRetentionPeriod: 7, latestRestorableAgoMs: 4 * 60_000 }] },
      undefined,
      TIGHT_TIME_SCALE
    )
    const r = await run(s, { backup: 'verify', 'db-identifier': 'orders-db' })
    expect(r.code).toBe(0)
    expect(rdsCalls(s).map(c => c.operation)).toEqual(['DescribeDBInstances'])
    const order = ops(s)
    expect(order.indexOf('ListBuildsForProject')).toBeLessThan(order.indexOf('DescribeDBInstances'))
    expect(order.indexOf('DescribeDBInstances')).toBeLessThan(order.indexOf('StartBuild'))
    expect(info(r).join('\n')).toMatch(
      /Backup check passed: DB instance orders-db \(postgres, available\) has automated backups kept 7 days; latest restorable time .* 4m 0s ago/
    )
    expect(r.summary).toMatch(/Backup before the task/)
    expect(r.summary).toMatch(/✅ DB instance orders-db/)
    expect(r.outputs['snapshot-id']).toBeUndefined()
    expect(r.outputs['snapshot-status']).toBeUndefined()
  })

  it('fails with retention 0: says what it found and how to fix it; nothing starts', async () => {
    s = await withRds({ databases: [{ id: 'orders-db', backupRetentionPeriod: 0, latestRestorableAgoMs: null }] })
    const r = await run(s, { backup: 'verify', 'db-identifier': 'orders-db' })
    expectNothingStarted(r, s)
    expect(failure(r)).toMatch(
      /Backup check failed: DB instance orders-db \(postgres, available\) has automated backups turned off \(backup retention period 0 days\)\. Turn them on .*aws rds modify-db-instance --db-instance-identifier orders-db --backup-retention-period 7.*Nothing was started\./
    )
    expect(r.summary).toMatch(/❌ DB instance orders-db/)
  })

  it('fails when the latest restorable time is older than backup-max-age-minutes (an Aurora cluster, found by DescribeDBClusters)', async () => {
    s = await withRds({ databases: [{ id: 'orders-aurora', kind: 'cluster', latestRestorableAgoMs: 3 * 3_600_000 }] })
    const r = await run(s, { backup: 'verify', 'db-identifier': 'orders-aurora', 'backup-max-age-minutes': '30' })
    expectNothingStarted(r, s)
    expect(rdsCalls(s).map(c => `${c.operation} ${c.status}`)).toEqual(['DescribeDBInstances 404', 'DescribeDBClusters 200'])
    expect(failure(r)).toMatch(
      /DB cluster orders-aurora \(aurora-postgresql, available\) has automated backups kept 1 day; latest restorable time \S+, 3h 0m ago, older than backup-max-age-minutes \(30\)\. RDS keeps/
    )
  })
})

describe('backup: snapshot', () => {
  it('of an instance: created with the run tags, progress about every 30 s, then the build; outputs and summary', async () => {
    // 6 s of the stand-in's time; the action's clock runs 20 times faster: 2 minutes for it.
    // Two minutes of snapshot time (two seconds here): progress lines about every 30 s.
    s = await withRds(
      { databases: [{ id: 'orders-db', allocatedStorage: 50, snapshots: [{ durationMs: 120_000 }] }] },
      undefined,
      LONG_WAIT_TIME_SCALE
    )
    const r = await run(s, { backup: 'snapshot', 'db-identifier': 'orders-db' }, { env: runEnv, timeoutMs: 60_000 })
    expect(r.code).toBe(0)
    const create = s.callsOf('CreateDBSnapshot')
    expect(create).toHaveLength(1)
    const name = r.outputs['snapshot-id'] as string
    expect(name).toMatch(whole(INSTANCE_SNAPSHOT))
    expect(r.outputs['snapshot-status']).toBe('available')
    expect(create[0]?.request).toMatchObject({
      Action: 'CreateDBSnapshot',
      Version: '2014-10-31',
      DBSnapshotIdentifier: name,
      DBInstanceIdentifier: 'orders-db'
    })
    const [snapshot] = s.snapshots()
    expect(snapshot?.status).toBe('available')
    // The execution's tag is the build's TASK_RUN_TOKEN; the name ends in its first 8 characters.
    const token = tokenOf(s.callsOf('StartBuild')[0]) as string
    expect(token).toMatch(/^[0-9a-f]{40}$/)
    expect(name.endsWith(`-${token.slice(0, 8)}`)).toBe(true)
    expect(Object.fromEntries((snapshot?.tags ?? []).map(t => [t.Key, t.Value]))).toEqual({
      'github:repository': 'acme/app',
      'github:run-id': RUN_ID,
      'github:run-attempt': '1',
      'github:sha': '0123456789abcdef0123456789abcdef01234567',
      'github:step': '__run',
      'codebuild-vpc-task:task': 'migrate',
      'codebuild-vpc-task:execution': token
    })
    // The snapshot is available before the build starts; the running builds are looked at again after it.
    const order = ops(s)
    const startAt = s.callsOf('StartBuild')[0]?.at ?? NaN
    expect(s.callsOf('DescribeDBSnapshots').at(-1)?.at).toBeLessThan(startAt)
    expect(order.filter(o => o === 'ListBuildsForProject')).toHaveLength(2)
    expect(order.lastIndexOf('ListBuildsForProject')).toBeGreaterThan(order.indexOf('CreateDBSnapshot'))
    const progress = info(r).filter(t => t.startsWith(`Snapshot ${name}: creating`))
    expect(progress.length).toBeGreaterThanOrEqual(2)
    expect(progress.length).toBeLessThanOrEqual(5)
    for (const line of progress) expect(line).toMatch(/: creating, \d+% after (?:\d+s|\d+m \d+s)…$/)
    expect(info(r).join('\n')).toMatch(
      new RegExp(
        `Snapshot ${name} is available after \\d+m \\d+s \\(50 GiB\\)\\. To restore from it: aws rds restore-db-instance-from-db-snapshot`
      )
    )
    expect(r.outputs['snapshot-arn']).toBe(`arn:aws:rds:us-east-1:123456789012:snapshot:${name}`)
    expect(r.outputs['build-status']).toBe('SUCCEEDED')
    expect(r.summary).toContain(name)
    expect(r.summary).toMatch(/Allocated storage<\/b><\/td><td>50 GiB/)
    expect(r.summary).toContain('aws rds restore-db-instance-from-db-snapshot')
  })

  it('a fast snapshot adds about the first poll (2 s) before StartBuild', async () => {
    // A duration is the subject: on the slower clock the CPU time of the calls (loading RDS's code included) counts
    // for less, so a loaded machine does not decide it.
    s = await withRds({ databases: [{ id: 'orders-db', snapshots: [{ durationMs: 1_000 }] }] }, undefined, TIGHT_TIME_SCALE)
    const r = await run(s, { backup: 'snapshot', 'db-identifier': 'orders-db' }, { env: runEnv })
    expect(r.code).toBe(0)
    const added = (s.callsOf('StartBuild')[0]?.at ?? NaN) - (s.callsOf('DescribeDBInstances')[0]?.at ?? NaN)
    process.stdout.write(`backup step with a 1 s snapshot: ${Math.round(added)} ms from DescribeDBInstances to StartBuild\n`)
    expect(added).toBeLessThan(4_000)
    expect(s.callsOf('DescribeDBSnapshots')).toHaveLength(1)
  })

  it('of an Aurora cluster: CreateDBClusterSnapshot under 63 characters, the database part shortened, never the rest', async () => {
    const cluster = 'orders-aurora-postgresql-production-eu-central-primary'
    s = await withRds({ databases: [{ id: cluster, kind: 'cluster', snapshots: [{ durationMs: 1_500 }] }] })
    const r = await run(s, { backup: 'snapshot', 'db-identifier': cluster }, { env: runEnv })
    expect(r.code).toBe(0)
    const id = r.outputs['snapshot-id'] ?? ''
    expect(id.length).toBeLessThanOrEqual(63)
    expect(id).toMatch(new RegExp(`^gha-orders-aurora-[a-z0-9-]+-[0-9a-f]{6}-migrate-${RUN_ID}-1-[0-9a-f]{8}$`))
    expect(s.callsOf('CreateDBClusterSnapshot')[0]?.request.DBClusterSnapshotIdentifier).toBe(id)
    expect(s.callsOf('DescribeDBClusterSnapshots').length).toBeGreaterThanOrEqual(1)
    expect(r.outputs['snapshot-arn']).toBe(`arn:aws:rds:us-east-1:123456789012:cluster-snapshot:${id}`)
    expect(s.callsOf('StartBuild')).toHaveLength(1)
  })

  it('a snapshot that fails: the step fails, nothing starts, the snapshot is named', async () => {
    s = await withRds({ databases: [{ id: 'orders-db', snapshots: [{ durationMs: 60_000, failAtMs: 2_500 }] }] })
    const r = await run(s, { backup: 'snapshot', 'db-identifier': 'orders-db' }, { env: runEnv })
    expectNothingStarted(r, s)
    expect(failure(r)).toMatch(
      new RegExp(`Snapshot ${INSTANCE_SNAPSHOT} of DB instance orders-db ended failed after \\d+s: nothing was started`)
    )
    expect(r.outputs['snapshot-id']).toMatch(whole(INSTANCE_SNAPSHOT))
    expect(r.outputs['snapshot-arn']).toMatch(/^arn:aws:rds:us-east-1:\d{12}:snapshot:gha-orders-db-/)
    expect(r.outputs['snapshot-status']).toBe('failed')
  })

  it('not available within backup-timeout-minutes: fails, says the snapshot goes on and where to see it; nothing starts', async () => {
    s = await withRds({ databases: [{ id: 'orders-db', snapshots: [{ durationMs: 10 * 60_000 }] }] }, undefined, LONG_WAIT_TIME_SCALE)
    const r = await run(
      s,
      { backup: 'snapshot', 'db-identifier': 'orders-db', 'backup-timeout-minutes': '2' },
      { env: runEnv, timeoutMs: 60_000 }
    )
    expectNothingStarted(r, s)
    expect(failure(r)).toMatch(
      new RegExp(
        `Snapshot ${INSTANCE_SNAPSHOT} was not available within backup-timeout-minutes \\(2\\): creating, \\d+% after 2m \\ds\\. Nothing was started\\. The snapshot goes on in RDS; see it in the RDS console .* aws rds describe-db-snapshots --db-snapshot-identifier ${INSTANCE_SNAPSHOT} --region us-east-1`
      )
    )
    expect(s.snapshots()[0]?.status).toBe('creating')
    expect(r.outputs['snapshot-id']).toMatch(whole(INSTANCE_SNAPSHOT))
    expect(r.outputs['snapshot-status']).toBe('timed-out')
  })

  it('cancelled while waiting: nothing starts; the message says the snapshot goes on and where to see it', async () => {
    s = await withRds({ databases: [{ id: 'orders-db', snapshots: [{ durationMs: 5 * 60_000 }] }] })
    let sent = false
    const r = await run(
      s,
      { backup: 'snapshot', 'db-identifier': 'orders-db' },
      {
        env: runEnv,
        timeoutMs: 30_000,
        onLine: (line, child) => {
          if (!sent && line.text.startsWith('Taking snapshot')) {
            sent = true
            setTimeout(() => child.kill('SIGINT'), 1_000)
          }
        }
      }
    )
    expectNothingStarted(r, s)
    expect(r.exitedAt - r.startedAt).toBeLessThan(15_000)
    expect(failure(r)).toMatch(
      new RegExp(
        `Cancelled while waiting for snapshot ${INSTANCE_SNAPSHOT} \\(creating, \\d+% after \\d+s\\): nothing was started\\. The snapshot goes on in RDS; see it .*describe-db-snapshots`
      )
    )
    expect(r.outputs['snapshot-id']).toMatch(whole(INSTANCE_SNAPSHOT))
    expect(r.outputs['snapshot-status']).toBe('cancelled')
  })

  it('CreateDBSnapshot processed but its answer lost: the retry is told the name exists, and the step uses its own snapshot', async () => {
    s = await withRds({ databases: [{ id: 'orders-db', snapshots: [{ durationMs: 1_000 }] }] })
    s.setFaults({ CreateDBSnapshot: { sequence: ['lost'] } })
    const r = await run(s, { backup: 'snapshot', 'db-identifier': 'orders-db' }, { env: runEnv })
    expect(r.code).toBe(0)
    const creates = s.callsOf('CreateDBSnapshot')
    expect(creates.map(c => c.injected ?? c.errorType ?? 'ok')).toEqual(['lost', 'DBSnapshotAlreadyExists'])
    expect(creates[1]?.request).toEqual(creates[0]?.request)
    const name = r.outputs['snapshot-id'] as string
    expect(name).toMatch(whole(INSTANCE_SNAPSHOT))
    expect(info(r).join('\n')).toMatch(
      new RegExp(`Snapshot ${name} was already created by an earlier try of this request \\(its answer was lost\\): using it`)
    )
    expect(s.snapshots().map(x => x.id)).toEqual([name])
    expect(s.callsOf('StartBuild')).toHaveLength(1)
  })

  it('two jobs of one run snapshot one database one after the other (same run, attempt, job and step ids): two snapshots', async () => {
    s = await withRds({ databases: [{ id: 'orders-db', snapshots: [{ durationMs: 1_000 }, { durationMs: 1_000 }] }] }, [
      presets.success({ lines: 3, everyMs: 5 }),
      presets.success({ lines: 3, everyMs: 5 })
    ])
    const inputs = { backup: 'snapshot', 'db-identifier': 'orders-db' }
    const first = await run(s, inputs, { env: runEnv })
    const second = await run(s, inputs, { env: runEnv })
    expect([first.code, second.code]).toEqual([0, 0])
    const names = [first.outputs['snapshot-id'], second.outputs['snapshot-id']] as string[]
    for (const n of names) expect(n).toMatch(whole(INSTANCE_SNAPSHOT))
    expect(names[0]).not.toBe(names[1])
    expect(
      s
        .snapshots()
        .map(x => [x.id, x.status])
        .sort()
    ).toEqual(names.map(n => [n, 'available']).sort())
    expect(s.callsOf('CreateDBSnapshot').map(c => c.errorType ?? 'ok')).toEqual(['ok', 'ok'])
    expect(s.startedBuilds(PROJECT)).toHaveLength(2)
  })

  it("a stopped database: RDS's reason (InvalidDBInstanceState) and what to do; nothing starts", async () => {
    s = await withRds({ databases: [{ id: 'orders-db', status: 'stopped' }] })
    const r = await run(s, { backup: 'snapshot', 'db-identifier': 'orders-db' }, { env: runEnv })
    expectNothingStarted(r, s)
    expect(failure(r)).toMatch(
      /RDS cannot snapshot orders-db now: InvalidDBInstanceStateFault: Cannot create a snapshot because the database instance orders-db is not currently in the available state\. RDS snapshots only a database that is available/
    )
  })

  it('the snapshot quota reached: RDS\u2019s reason; nothing starts', async () => {
    s = await withRds({ databases: [{ id: 'orders-db' }], snapshotQuota: 0 })
    const r = await run(s, { backup: 'snapshot', 'db-identifier': 'orders-db' }, { env: runEnv })
    expectNothingStarted(r, s)
    expect(failure(r)).toMatch(/SnapshotQuotaExceededFault: Cannot create more than 0 manual snapshots\. The account has reached its quota/)
    expect(r.outputs['snapshot-status']).toBe('not-taken')
    expect(r.outputs['snapshot-id']).toBeUndefined()
  })

  it('throttled and failing RDS calls are retried (Query-protocol Throttling, 500s)', async () => {
    s = await standIn([presets.success({ lines: 3, everyMs: 5 })], {
      rds: { databases: [{ id: 'orders-db', snapshots: [{ durationMs: 1_000 }] }] },
      faults: {
        DescribeDBInstances: { sequence: ['throttle', 'throttle'] },
        DescribeDBSnapshots: { sequence: ['internal', 'unavailable'] }
      }
    })
    const r = await run(s, { backup: 'snapshot', 'db-identifier': 'orders-db' }, { env: runEnv, timeoutMs: 60_000 })
    expect(r.code).toBe(0)
    expect(s.callsOf('DescribeDBInstances').map(c => c.errorType ?? 'ok')).toEqual(['Throttling', 'Throttling', 'ok'])
    expect(s.callsOf('DescribeDBSnapshots').length).toBeGreaterThanOrEqual(3)
    expect(s.callsOf('CreateDBSnapshot')).toHaveLength(1)
  })

  it('dry run: says what would be snapshotted using read calls only', async () => {
    s = await withRds({ databases: [{ id: 'orders-db', allocatedStorage: 50 }] })
    const r = await run(s, { backup: 'snapshot', 'db-identifier': 'orders-db', 'dry-run': 'true' }, { env: runEnv })
    expect(r.code).toBe(0)
    expect(rdsCalls(s).map(c => c.operation)).toEqual(['DescribeDBInstances', 'DescribeDBSnapshots'])
    expect(s.callsOf('StartBuild')).toHaveLength(0)
    expect(s.snapshots()).toHaveLength(0)
    expect(info(r).join('\n')).toContain(
      `Dry run: a run would take a snapshot named like ${s.callsOf('DescribeDBSnapshots')[0]?.request.DBSnapshotIdentifier as string} (the last part is each run's own) of DB instance orders-db (postgres, available, 50 GiB), wait up to 60 minutes for it, then start the task.`
    )
    expect(s.callsOf('DescribeDBSnapshots')[0]?.request.DBSnapshotIdentifier).toMatch(whole(INSTANCE_SNAPSHOT))
    expect(r.outputs['snapshot-id']).toBeUndefined()
    expect(r.summary).toMatch(/backup: snapshot, dry run/)
  })

  it('an unknown database: no instance, no cluster; nothing starts', async () => {
    s = await withRds({ databases: [] })
    const r = await run(s, { backup: 'snapshot', 'db-identifier': 'orders-db' }, { env: runEnv })
    expectNothingStarted(r, s)
    expect(failure(r)).toMatch(/There is no RDS DB instance or Aurora DB cluster 'orders-db' in region us-east-1/)
    expect(s.callsOf('ListBuildsForProject').length).toBeGreaterThanOrEqual(1)
    expect(PROJECT).toBe('app-migrations')
  })
})
