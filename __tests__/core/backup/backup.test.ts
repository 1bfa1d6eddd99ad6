/**
 * The backup step's pure parts: the snapshot's name (RDS identifier rules), the verify policy, and its inputs; and
 * which snapshot of a taken name is this execution's own.
 */
import type { RDSClient } from '@aws-sdk/client-rds'
import { runBackup, verifyBackups } from '../../../src/core/backup/backup.js'
import type { BackupResult } from '../../../src/core/backup/backup.js'
import { InputError } from '../../../src/core/plan/inputs.js'
import { newExecutionToken } from '../../../src/core/build/execution.js'
import { SNAPSHOT_PREFIX, isValidSnapshotName, snapshotName } from '../../../src/core/backup/snapshot-name.js'
import { ManualClock } from '../../fixtures/clock.js'
import { FakeClient, awsError } from '../../fixtures/fake-aws.js'
import { planOf } from '../../fixtures/inputs.js'
import { ordersDb } from '../../fixtures/database.js'

const EXECUTION = '0123456789abcdef0123456789abcdef01234567'
const base = {
  kind: 'instance' as const,
  db: 'orders-db',
  task: 'migrate',
  runId: '8123456789',
  runAttempt: '2',
  execution: EXECUTION,
  at: 0
}

describe('snapshotName', () => {
  it("is the prefix, database, task, run, attempt and the execution's mark, lowercase, valid for RDS", () => {
    const name = snapshotName(base)
    expect(name).toBe('gha-orders-db-migrate-8123456789-2-01234567')
    expect(isValidSnapshotName(name, 'instance')).toBe(true)
    expect(name.startsWith(SNAPSHOT_PREFIX)).toBe(true)
  })

  it('differs between two executions of one step of one run (matrix legs, jobs without step ids)', () => {
    const other = snapshotName({ ...base, execution: newExecutionToken() })
    expect(other).not.toBe(snapshotName(base))
    expect(other).toMatch(/^gha-orders-db-migrate-8123456789-2-[0-9a-f]{8}$/)
    // ...and is the same for every try within one execution.
    expect(snapshotName({ ...base, at: 99_999 })).toBe(snapshotName(base))
  })

  it('turns odd characters into single hyphens, none at the end', () => {
    const name = snapshotName({ ...base, db: 'Orders_DB', task: 'Migrate!' })
    expect(name).toBe('gha-orders-db-migrate-8123456789-2-01234567')
  })

  it('shortens the database part, never the rest, to fit 63 characters for a cluster snapshot', () => {
    const db = 'orders-aurora-postgresql-production-eu-central-1-primary-writer'
    const name = snapshotName({ ...base, kind: 'cluster', db, task: 'cleanup', runId: '98765432101234' })
    expect(name.length).toBeLessThanOrEqual(63)
    expect(name).toMatch(/-cleanup-98765432101234-2-01234567$/)
    expect(name).toMatch(/^gha-orders-aurora-[a-z0-9-]*-[0-9a-f]{6}-cleanup/)
    expect(isValidSnapshotName(name, 'cluster')).toBe(true)
    // The same long name as an instance snapshot (255) is not shortened: the IAM policy grants gha-<instance>-*.
    expect(snapshotName({ ...base, db })).toBe(`gha-${db}-migrate-8123456789-2-01234567`)
    // Two long databases with the same start get different names.
    expect(snapshotName({ ...base, kind: 'cluster', db: `${db}-2` })).not.toBe(snapshotName({ ...base, kind: 'cluster', db }))
  })

  it("outside a workflow run (the CLI): a timestamp in place of the run, then the execution's mark", () => {
    const name = snapshotName({ ...base, runId: undefined, runAttempt: undefined, at: Date.UTC(2025, 0, 2, 3, 4, 5) })
    expect(name).toBe('gha-orders-db-migrate-20250102030405-01234567')
  })

  it('always satisfies the rule, whatever the inputs', () => {
    const odd = ['a', 'a-b', 'x'.repeat(63), 'db--x', '-', '9lives', 'ÄÖÜ']
    for (const db of odd)
      for (const kind of ['instance', 'cluster'] as const)
        for (const execution of [EXECUTION, newExecutionToken(), 'FFFFFFFF']) {
          const name = snapshotName({ ...base, kind, db, execution })
          expect({ name, ok: isValidSnapshotName(name, kind) }).toEqual({ name, ok: true })
          expect(name).toContain(`-8123456789-2-${execution.slice(0, 8).toLowerCase()}`)
        }
  })
})

describe('verifyBackups', () => {
  const now = Date.UTC(2025, 5, 1, 12, 0, 0)
  const db = ordersDb(new Date(now - 4 * 60_000))

  it('passes with backups on and a restorable time within the limit', () => {
    const v = verifyBackups(db, now, 15)
    expect(v.passed).toBe(true)
    expect(v.found).toBe(
      'DB instance orders-db (postgres, available) has automated backups kept 7 days; latest restorable time 2025-06-01T11:56:00.000Z, 4m 0s ago'
    )
  })

  it('fails with retention 0, saying how to turn backups on', () => {
    const v = verifyBackups({ ...db, retentionDays: 0 }, now, 15)
    expect(v.passed).toBe(false)
    expect(v.found).toMatch(/automated backups turned off \(backup retention period 0 days\)/)
    expect(v.fix).toMatch(/aws rds modify-db-instance --db-instance-identifier orders-db --backup-retention-period 7/)
    expect(verifyBackups({ ...db, kind: 'cluster', retentionDays: 0 }, now, 15).fix).toMatch(/modify-db-cluster --db-cluster-identifier/)
  })

  it('fails when the restorable time is older than the limit (exactly the limit passes)', () => {
    expect(verifyBackups({ ...db, latestRestorableTime: new Date(now - 15 * 60_000) }, now, 15).passed).toBe(true)
    const v = verifyBackups({ ...db, latestRestorableTime: new Date(now - 15 * 60_000 - 1_000) }, now, 15)
    expect(v.passed).toBe(false)
    expect(v.found).toMatch(/15m 1s ago, older than backup-max-age-minutes \(15\)/)
    expect(v.fix).toMatch(/backup: snapshot/)
  })

  it('fails without a restorable time; a restorable time in the future (clock skew) counts as now', () => {
    const { latestRestorableTime: _, ...none } = db
    const verdict = verifyBackups(none, now, 15)
    expect(verdict.passed).toBe(false)
    expect(verdict.found).toMatch(/no latest restorable time yet/)
    expect(verifyBackups({ ...db, latestRestorableTime: new Date(now + 60_000) }, now, 15)).toMatchObject({ passed: true })
  })
})

describe('backup inputs', () => {
  const plan = planOf
  const error = (inputs: Record<string, string>): InputError => {
    try {
      plan(inputs)
    } catch (e) {
      expect(e).toBeInstanceOf(InputError)
      return e as InputError
    }
    throw new Error('expected an InputError')
  }

  it('none by default: no backup in the plan', () => {
    expect(plan({}).backup).toBeUndefined()
    expect(plan({ backup: 'none', 'db-identifier': 'ignored' }).backup).toBeUndefined()
  })

  it('verify and snapshot with their defaults', () => {
    expect(plan({ backup: 'verify', 'db-identifier': 'orders-db' }).backup).toEqual({
      mode: 'verify',
      dbIdentifier: 'orders-db',
      maxAgeMinutes: 15,
      timeoutMinutes: 60
    })
    expect(plan({ backup: 'snapshot', 'db-identifier': 'orders-db', 'backup-timeout-minutes': '120' }).backup?.timeoutMinutes).toBe(120)
  })

  it('names the input at fault', () => {
    expect(error({ backup: 'full' }).message).toBe("Input 'backup' must be one of none, verify, snapshot, got 'full'")
    expect(error({ backup: 'snapshot' }).message).toMatch(/^Input 'db-identifier' is required with backup: snapshot/)
    expect(error({ backup: 'verify', 'db-identifier': 'orders--db' }).input).toBe('db-identifier')
    expect(error({ backup: 'verify', 'db-identifier': '1db' }).input).toBe('db-identifier')
    expect(error({ backup: 'verify', 'db-identifier': 'db-' }).input).toBe('db-identifier')
    expect(error({ backup: 'verify', 'db-identifier': 'd'.repeat(64) }).input).toBe('db-identifier')
    expect(error({ backup: 'verify', 'db-identifier': 'db', 'backup-max-age-minutes': '0' }).message).toBe(
      "Input 'backup-max-age-minutes' must be a whole number of minutes from 1 to 10080, got '0'"
    )
    expect(error({ backup: 'snapshot', 'db-identifier': 'db', 'backup-timeout-minutes': '1441' }).input).toBe('backup-timeout-minutes')
  })
})

describe('a snapshot name RDS says is taken', () => {
  const token = EXECUTION
  const identity = { repository: 'acme/app', runId: '8123456789', runAttempt: '2', sha: 'abc', step: '__run' }
  const runTags = [
    { Key: 'github:repository', Value: 'acme/app' },
    { Key: 'github:run-id', Value: '8123456789' },
    { Key: 'github:run-attempt', Value: '2' },
    { Key: 'github:sha', Value: 'abc' },
    { Key: 'github:step', Value: '__run' },
    { Key: 'codebuild-vpc-task:task', Value: 'migrate' }
  ]

  /** CreateDBSnapshot: its first try reached RDS, its answer was lost; the retry is told the name exists. */
  async function taken(tags: Array<{ Key: string; Value: string }>): Promise<{ result: BackupResult; said: string[]; rds: FakeClient }> {
    const name = snapshotName({ ...base, execution: token, kind: 'instance' })
    const snapshot = { DBSnapshotIdentifier: name, DBInstanceIdentifier: 'orders-db', Status: 'available', TagList: tags }
    const rds = new FakeClient({
      DescribeDBInstances: () => ({
        DBInstances: [{ DBInstanceIdentifier: 'orders-db', DBInstanceStatus: 'available', Engine: 'postgres' }]
      }),
      CreateDBSnapshot: () => {
        throw awsError(
          'DBSnapshotAlreadyExistsFault',
          400,
          `Cannot create the snapshot because a snapshot with the identifier ${name} already exists.`
        )
      },
      DescribeDBSnapshots: () => ({ DBSnapshots: [snapshot] })
    })
    const said: string[] = []
    const result = await runBackup(
      { mode: 'snapshot', dbIdentifier: 'orders-db', maxAgeMinutes: 15, timeoutMinutes: 60 },
      {
        rds: rds as unknown as RDSClient,
        clock: new ManualClock(),
        region: 'us-east-1',
        task: 'migrate',
        identity,
        execution: token,
        say: m => said.push(m)
      }
    )
    return { result, said, rds }
  }

  it("is this execution's (a retried create after a lost answer) when it carries the execution's tag: used", async () => {
    const { result, said, rds } = await taken([...runTags, { Key: 'codebuild-vpc-task:execution', Value: token }])
    expect(result.failure).toBeUndefined()
    expect(result.report.snapshot).toMatchObject({ id: 'gha-orders-db-migrate-8123456789-2-01234567', status: 'available', reused: true })
    expect(said.join('\n')).toMatch(/already created by an earlier try of this request \(its answer was lost\): using it/)
    // The create carried the tag that recognises it.
    expect(rds.calls.find(c => c.operation === 'CreateDBSnapshot')?.input.Tags).toEqual([
      ...runTags,
      { Key: 'codebuild-vpc-task:execution', Value: token }
    ])
  })

  it.each([
    [
      'another execution of the same step of the same run (a matrix leg, a job without a step id)',
      [...runTags, { Key: 'codebuild-vpc-task:execution', Value: 'ffffffff' + token.slice(8) }]
    ],
    ['every tag of this run but no execution tag (a snapshot of an older version of the action)', runTags],
    ["someone else's", [{ Key: 'owner', Value: 'dba' }]]
  ])('is refused when it is %s: nothing starts', async (_, tags) => {
    const { result } = await taken(tags)
    expect(result.failure).toMatch(
      /^A DB snapshot named gha-orders-db-migrate-8123456789-2-01234567 already exists and was not taken by this execution: nothing was started\./
    )
  })
})
