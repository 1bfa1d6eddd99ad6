export const id = 87;
export const ids = [87];
export const modules = {

/***/ 2087:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  dryRunBackup: () => (/* reexport */ dryRunBackup),
  runBackup: () => (/* reexport */ runBackup)
});

// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-rds/dist-cjs/index.js
var dist_cjs = __webpack_require__(7202);
// EXTERNAL MODULE: ./src/core/errors/errors.ts
var errors_errors = __webpack_require__(8692);
// EXTERNAL MODULE: ./src/core/errors/aws-errors.ts
var aws_errors = __webpack_require__(8132);
// EXTERNAL MODULE: ./src/core/support/names.generated.ts
var names_generated = __webpack_require__(1564);
// EXTERNAL MODULE: ./src/core/support/text.ts
var support_text = __webpack_require__(7372);
// EXTERNAL MODULE: ./src/core/aws/retry.ts
var retry = __webpack_require__(6771);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: ./src/core/build/execution.ts
var execution = __webpack_require__(6114);
;// CONCATENATED MODULE: ./src/core/backup/snapshot-name.ts
/**
 * The name of the snapshot taken before a task: `gha-<db>-<task>-<run>-<attempt>-<execution>`, valid under RDS's
 * identifier rules (letters, digits and hyphens, a letter first, no double or trailing hyphen, lowercase as RDS
 * stores it) and within the length limit of its kind. The database part is shortened when needed, never the rest.
 * The execution part (src/core/build/execution.ts) makes it one execution's own: every leg of a matrix, every job of the
 * run, has the same run and attempt (and, without step ids, the same step id), so only it tells them apart.
 */


/** Every snapshot the action takes starts with this: the IAM policy grants snapshots of this prefix only. */
const SNAPSHOT_PREFIX = 'gha-';
/** RDS's limits: 255 characters for a DB snapshot identifier, 63 for a DB cluster snapshot identifier. */
const SNAPSHOT_NAME_LIMIT = { instance: 255, cluster: 63 };
/** Lowercase letters, digits and single hyphens, none at either end. */
function clean(text) {
    return text
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '');
}
const hash6 = (text) => (0,external_node_crypto_.createHash)('sha256').update(text).digest('hex').slice(0, 6);
/** A long piece cut to `max` characters, ending in a short hash of the whole so that two long ones stay apart. */
function shorten(piece, original, max) {
    if (piece.length <= max)
        return piece;
    if (max < 8)
        return piece.slice(0, max).replace(/-+$/, '');
    const head = piece.slice(0, Math.max(1, max - 7)).replace(/-+$/, '');
    return `${head}-${hash6(original)}`;
}
function timestamp(ms) {
    return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
function snapshotName(parts) {
    const limit = SNAPSHOT_NAME_LIMIT[parts.kind];
    const runId = clean(parts.runId ?? '');
    const run = runId ? [runId, clean(parts.runAttempt ?? '') || '1'] : [timestamp(parts.at)];
    const tail = [clean(parts.task), ...run, (0,execution/* executionMark */.sv)(parts.execution)].filter(Boolean).join('-');
    const db = clean(parts.db) || 'db';
    // What is left for the database once the prefix, the hyphen and the tail are counted.
    const room = limit - SNAPSHOT_PREFIX.length - 1 - tail.length;
    if (room < 1)
        throw new Error(`a snapshot name for run ${run.join('-')} does not fit in ${limit} characters`);
    return `${SNAPSHOT_PREFIX}${shorten(db, parts.db, room)}-${tail}`;
}
/** RDS's rule for a snapshot identifier of this kind. */
function isValidSnapshotName(name, kind) {
    return name.length <= SNAPSHOT_NAME_LIMIT[kind] && /^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*$/.test(name) && !name.endsWith('-');
}

;// CONCATENATED MODULE: ./src/core/backup/backup.ts
/**
 * The backup step before the task (`backup`): find the database (an RDS DB instance or an Aurora DB cluster), then
 * either verify that its automated backups are on and recent, or take a manual snapshot and wait until it is
 * available. Either way the step ends with a report (for the summary and the outputs) and, when the task must not
 * start, the reason. Every RDS call is bounded in time and its transient errors retried.
 */





/** One RDS call, the SDK's retries included, gets this long. */
const CALL_LIMIT_MS = 45_000;
const CALL_TRIES = 3;
const FAILED_SNAPSHOT = new Set(['failed', 'incompatible-restore', 'incompatible-parameters', 'deleting', 'deleted']);
class BackupError extends Error {
    name = 'BackupError';
}
const kindName = (kind) => (kind === 'instance' ? 'DB instance' : 'DB cluster');
/** Automated backups on (retention ≥ 1 day) and a latest restorable time at most `maxAgeMinutes` old. */
function verifyBackups(db, nowMs, maxAgeMinutes, names = errors_errors/* INPUT_NAMES */.Qh) {
    const what = `${kindName(db.kind)} ${db.id} (${db.engine}, ${db.status})`;
    const modify = db.kind === 'instance'
        ? `aws rds modify-db-instance --db-instance-identifier ${db.id} --backup-retention-period 7 --apply-immediately`
        : `aws rds modify-db-cluster --db-cluster-identifier ${db.id} --backup-retention-period 7 --apply-immediately`;
    const orSnapshot = `or use ${names.value(names_generated/* Inputs */.G.Backup, 'snapshot')} to take a snapshot before the task instead.`;
    if (db.retentionDays < 1) {
        return {
            passed: false,
            found: `${what} has automated backups turned off (backup retention period ${db.retentionDays} days)`,
            fix: `Turn them on with a retention of at least 1 day (${modify}), ${orSnapshot}`
        };
    }
    const retention = `automated backups kept ${db.retentionDays} day${db.retentionDays === 1 ? '' : 's'}`;
    if (!db.latestRestorableTime) {
        return {
            passed: false,
            found: `${what} has ${retention} but no latest restorable time yet`,
            fix: `Wait until RDS has taken the first automated backup (after backups are turned on), ${orSnapshot}`
        };
    }
    const ageMs = Math.max(0, nowMs - db.latestRestorableTime.getTime());
    const found = `${what} has ${retention}; latest restorable time ${db.latestRestorableTime.toISOString()}, ${(0,support_text/* formatDuration */.a3)(ageMs)} ago`;
    if (ageMs > maxAgeMinutes * 60_000) {
        return {
            passed: false,
            found: `${found}, older than ${names.name(names_generated/* Inputs */.G.BackupMaxAgeMinutes)} (${maxAgeMinutes})`,
            fix: `RDS keeps the latest restorable time within about 5 minutes of now while the database is available and its transaction logs are backed up: ` +
                `check that the database is available and look for backup failures in its RDS events; raise ${names.name(names_generated/* Inputs */.G.BackupMaxAgeMinutes)}, ${orSnapshot}`
        };
    }
    return { passed: true, found };
}
// ---------------------------------------------------------------------------------------------------------------
// RDS calls
// ---------------------------------------------------------------------------------------------------------------
/** One call, bounded; transient errors tried again a few times (the SDK already retried each once or more). */
async function call(deps, send) {
    const backoff = new retry/* Backoff */.n(1_000, 10_000);
    for (let attempt = 1;; attempt++) {
        try {
            return await (0,retry/* withTimeLimit */.B)(deps.clock, CALL_LIMIT_MS, deps.signal, send);
        }
        catch (error) {
            if (deps.signal?.aborted || !(0,aws_errors/* isTransient */.dg)(error) || attempt >= CALL_TRIES)
                throw error;
            await deps.clock.sleep(backoff.next(), deps.signal);
        }
    }
}
function fromInstance(i) {
    const db = {
        kind: 'instance',
        id: i.DBInstanceIdentifier ?? '',
        status: i.DBInstanceStatus ?? 'unknown',
        engine: i.Engine ?? 'unknown',
        retentionDays: i.BackupRetentionPeriod ?? 0
    };
    if (i.DBInstanceArn)
        db.arn = i.DBInstanceArn;
    if (i.LatestRestorableTime)
        db.latestRestorableTime = i.LatestRestorableTime;
    if (i.AllocatedStorage !== undefined)
        db.allocatedStorageGiB = i.AllocatedStorage;
    if (i.DBClusterIdentifier)
        db.clusterId = i.DBClusterIdentifier;
    return db;
}
function fromCluster(c) {
    const db = {
        kind: 'cluster',
        id: c.DBClusterIdentifier ?? '',
        status: c.Status ?? 'unknown',
        engine: c.Engine ?? 'unknown',
        retentionDays: c.BackupRetentionPeriod ?? 0
    };
    if (c.DBClusterArn)
        db.arn = c.DBClusterArn;
    if (c.LatestRestorableTime)
        db.latestRestorableTime = c.LatestRestorableTime;
    if (c.AllocatedStorage !== undefined)
        db.allocatedStorageGiB = c.AllocatedStorage;
    return db;
}
/** The DB instance named `id`, else the DB cluster: RDS says which it is. */
async function findDatabase(deps, id) {
    const { rds } = deps;
    const missing = [];
    try {
        const answer = await call(deps, s => rds.send(new dist_cjs.DescribeDBInstancesCommand({ DBInstanceIdentifier: id }), { abortSignal: s }));
        const instance = answer.DBInstances?.[0];
        if (instance) {
            const db = fromInstance(instance);
            if (db.clusterId) {
                throw new BackupError(`'${id}' is an instance of Aurora DB cluster '${db.clusterId}': its backups and snapshots are the cluster's. Set ${(deps.names ?? errors_errors/* INPUT_NAMES */.Qh).value(names_generated/* Inputs */.G.DbIdentifier, db.clusterId)}.`);
            }
            return db;
        }
    }
    catch (error) {
        if (error instanceof BackupError || deps.signal?.aborted || !((0,aws_errors/* isNotFound */.c4)(error) || (0,aws_errors/* isAccessDenied */.w7)(error)))
            throw error;
        missing.push(error);
    }
    try {
        const answer = await call(deps, s => rds.send(new dist_cjs.DescribeDBClustersCommand({ DBClusterIdentifier: id }), { abortSignal: s }));
        const cluster = answer.DBClusters?.[0];
        if (cluster)
            return fromCluster(cluster);
    }
    catch (error) {
        if (deps.signal?.aborted || !((0,aws_errors/* isNotFound */.c4)(error) || (0,aws_errors/* isAccessDenied */.w7)(error)))
            throw error;
        missing.push(error);
    }
    const denied = missing.filter(aws_errors/* isAccessDenied */.w7);
    if (denied.length > 0) {
        throw new BackupError(`Could not find out what '${id}' is: RDS refused ${denied.map(aws_errors/* errorText */.kc).join('; ')}. Allow rds:DescribeDBInstances (for an instance) or rds:DescribeDBClusters (for an Aurora cluster) on it.`);
    }
    throw new BackupError(`There is no RDS DB instance or Aurora DB cluster '${id}' in region ${deps.region}: check ${(deps.names ?? errors_errors/* INPUT_NAMES */.Qh).name(names_generated/* Inputs */.G.DbIdentifier)}, the region and the account of the credentials.`);
}
function fromDBSnapshot(s) {
    const snap = { id: s.DBSnapshotIdentifier ?? '', status: s.Status ?? 'unknown', tags: s.TagList ?? [] };
    if (s.DBSnapshotArn)
        snap.arn = s.DBSnapshotArn;
    if (s.PercentProgress !== undefined)
        snap.percent = s.PercentProgress;
    if (s.AllocatedStorage !== undefined)
        snap.allocatedStorageGiB = s.AllocatedStorage;
    return snap;
}
function fromClusterSnapshot(s) {
    const snap = { id: s.DBClusterSnapshotIdentifier ?? '', status: s.Status ?? 'unknown', tags: s.TagList ?? [] };
    if (s.DBClusterSnapshotArn)
        snap.arn = s.DBClusterSnapshotArn;
    if (s.PercentProgress !== undefined)
        snap.percent = s.PercentProgress;
    if (s.AllocatedStorage !== undefined)
        snap.allocatedStorageGiB = s.AllocatedStorage;
    return snap;
}
async function createSnapshot(deps, db, name, tags) {
    const { rds } = deps;
    if (db.kind === 'instance') {
        const answer = await call(deps, s => rds.send(new dist_cjs.CreateDBSnapshotCommand({ DBSnapshotIdentifier: name, DBInstanceIdentifier: db.id, Tags: tags }), { abortSignal: s }));
        return answer.DBSnapshot ? fromDBSnapshot(answer.DBSnapshot) : undefined;
    }
    const answer = await call(deps, s => rds.send(new dist_cjs.CreateDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: name, DBClusterIdentifier: db.id, Tags: tags }), {
        abortSignal: s
    }));
    return answer.DBClusterSnapshot ? fromClusterSnapshot(answer.DBClusterSnapshot) : undefined;
}
/** The snapshot named `name`, or undefined when there is none. One try: the caller's loop retries. */
async function describeSnapshot(deps, kind, name, tries = 1) {
    const { rds } = deps;
    const once = async () => {
        if (kind === 'instance') {
            const answer = await (0,retry/* withTimeLimit */.B)(deps.clock, CALL_LIMIT_MS, deps.signal, s => rds.send(new dist_cjs.DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: name }), { abortSignal: s }));
            const found = answer.DBSnapshots?.[0];
            return found ? fromDBSnapshot(found) : undefined;
        }
        const answer = await (0,retry/* withTimeLimit */.B)(deps.clock, CALL_LIMIT_MS, deps.signal, s => rds.send(new dist_cjs.DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: name }), { abortSignal: s }));
        const found = answer.DBClusterSnapshots?.[0];
        return found ? fromClusterSnapshot(found) : undefined;
    };
    try {
        return tries > 1 ? await call(deps, () => once()) : await once();
    }
    catch (error) {
        if ((0,aws_errors/* isNotFound */.c4)(error) && !deps.signal?.aborted)
            return undefined;
        throw error;
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
};
function snapshotTags(identity, task, execution) {
    const pairs = [
        [TAG.repository, identity.repository],
        [TAG.runId, identity.runId],
        [TAG.runAttempt, identity.runId ? (identity.runAttempt ?? '1') : undefined],
        [TAG.sha, identity.sha],
        [TAG.step, identity.step],
        [TAG.task, task],
        [TAG.execution, execution]
    ];
    return pairs.filter((p) => p[1] !== undefined && p[1] !== '').map(([Key, Value]) => ({ Key, Value }));
}
/**
 * Taken by this very execution: a CreateDB(Cluster)Snapshot that reached RDS but whose answer was lost, tried again
 * (by the SDK or by `call`), is told the name exists. Only the execution's token in its tag says so; a snapshot
 * of that name without it (someone else's, another execution's) is never taken for this step's.
 */
function takenByThisExecution(snapshot, execution) {
    return snapshot.tags.some(t => t.Key === TAG.execution && t.Value === execution);
}
function whereToSee(kind, name, region) {
    const cli = kind === 'instance'
        ? `aws rds describe-db-snapshots --db-snapshot-identifier ${name} --region ${region}`
        : `aws rds describe-db-cluster-snapshots --db-cluster-snapshot-identifier ${name} --region ${region}`;
    return `in the RDS console (Snapshots, Manual, region ${region}) or with: ${cli}`;
}
function restoreCommand(db, name, region) {
    return db.kind === 'instance'
        ? `aws rds restore-db-instance-from-db-snapshot --db-snapshot-identifier ${name} --db-instance-identifier ${db.id}-restored --region ${region}`
        : `aws rds restore-db-cluster-from-snapshot --snapshot-identifier ${name} --db-cluster-identifier ${db.id}-restored --engine ${db.engine} --region ${region}` +
            ` (then add an instance to it with aws rds create-db-instance --db-cluster-identifier ${db.id}-restored)`;
}
const progressText = (s) => `${s.status}${s.percent !== undefined ? `, ${s.percent}%` : ''}`;
// ---------------------------------------------------------------------------------------------------------------
// The step
// ---------------------------------------------------------------------------------------------------------------
/** Runs the backup step before the task. Never throws: a failure is the result's `failure`. */
async function runBackup(plan, deps) {
    const report = { mode: plan.mode, dbIdentifier: plan.dbIdentifier, dryRun: false };
    try {
        const db = await findDatabase(deps, plan.dbIdentifier);
        report.database = { kind: db.kind, engine: db.engine, status: db.status };
        if (plan.mode === 'verify')
            return verifyStep(plan, deps, db, report);
        return await snapshotStep(plan, deps, db, report);
    }
    catch (error) {
        return { report, failure: failureOf(error, deps, plan) };
    }
}
/** dry-run: what would be verified or snapshotted, with read calls only. */
async function dryRunBackup(plan, deps) {
    const report = { mode: plan.mode, dbIdentifier: plan.dbIdentifier, dryRun: true };
    try {
        const db = await findDatabase(deps, plan.dbIdentifier);
        report.database = { kind: db.kind, engine: db.engine, status: db.status };
        if (plan.mode === 'verify') {
            const result = verifyStep(plan, deps, db, report);
            if (!result.failure)
                deps.say(`Dry run: the backup check above is what a run would do before starting the task.`);
            return result;
        }
        const name = nameFor(deps, db);
        const existing = await describeSnapshot(deps, db.kind, name, CALL_TRIES);
        const size = db.allocatedStorageGiB !== undefined ? `, ${db.allocatedStorageGiB} GiB` : '';
        report.snapshot = { id: name, status: 'not taken (dry run)', outcome: 'unknown', reused: false };
        report.restore = restoreCommand(db, name, deps.region);
        // The name is this dry run's own, so it should not exist: the look checks that RDS answers for such names.
        if (existing)
            return { report, failure: alreadyExists(db, name, deps.region) };
        deps.say(`Dry run: a run would take a snapshot named like ${name} (the last part is each run's own) of ${kindName(db.kind)} ${db.id} ` +
            `(${db.engine}, ${db.status}${size}), wait up to ${plan.timeoutMinutes} minutes for it, then start the task.`);
        if (db.status !== 'available')
            deps.say(`Dry run: ${kindName(db.kind)} ${db.id} is ${db.status}: RDS snapshots only an available database, so a run would fail now.`);
        return { report };
    }
    catch (error) {
        return { report, failure: failureOf(error, deps, plan) };
    }
}
function nameFor(deps, db) {
    return snapshotName({
        kind: db.kind,
        db: db.id,
        task: deps.task,
        runId: deps.identity.runId,
        runAttempt: deps.identity.runAttempt,
        execution: deps.execution,
        at: deps.clock.now()
    });
}
function verifyStep(plan, deps, db, report) {
    const verdict = verifyBackups(db, deps.clock.now(), plan.maxAgeMinutes, deps.names);
    report.verified = { passed: verdict.passed, found: verdict.found };
    if (!verdict.passed)
        return { report, failure: `Backup check failed: ${verdict.found}. ${verdict.fix ?? ''} Nothing was started.` };
    deps.say(`Backup check passed: ${verdict.found} (${(deps.names ?? errors_errors/* INPUT_NAMES */.Qh).value(names_generated/* Inputs */.G.BackupMaxAgeMinutes, String(plan.maxAgeMinutes))}).`);
    return { report };
}
function alreadyExists(db, name, region) {
    return (`A ${db.kind === 'instance' ? 'DB snapshot' : 'DB cluster snapshot'} named ${name} already exists and was not taken by this execution: ` +
        `nothing was started. Look at it ${whereToSee(db.kind, name, region)}; delete or rename it if it is not needed.`);
}
async function snapshotStep(plan, deps, db, report) {
    const name = nameFor(deps, db);
    const tags = snapshotTags(deps.identity, deps.task, deps.execution);
    const started = deps.clock.now();
    const size = db.allocatedStorageGiB !== undefined ? `, ${db.allocatedStorageGiB} GiB` : '';
    report.restore = restoreCommand(db, name, deps.region);
    deps.say(`Taking snapshot ${name} of ${kindName(db.kind)} ${db.id} (${db.engine}${size}) before ${deps.task}…`);
    let snapshot;
    let reused = false;
    try {
        snapshot = await createSnapshot(deps, db, name, tags);
    }
    catch (error) {
        if (deps.signal?.aborted) {
            report.snapshot = { id: name, status: 'unknown', outcome: 'unknown', reused: false };
            return {
                report,
                failure: `Cancelled while asking RDS for snapshot ${name}: nothing was started. The snapshot may have been created; look ${whereToSee(db.kind, name, deps.region)}.`
            };
        }
        if (!(0,aws_errors/* isAlreadyExists */.x9)(error))
            throw error;
        // Taken already: by an earlier try of this very call (its answer lost), or by someone else.
        const existing = await describeSnapshot(deps, db.kind, name, CALL_TRIES);
        if (!existing || !takenByThisExecution(existing, deps.execution))
            return { report, failure: alreadyExists(db, name, deps.region) };
        deps.say(`Snapshot ${name} was already created by an earlier try of this request (its answer was lost): using it (${progressText(existing)}).`);
        snapshot = existing;
        reused = true;
    }
    let current = snapshot ?? { id: name, status: 'creating', tags };
    const record = (outcome) => {
        report.snapshot = { id: current.id || name, status: current.status, outcome, reused };
        if (current.arn)
            report.snapshot.arn = current.arn;
        if (current.allocatedStorageGiB !== undefined)
            report.snapshot.allocatedStorageGiB = current.allocatedStorageGiB;
    };
    record('unknown');
    try {
        current = await waitUntilAvailable(plan, deps, db, current, started);
    }
    catch (error) {
        if (!(error instanceof SnapshotWaitError))
            throw error;
        current = error.last;
        record(error.outcome);
        return { report, failure: error.message };
    }
    record('available');
    const took = deps.clock.now() - started;
    if (report.snapshot)
        report.snapshot.tookMs = took;
    deps.say(`Snapshot ${name} is available after ${(0,support_text/* formatDuration */.a3)(took)}${current.allocatedStorageGiB !== undefined ? ` (${current.allocatedStorageGiB} GiB)` : ''}. ` +
        `To restore from it: ${report.restore}`);
    return { report };
}
class SnapshotWaitError extends Error {
    last;
    outcome;
    constructor(message, last, outcome) {
        super(message);
        this.last = last;
        this.outcome = outcome;
    }
}
/** Asks for the snapshot's status until it is available: quickly at first, then every `pollMs`; progress every ~30 s. */
async function waitUntilAvailable(plan, deps, db, first, started) {
    const pollMs = deps.pollMs ?? 15_000;
    const progressEveryMs = deps.progressEveryMs ?? 30_000;
    const deadline = started + plan.timeoutMinutes * 60_000;
    const errors = new retry/* Backoff */.n(2_000, pollMs);
    let delay = Math.min(2_000, pollMs);
    let current = first;
    let lastProgress = started;
    let lastError;
    const elapsed = () => (0,support_text/* formatDuration */.a3)(deps.clock.now() - started);
    for (;;) {
        if (current.status === 'available')
            return current;
        if (FAILED_SNAPSHOT.has(current.status)) {
            throw new SnapshotWaitError(`Snapshot ${current.id} of ${kindName(db.kind)} ${db.id} ended ${current.status} after ${elapsed()}: nothing was started. Look at it and the database's RDS events ${whereToSee(db.kind, current.id, deps.region)}.`, current, 'failed');
        }
        const now = deps.clock.now();
        if (now >= deadline) {
            const why = lastError ? ` (last error asking for it: ${(0,aws_errors/* errorText */.kc)(lastError)})` : '';
            throw new SnapshotWaitError(`Snapshot ${current.id} was not available within ${(deps.names ?? errors_errors/* INPUT_NAMES */.Qh).name(names_generated/* Inputs */.G.BackupTimeoutMinutes)} (${plan.timeoutMinutes}): ${progressText(current)} after ${elapsed()}${why}. ` +
                `Nothing was started. The snapshot goes on in RDS; see it ${whereToSee(db.kind, current.id, deps.region)}.`, current, 'timed-out');
        }
        if (now - lastProgress >= progressEveryMs) {
            deps.say(`Snapshot ${current.id}: ${progressText(current)} after ${elapsed()}…`);
            lastProgress = now;
        }
        try {
            await deps.clock.sleep(Math.max(0, Math.min(delay, deadline - now)), deps.signal);
            delay = Math.min(delay * 2, pollMs);
            const seen = await describeSnapshot(deps, db.kind, current.id);
            if (!seen) {
                throw new SnapshotWaitError(`Snapshot ${current.id} disappeared while it was being taken (deleted?) after ${elapsed()}: nothing was started.`, current, 'failed');
            }
            current = seen;
            lastError = undefined;
            errors.reset();
        }
        catch (error) {
            if (error instanceof SnapshotWaitError)
                throw error;
            if (deps.signal?.aborted) {
                throw new SnapshotWaitError(`Cancelled while waiting for snapshot ${current.id} (${progressText(current)} after ${elapsed()}): nothing was started. ` +
                    `The snapshot goes on in RDS; see it ${whereToSee(db.kind, current.id, deps.region)}.`, current, 'cancelled');
            }
            if (!(0,aws_errors/* isTransient */.dg)(error))
                throw error;
            lastError = error;
            await sleepQuietly(deps, errors.next());
        }
    }
}
/** A pause between failed tries; a cancellation during it is seen at the next look. */
async function sleepQuietly(deps, ms) {
    try {
        await deps.clock.sleep(ms, deps.signal);
    }
    catch {
        // cancelled: the loop's next sleep rethrows it as the cancellation
    }
}
function failureOf(error, deps, plan) {
    if (error instanceof BackupError)
        return error.message;
    if (deps.signal?.aborted)
        return `Cancelled during the backup step (${plan.mode} of ${plan.dbIdentifier}): nothing was started.`;
    if ((0,aws_errors/* isExpiredCredentials */.CW)(error))
        return `${(0,errors_errors/* credentialsExpired */.Mo)(error)}. Nothing was started.`;
    const hint = (0,aws_errors/* rdsRefusalHint */.jv)(error);
    if (hint)
        return `RDS cannot snapshot ${plan.dbIdentifier} now: ${(0,aws_errors/* errorText */.kc)(error).replace(/\.$/, '')}. ${hint} Nothing was started.`;
    if ((0,aws_errors/* isAccessDenied */.w7)(error))
        return `RDS refused a call of the backup step for ${plan.dbIdentifier}: ${(0,aws_errors/* errorText */.kc)(error)}. Grant the RDS permissions listed in the README (Backups before migrations). Nothing was started.`;
    return `The backup step (${plan.mode} of ${plan.dbIdentifier}) failed: ${(0,aws_errors/* errorText */.kc)(error)}. Nothing was started.`;
}

;// CONCATENATED MODULE: ./src/core/backup/index.ts
/**
 * The public entry of src/core/backup: what the rest of src/ may use. Its values are loaded lazily (run/gate.ts
 * imports this entry with import()), so the RDS SDK is a chunk of its own in dist/: keep every static import of it
 * type-only.
 */



/***/ })

};
