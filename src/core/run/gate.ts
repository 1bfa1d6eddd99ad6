/**
 * What must hold between the preflight and StartBuild, for both front-ends: no other build in the way (if-running),
 * then the backup step, then one more look (a snapshot can take long and another build may have started meanwhile).
 */
import type { Build, CodeBuildClient } from '@aws-sdk/client-codebuild'
import type { BackupDeps, BackupReport } from '../backup/index.js'
import type { AwsClients } from '../aws/index.js'
import type { Clock } from '../support/index.js'
import type { Plan, RunIdentity } from '../plan/index.js'
import { handleRunningBuilds } from '../build/index.js'

export interface GateDeps {
  codebuild: CodeBuildClient
  clock: Clock
  say: (message: string) => void
  signal: AbortSignal
  /** The first look for running builds, when it went out with the preflight. */
  firstLook?: Promise<Build[]>
  backup: () => Promise<BackupDeps>
}

/** Resolves when the build may start; `failure` says why not when the backup step refused. */
export async function gateBeforeStart(plan: Plan, deps: GateDeps): Promise<{ backup?: BackupReport; failure?: string }> {
  const othersDone = async (first?: Promise<Build[]>): Promise<void> => {
    await handleRunningBuilds({
      codebuild: deps.codebuild,
      clock: deps.clock,
      projectName: plan.projectName,
      region: plan.region,
      mode: plan.ifRunning,
      ...(plan.names ? { names: plan.names } : {}),
      timeoutMs: plan.ifRunningTimeoutMinutes * 60_000,
      notice: deps.say,
      signal: deps.signal,
      ...(first ? { first } : {})
    })
    deps.signal.throwIfAborted()
  }
  await othersDone(deps.firstLook)
  if (!plan.backup) return {}
  // After the checks that could refuse the build (no snapshot for a build that would not start), before StartBuild.
  const { runBackup } = await loadBackup()
  const backup = await runBackup(plan.backup, await deps.backup())
  if (backup.failure) return { backup: backup.report, failure: backup.failure }
  await othersDone()
  return { backup: backup.report }
}

/** A dry run's gate: the backup step's read-only checks (nothing is created); `failure` says why it would refuse. */
export async function gateDryRun(plan: Plan, backupDeps: () => Promise<BackupDeps>): Promise<{ backup?: BackupReport; failure?: string }> {
  if (!plan.backup) return {}
  const { dryRunBackup } = await loadBackup()
  const backup = await dryRunBackup(plan.backup, await backupDeps())
  return backup.failure ? { backup: backup.report, failure: backup.failure } : { backup: backup.report }
}

/** The backup step's code, with the RDS SDK it needs: loaded only by runs that have the step. */
const loadBackup = (): Promise<typeof import('../backup/index.js')> => import('../backup/index.js')

/** The backup step's dependencies for a plan (its RDS client is loaded and created only when the step runs). */
export function backupDepsFor(
  plan: Plan,
  o: {
    clients: Pick<AwsClients, 'rds'>
    clock: Clock
    identity: RunIdentity
    execution: string
    say: (message: string) => void
    signal: AbortSignal
  }
): () => Promise<BackupDeps> {
  return async () => ({
    rds: await o.clients.rds(),
    clock: o.clock,
    region: plan.region,
    task: plan.task,
    identity: o.identity,
    execution: o.execution,
    say: o.say,
    signal: o.signal,
    ...(plan.names ? { names: plan.names } : {})
  })
}
