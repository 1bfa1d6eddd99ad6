/**
 * The backup step before the task (`backup`): find the database (an RDS DB instance or an Aurora DB cluster), then
 * either verify that its automated backups are on and recent, or take a manual snapshot and wait until it is
 * available. Either way the step ends with a report (for the summary and the outputs) and, when the task must not
 * start, the reason. Every RDS call is bounded in time and its transient errors retried.
 */
import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand
} from '@aws-sdk/client-rds'
import type { DBCluster, DBClusterSnapshot, DBInstance, DBSnapshot, RDSClient, Tag } from '@aws-sdk/client-rds'
import {
  credentialsExpired,
  errorText,
  INPUT_NAMES,
  isAccessDenied,
  isAlreadyExists,
  isExpiredCredentials,
  isNotFound,
  isTransient,
  rdsRefusalHint
} from '../errors/index.js'
import type { Clock } from '../support/index.js'
import { formatDuration, Inputs } from '../support/index.js'
import type { SettingNames } from '../errors/index.js'
import type { BackupPlan, RunIdentity } from '../plan/index.js'
import { Backoff, withTimeLimit } from '../aws/index.js'
import { snapshotName } from './snapshot-name.js'

export interface Database {
  kind: 'instance' | 'cluster'
  id: string
  arn?: string
  status: string
  engine: string
  /** Days of automated backups kept; 0: automated backups are off. */
  retentionDays: number
  latestRestorableTime?: Date
  allocatedStorageGiB?: number
  /** For an instance: the Aurora cluster it belongs to. */
  clusterId?: string
}

interface Snapshot {
  id: string
  arn?: string
  status: string
  percent?: number
  allocatedStorageGiB?: number
  tags: Tag[]
}

/**
 * How a requested snapshot ended: available; failed (RDS's status, or it disappeared); timed-out (not available within
 * backup-timeout-minutes, it goes on in RDS); cancelled (the wait was cancelled, it goes on in RDS); unknown (the
 * create call was cancelled before RDS answered: it may exist). `not-taken` (no snapshot: refused, or the step failed
 * before creating one) is the output's value when the report has no snapshot.
 */
type SnapshotOutcome = 'available' | 'failed' | 'timed-out' | 'cancelled' | 'unknown'

/** What the backup step did, for the log, the summary and the outputs. */
export interface BackupReport {
  mode: BackupPlan['mode']
  dbIdentifier: string
  dryRun: boolean
  database?: Pick<Database, 'kind' | 'engine' | 'status'>
  /** verify: what was found (retention, latest restorable time and its age). */
  verified?: { passed: boolean; found: string }
  /**
   * `status` is RDS's; `outcome` is how the step's wait ended (the `snapshot-status` output). `reused`: created by an
   * earlier try of this execution's create call, whose answer was lost.
   */
  snapshot?: {
    id: string
    arn?: string
    status: string
    outcome: SnapshotOutcome
    allocatedStorageGiB?: number
    tookMs?: number
    reused: boolean
  }
  /** The command that restores a new database from the snapshot. */
  restore?: string
}

export interface BackupDeps {
  rds: RDSClient
  clock: Clock
  region: string
  task: string
  identity: RunIdentity
  /** This execution's token (src/core/build/execution.ts): in the snapshot's name and its `codebuild-vpc-task:execution` tag. */
  execution: string
  say: (message: string) => void
  signal?: AbortSignal
  /** How the front end writes a setting (default: the action's input names). */
  names?: SettingNames
  /** How often to ask for the snapshot's progress at most (it starts faster); and how often to print it. */
  pollMs?: number
  progressEveryMs?: number
}

export interface BackupResult {
  report: BackupReport
  /** Set when the task must not start: the step's error. */
  failure?: string
}

/** One RDS call, the SDK's retries included, gets this long. */
const CALL_LIMIT_MS = 45_000
const CALL_TRIES = 3
const FAILED_SNAPSHOT = new Set(['failed', 'incompatible-restore', 'incompatible-parameters', 'deleting', 'deleted'])

class BackupError extends Error {
  override name = 'BackupError'
}

const kindName = (kind: Database['kind']): string => (kind === 'instance' ? 'DB instance' : 'DB cluster')

// ---------------------------------------------------------------------------------------------------------------
// The policy of verify
// ---------------------------------------------------------------------------------------------------------------

export interface Verdict {
  passed: boolean
  /** What was found: retention, latest restorable time and its age. */
  found: string
  /** How to fix it, when it did not pass. */
  fix?: string
}

/** Automated backups on (retention ≥ 1 day) and a latest restorable time at most `maxAgeMinutes` old. */
export function verifyBackups(db: Database, nowMs: number, maxAgeMinutes: number, names: SettingNames = INPUT_NAMES): Verdict {
  const what = `${kindName(db.kind)} ${db.id} (${db.engine}, ${db.status})`
  const modify =
    db.kind === 'instance'
      ? `aws rds modify-db-instance --db-instance-identifier ${db.id} --backup-retention-period 7 --apply-immediately`
      : `aws rds modify-db-cluster --db-cluster-identifier ${db.id} --backup-retention-period 7 --apply-immediately`
  const orSnapshot = `or use ${names.value(Inputs.Backup, 'snapshot')} to take a snapshot before the task instead.`
  if (db.retentionDays < 1) {
    return {
      passed: false,
      found: `${what} has automated backups turned off (backup retention period ${db.retentionDays} days)`,
      fix: `Turn them on with a retention of at least 1 day (${modify}), ${orSnapshot}`
    }
  }
  const retention = `automated backups kept ${db.retentionDays} day${db.retentionDays === 1 ? '' : 's'}`
  if (!db.latestRestorableTime) {
    return {
      passed: false,
      found: `${what} has ${retention} but no latest restorable time yet`,
      fix: `Wait until RDS has taken the first automated backup (after backups are turned on), ${orSnapshot}`
    }
  }
  const ageMs = Math.max(0, nowMs - db.latestRestorableTime.getTime())
  const found = `${what} has ${retention}; latest restorable time ${db.latestRestorableTime.toISOString()}, ${formatDuration(ageMs)} ago`
  if (ageMs > maxAgeMinutes * 60_000) {
    return {
      passed: false,
      found: `${found}, older than ${names.name(Inputs.BackupMaxAgeMinutes)} (${maxAgeMinutes})`,
      fix:
        `RDS keeps the latest restorable time within about 5 minutes of now while the database is available and its transaction logs are backed up: ` +
        `check that the database is available and look for backup failures in its RDS events; raise ${names.name(Inputs.BackupMaxAgeMinutes)}, ${orSnapshot}`
    }
  }
  return { passed: true, found }
}

// ---------------------------------------------------------------------------------------------------------------
// RDS calls
// ---------------------------------------------------------------------------------------------------------------

/** One call, bounded; transient errors tried again a few times (the SDK already retried each once or more). */
async function call<T>(deps: BackupDeps, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const backoff = new Backoff(1_000, 10_000)
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTimeLimit(deps.clock, CALL_LIMIT_MS, deps.signal, send)
    } catch (error) {
      if (deps.signal?.aborted || !isTransient(error) || attempt >= CALL_TRIES) throw error
      await deps.clock.sleep(backoff.next(), deps.signal)
    }
  }
}

function fromInstance(i: DBInstance): Database {
  const db: Database = {
    kind: 'instance',
    id: i.DBInstanceIdentifier ?? '',
    status: i.DBInstanceStatus ?? 'unknown',
    engine: i.Engine ?? 'unknown',
    retentionDays: i.BackupRetentionPeriod ?? 0
  }
  if (i.DBInstanceArn) db.arn = i.DBInstanceArn
  if (i.LatestRestorableTime) db.latestRestorableTime = i.LatestRestorableTime
  if (i.AllocatedStorage !== undefined) db.allocatedStorageGiB = i.AllocatedStorage
  if (i.DBClusterIdentifier) db.clusterId = i.DBClusterIdentifier
  return db
}

function fromCluster(c: DBCluster): Database {
  const db: Database = {
    kind: 'cluster',
    id: c.DBClusterIdentifier ?? '',
    status: c.Status ?? 'unknown',
    engine: c.Engine ?? 'unknown',
    retentionDays: c.BackupRetentionPeriod ?? 0
  }
  if (c.DBClusterArn) db.arn = c.DBClusterArn
  if (c.LatestRestorableTime) db.latestRestorableTime = c.LatestRestorableTime
  if (c.AllocatedStorage !== undefined) db.allocatedStorageGiB = c.AllocatedStorage
  return db
}

/** The DB instance named `id`, else the DB cluster: RDS says which it is. */
async function findDatabase(deps: BackupDeps, id: string): Promise<Database> {
  const { rds } = deps
  const missing: unknown[] = []
  try {
    const answer = await call(deps, s => rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }), { abortSignal: s }))
    const instance = answer.DBInstances?.[0]
    if (instance) {
      const db = fromInstance(instance)
      if (db.clusterId) {
        throw new BackupError(
          `'${id}' is an instance of Aurora DB cluster '${db.clusterId}': its backups and snapshots are the cluster's. Set ${(deps.names ?? INPUT_NAMES).value(Inputs.DbIdentifier, db.clusterId)}.`
        )
      }
      return db
    }
  } catch (error) {
    if (error instanceof BackupError || deps.signal?.aborted || !(isNotFound(error) || isAccessDenied(error))) throw error
    missing.push(error)
  }
  try {
    const answer = await call(deps, s => rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }), { abortSignal: s }))
    const cluster = answer.DBClusters?.[0]
    if (cluster) return fromCluster(cluster)
  } catch (error) {
    if (deps.signal?.aborted || !(isNotFound(error) || isAccessDenied(error))) throw error
    missing.push(error)
  }
  const denied = missing.filter(isAccessDenied)
  if (denied.length > 0) {
    throw new BackupError(
      `Could not find out what '${id}' is: RDS refused ${denied.map(errorText).join('; ')}. Allow rds:DescribeDBInstances (for an instance) or rds:DescribeDBClusters (for an Aurora cluster) on it.`
    )
  }
  throw new BackupError(
    `There is no RDS DB instance or Aurora DB cluster '${id}' in region ${deps.region}: check ${(deps.names ?? INPUT_NAMES).name(Inputs.DbIdentifier)}, the region and the account of the credentials.`
  )
}

function fromDBSnapshot(s: DBSnapshot): Snapshot {
  const snap: Snapshot = { id: s.DBSnapshotIdentifier ?? '', status: s.Status ?? 'unknown', tags: s.TagList ?? [] }
  if (s.DBSnapshotArn) snap.arn = s.DBSnapshotArn
  if (s.PercentProgress !== undefined) snap.percent = s.PercentProgress
  if (s.AllocatedStorage !== undefined) snap.allocatedStorageGiB = s.AllocatedStorage
  return snap
}

function fromClusterSnapshot(s: DBClusterSnapshot): Snapshot {
  const snap: Snapshot = { id: s.DBClusterSnapshotIdentifier ?? '', status: s.Status ?? 'unknown', tags: s.TagList ?? [] }
  if (s.DBClusterSnapshotArn) snap.arn = s.DBClusterSnapshotArn
  if (s.PercentProgress !== undefined) snap.percent = s.PercentProgress
  if (s.AllocatedStorage !== undefined) snap.allocatedStorageGiB = s.AllocatedStorage
  return snap
}

async function createSnapshot(deps: BackupDeps, db: Database, name: string, tags: Tag[]): Promise<Snapshot | undefined> {
  const { rds } = deps
  if (db.kind === 'instance') {
    const answer = await call(deps, s =>
      rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: name, DBInstanceIdentifier: db.id, Tags: tags }), { abortSignal: s })
    )
    return answer.DBSnapshot ? fromDBSnapshot(answer.DBSnapshot) : undefined
  }
  const answer = await call(deps, s =>
    rds.send(new CreateDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: name, DBClusterIdentifier: db.id, Tags: tags }), {
      abortSignal: s
    })
  )
  return answer.DBClusterSnapshot ? fromClusterSnapshot(answer.DBClusterSnapshot) : undefined
}

/** The snapshot named `name`, or undefined when there is none. One try: the caller's loop retries. */
async function describeSnapshot(deps: BackupDeps, kind: Database['kind'], name: string, tries = 1): Promise<Snapshot | undefined> {
  const { rds } = deps
  const once = async (): Promise<Snapshot | undefined> => {
    if (kind === 'instance') {
      const answer = await withTimeLimit(deps.clock, CALL_LIMIT_MS, deps.signal, s =>
        rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: name }), { abortSignal: s })
      )
      const found = answer.DBSnapshots?.[0]
      return found ? fromDBSnapshot(found) : undefined
    }
    const answer = await withTimeLimit(deps.clock, CALL_LIMIT_MS, deps.signal, s =>
      rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: name }), { abortSignal: s })
    )
    const found = answer.DBClusterSnapshots?.[0]
    return found ? fromClusterSnapshot(found) : undefined
  }
  try {
    return tries > 1 ? await call(deps, () => once()) : await once()
  } catch (error) {
    if (isNotFound(error) && !deps.signal?.aborted) return undefined
    throw error
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Names, tags, where to look
// ---------------------------------------------------------------------------------------------------------------

const TAG = {
  repository: 'github:repository',
  runId: 'github:run-id',
  runAttempt: 'github:run-attempt',
  sha: 'github:sha',
  step: 'github:step',
  task: 'codebuild-vpc-task:task',
  execution: 'codebuild-vpc-task:execution'
} as const

function snapshotTags(identity: RunIdentity, task: string, execution: string): Tag[] {
  const pairs: Array<[string, string | undefined]> = [
    [TAG.repository, identity.repository],
    [TAG.runId, identity.runId],
    [TAG.runAttempt, identity.runId ? (identity.runAttempt ?? '1') : undefined],
    [TAG.sha, identity.sha],
    [TAG.step, identity.step],
    [TAG.task, task],
    [TAG.execution, execution]
  ]
  return pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '').map(([Key, Value]) => ({ Key, Value }))
}

/**
 * Taken by this very execution: a CreateDB(Cluster)Snapshot that reached RDS but whose answer was lost, tried again
 * (by the SDK or by `call`), is told the name exists. Only the execution's token in its tag says so; a snapshot
 * of that name without it (someone else's, another execution's) is never taken for this step's.
 */
function takenByThisExecution(snapshot: Snapshot, execution: string): boolean {
  return snapshot.tags.some(t => t.Key === TAG.execution && t.Value === execution)
}

function whereToSee(kind: Database['kind'], name: string, region: string): string {
  const cli =
    kind === 'instance'
      ? `aws rds describe-db-snapshots --db-snapshot-identifier ${name} --region ${region}`
      : `aws rds describe-db-cluster-snapshots --db-cluster-snapshot-identifier ${name} --region ${region}`
  return `in the RDS console (Snapshots, Manual, region ${region}) or with: ${cli}`
}

function restoreCommand(db: Database, name: string, region: string): string {
  return db.kind === 'instance'
    ? `aws rds restore-db-instance-from-db-snapshot --db-snapshot-identifier ${name} --db-instance-identifier ${db.id}-restored --region ${region}`
    : `aws rds restore-db-cluster-from-snapshot --snapshot-identifier ${name} --db-cluster-identifier ${db.id}-restored --engine ${db.engine} --region ${region}` +
        ` (then add an instance to it with aws rds create-db-instance --db-cluster-identifier ${db.id}-restored)`
}

const progressText = (s: Snapshot): string => `${s.status}${s.percent !== undefined ? `, ${s.percent}%` : ''}`

// ---------------------------------------------------------------------------------------------------------------
// The step
// ---------------------------------------------------------------------------------------------------------------

/** Runs the backup step before the task. Never throws: a failure is the result's `failure`. */
export async function runBackup(plan: BackupPlan, deps: BackupDeps): Promise<BackupResult> {
  const report: BackupReport = { mode: plan.mode, dbIdentifier: plan.dbIdentifier, dryRun: false }
  try {
    const db = await findDatabase(deps, plan.dbIdentifier)
    report.database = { kind: db.kind, engine: db.engine, status: db.status }
    if (plan.mode === 'verify') return verifyStep(plan, deps, db, report)
    return await snapshotStep(plan, deps, db, report)
  } catch (error) {
    return { report, failure: failureOf(error, deps, plan) }
  }
}

/** dry-run: what would be verified or snapshotted, with read calls only. */
export async function dryRunBackup(plan: BackupPlan, deps: BackupDeps): Promise<BackupResult> {
  const report: BackupReport = { mode: plan.mode, dbIdentifier: plan.dbIdentifier, dryRun: true }
  try {
    const db = await findDatabase(deps, plan.dbIdentifier)
    report.database = { kind: db.kind, engine: db.engine, status: db.status }
    if (plan.mode === 'verify') {
      const result = verifyStep(plan, deps, db, report)
      if (!result.failure) deps.say(`Dry run: the backup check above is what a run would do before starting the task.`)
      return result
    }
    const name = nameFor(deps, db)
    const existing = await describeSnapshot(deps, db.kind, name, CALL_TRIES)
    const size = db.allocatedStorageGiB !== undefined ? `, ${db.allocatedStorageGiB} GiB` : ''
    report.snapshot = { id: name, status: 'not taken (dry run)', outcome: 'unknown', reused: false }
    report.restore = restoreCommand(db, name, deps.region)
    // The name is this dry run's own, so it should not exist: the look checks that RDS answers for such names.
    if (existing) return { report, failure: alreadyExists(db, name, deps.region) }
    deps.say(
      `Dry run: a run would take a snapshot named like ${name} (the last part is each run's own) of ${kindName(db.kind)} ${db.id} ` +
        `(${db.engine}, ${db.status}${size}), wait up to ${plan.timeoutMinutes} minutes for it, then start the task.`
    )
    if (db.status !== 'available')
      deps.say(`Dry run: ${kindName(db.kind)} ${db.id} is ${db.status}: RDS snapshots only an available database, so a run would fail now.`)
    return { report }
  } catch (error) {
    return { report, failure: failureOf(error, deps, plan) }
  }
}

function nameFor(deps: BackupDeps, db: Database): string {
  return snapshotName({
    kind: db.kind,
    db: db.id,
    task: deps.task,
    runId: deps.identity.runId,
    runAttempt: deps.identity.runAttempt,
    execution: deps.execution,
    at: deps.clock.now()
  })
}

function verifyStep(plan: BackupPlan, deps: BackupDeps, db: Database, report: BackupReport): BackupResult {
  const verdict = verifyBackups(db, deps.clock.now(), plan.maxAgeMinutes, deps.names)
  report.verified = { passed: verdict.passed, found: verdict.found }
  if (!verdict.passed) return { report, failure: `Backup check failed: ${verdict.found}. ${verdict.fix ?? ''} Nothing was started.` }
  deps.say(
    `Backup check passed: ${verdict.found} (${(deps.names ?? INPUT_NAMES).value(Inputs.BackupMaxAgeMinutes, String(plan.maxAgeMinutes))}).`
  )
  return { report }
}

function alreadyExists(db: Database, name: string, region: string): string {
  return (
    `A ${db.kind === 'instance' ? 'DB snapshot' : 'DB cluster snapshot'} named ${name} already exists and was not taken by this execution: ` +
    `nothing was started. Look at it ${whereToSee(db.kind, name, region)}; delete or rename it if it is not needed.`
  )
}

async function snapshotStep(plan: BackupPlan, deps: BackupDeps, db: Database, report: BackupReport): Promise<BackupResult> {
  const name = nameFor(deps, db)
  const tags = snapshotTags(deps.identity, deps.task, deps.execution)
  const started = deps.clock.now()
  const size = db.allocatedStorageGiB !== undefined ? `, ${db.allocatedStorageGiB} GiB` : ''
  report.restore = restoreCommand(db, name, deps.region)
  deps.say(`Taking snapshot ${name} of ${kindName(db.kind)} ${db.id} (${db.engine}${size}) before ${deps.task}…`)
  let snapshot: Snapshot | undefined
  let reused = false
  try {
    snapshot = await createSnapshot(deps, db, name, tags)
  } catch (error) {
    if (deps.signal?.aborted) {
      report.snapshot = { id: name, status: 'unknown', outcome: 'unknown', reused: false }
      return {
        report,
        failure: `Cancelled while asking RDS for snapshot ${name}: nothing was started. The snapshot may have been created; look ${whereToSee(db.kind, name, deps.region)}.`
      }
    }
    if (!isAlreadyExists(error)) throw error
    // Taken already: by an earlier try of this very call (its answer lost), or by someone else.
    const existing = await describeSnapshot(deps, db.kind, name, CALL_TRIES)
    if (!existing || !takenByThisExecution(existing, deps.execution)) return { report, failure: alreadyExists(db, name, deps.region) }
    deps.say(
      `Snapshot ${name} was already created by an earlier try of this request (its answer was lost): using it (${progressText(existing)}).`
    )
    snapshot = existing
    reused = true
  }
  let current: Snapshot = snapshot ?? { id: name, status: 'creating', tags }
  const record = (outcome: SnapshotOutcome): void => {
    report.snapshot = { id: current.id || name, status: current.status, outcome, reused }
    if (current.arn) report.snapshot.arn = current.arn
    if (current.allocatedStorageGiB !== undefined) report.snapshot.allocatedStorageGiB = current.allocatedStorageGiB
  }
  record('unknown')
  try {
    current = await waitUntilAvailable(plan, deps, db, current, started)
  } catch (error) {
    if (!(error instanceof SnapshotWaitError)) throw error
    current = error.last
    record(error.outcome)
    return { report, failure: error.message }
  }
  record('available')
  const took = deps.clock.now() - started
  if (report.snapshot) report.snapshot.tookMs = took
  deps.say(
    `Snapshot ${name} is available after ${formatDuration(took)}${current.allocatedStorageGiB !== undefined ? ` (${current.allocatedStorageGiB} GiB)` : ''}. ` +
      `To restore from it: ${report.restore}`
  )
  return { report }
}

class SnapshotWaitError extends Error {
  constructor(
    message: string,
    readonly last: Snapshot,
    readonly outcome: Exclude<SnapshotOutcome, 'available' | 'unknown'>
  ) {
    super(message)
  }
}

/** Asks for the snapshot's status until it is available: quickly at first, then every `pollMs`; progress every ~30 s. */
async function waitUntilAvailable(plan: BackupPlan, deps: BackupDeps, db: Database, first: Snapshot, started: number): Promise<Snapshot> {
  const pollMs = deps.pollMs ?? 15_000
  const progressEveryMs = deps.progressEveryMs ?? 30_000
  const deadline = started + plan.timeoutMinutes * 60_000
  const errors = new Backoff(2_000, pollMs)
  let delay = Math.min(2_000, pollMs)
  let current = first
  let lastProgress = started
  let lastError: unknown
  const elapsed = (): string => formatDuration(deps.clock.now() - started)
  for (;;) {
    if (current.status === 'available') return current
    if (FAILED_SNAPSHOT.has(current.status)) {
      throw new SnapshotWaitError(
        `Snapshot ${current.id} of ${kindName(db.kind)} ${db.id} ended ${current.status} after ${elapsed()}: nothing was started. Look at it and the database's RDS events ${whereToSee(db.kind, current.id, deps.region)}.`,
        current,
        'failed'
      )
    }
    const now = deps.clock.now()
    if (now >= deadline) {
      const why = lastError ? ` (last error asking for it: ${errorText(lastError)})` : ''
      throw new SnapshotWaitError(
        `Snapshot ${current.id} was not available within ${(deps.names ?? INPUT_NAMES).name(Inputs.BackupTimeoutMinutes)} (${plan.timeoutMinutes}): ${progressText(current)} after ${elapsed()}${why}. ` +
          `Nothing was started. The snapshot goes on in RDS; see it ${whereToSee(db.kind, current.id, deps.region)}.`,
        current,
        'timed-out'
      )
    }
    if (now - lastProgress >= progressEveryMs) {
      deps.say(`Snapshot ${current.id}: ${progressText(current)} after ${elapsed()}…`)
      lastProgress = now
    }
    try {
      await deps.clock.sleep(Math.max(0, Math.min(delay, deadline - now)), deps.signal)
      delay = Math.min(delay * 2, pollMs)
      const seen = await describeSnapshot(deps, db.kind, current.id)
      if (!seen) {
        throw new SnapshotWaitError(
          `Snapshot ${current.id} disappeared while it was being taken (deleted?) after ${elapsed()}: nothing was started.`,
          current,
          'failed'
        )
      }
      current = seen
      lastError = undefined
      errors.reset()
    } catch (error) {
      if (error instanceof SnapshotWaitError) throw error
      if (deps.signal?.aborted) {
        throw new SnapshotWaitError(
          `Cancelled while waiting for snapshot ${current.id} (${progressText(current)} after ${elapsed()}): nothing was started. ` +
            `The snapshot goes on in RDS; see it ${whereToSee(db.kind, current.id, deps.region)}.`,
          current,
          'cancelled'
        )
      }
      if (!isTransient(error)) throw error
      lastError = error
      await sleepQuietly(deps, errors.next())
    }
  }
}

/** A pause between failed tries; a cancellation during it is seen at the next look. */
async function sleepQuietly(deps: BackupDeps, ms: number): Promise<void> {
  try {
    await deps.clock.sleep(ms, deps.signal)
  } catch {
    // cancelled: the loop's next sleep rethrows it as the cancellation
  }
}

function failureOf(error: unknown, deps: BackupDeps, plan: BackupPlan): string {
  if (error instanceof BackupError) return error.message
  if (deps.signal?.aborted) return `Cancelled during the backup step (${plan.mode} of ${plan.dbIdentifier}): nothing was started.`
  if (isExpiredCredentials(error)) return `${credentialsExpired(error)}. Nothing was started.`
  const hint = rdsRefusalHint(error)
  if (hint) return `RDS cannot snapshot ${plan.dbIdentifier} now: ${errorText(error).replace(/\.$/, '')}. ${hint} Nothing was started.`
  if (isAccessDenied(error))
    return `RDS refused a call of the backup step for ${plan.dbIdentifier}: ${errorText(error)}. Grant the RDS permissions listed in the README (Backups before migrations). Nothing was started.`
  return `The backup step (${plan.mode} of ${plan.dbIdentifier}) failed: ${errorText(error)}. Nothing was started.`
}
