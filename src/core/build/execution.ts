/**
 * One execution of the step: the token that tells it apart from every other. It is StartBuild's idempotency token,
 * the build's `TASK_RUN_TOKEN` (how the step, and its post step, find the build whose start answer never came), the
 * snapshot's `codebuild-vpc-task:execution` tag, and (its first characters) part of the snapshot's name.
 *
 * Random, made once per execution: the environment GitHub gives a step has no id of its own. GITHUB_RUN_ID,
 * GITHUB_RUN_ATTEMPT, GITHUB_JOB and GITHUB_ACTION are the same for every leg of a matrix (GITHUB_JOB is the job's
 * key, not the leg), GITHUB_ACTION repeats across jobs for steps without an id (`__owner_repo` for an action,
 * `__run` for a script, `_2`, `_3`, … added for repeats within the job), and two callers of one reusable workflow
 * share its job and step ids. A token made of them would be shared by executions that must each start their own
 * build. The run's identity travels with the build and the snapshot separately (GITHUB_* variables, github:* tags).
 *
 * Stable where it must be: made once, before anything is asked of AWS, it is the same for every try of the one
 * StartBuild (the SDK's retries and the action's own) and of the one CreateDB(Cluster)Snapshot, and it is saved
 * (state `start-token`) before StartBuild is sent, so the post step stops only the build carrying it.
 */
import { randomBytes } from 'node:crypto'

/** 160 random bits as 40 lowercase hex characters: far below any chance of two executions drawing the same. */
const TOKEN_BYTES = 20

/** How many of the token's characters name the execution in a snapshot's name (32 bits; the tag holds the rest). */
export const EXECUTION_MARK_LENGTH = 8

export function newExecutionToken(random: (size: number) => Uint8Array = randomBytes): string {
  const bytes = random(TOKEN_BYTES)
  if (bytes.length !== TOKEN_BYTES) throw new Error(`expected ${TOKEN_BYTES} random bytes, got ${bytes.length}`)
  return Buffer.from(bytes).toString('hex')
}

/** The part of the token that goes into names: its first characters, lowercase hex (valid anywhere RDS allows). */
export function executionMark(token: string): string {
  const mark = token
    .toLowerCase()
    .replace(/[^0-9a-z]/g, '')
    .slice(0, EXECUTION_MARK_LENGTH)
  if (mark.length === 0) throw new Error('an execution token without letters or digits')
  return mark
}
