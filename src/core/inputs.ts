/**
 * Inputs → a typed, validated plan, before any AWS call. Every problem is one line that names the
 * input and says what was expected.
 */
import { ComputeType } from '@aws-sdk/client-codebuild'
import { BACKUP_MODES, IF_RUNNING, Inputs, PROJECT_LOOKUP, PR_COMMENT, TASKS } from './constants.js'
import type { BackupMode, IfRunning, ProjectLookup, Task } from './constants.js'
import { CommandSyntaxError, splitCommand } from './command.js'
import { IMAGE_FORM, parseImageUri } from './image.js'
import type { ImageRef } from './image.js'
import { bundledBuildspecPath, loadBuildspec, loadCustomBuildspec } from './buildspec.js'
import type { Buildspec } from './buildspec.js'
import { INPUT_NAMES, InputError } from './errors.js'
import type { SettingNames } from './errors.js'
import { checkStartLimits } from './start-limits.js'
import { PLAN_DIGEST } from './plan-digest.js'
import { inline } from './text.js'
import { parseVariables } from './variables.js'
import type { TaskVariable } from './variables.js'

export { InputError } from './errors.js'

export interface Plan {
  /** How the front end writes a setting in its messages (the action's input names when absent). */
  names?: SettingNames
  projectName: string
  task: Task
  image?: ImageRef
  /** The words the container gets; the task name when no command was given. */
  argv: string[]
  command?: string
  buildspec: Buildspec
  variables: TaskVariable[]
  region: string
  timeoutMinutes?: number
  /** At most this many GetLogEvents calls a minute for this run (the account's quota is shared). */
  maxLogRequestsPerMinute?: number
  /** How long the build may wait in CodeBuild's queue (sent as its queued timeout). */
  queuedTimeoutMinutes?: number
  computeType?: ComputeType
  wait: boolean
  showLogs: boolean
  ifRunning: IfRunning
  /** With if-running: wait, how long to wait for the other build before failing. */
  ifRunningTimeoutMinutes: number
  /** required: a failed project lookup with variables set starts nothing (they could replace the project's secrets). */
  projectLookup: ProjectLookup
  stopOnCancel: boolean
  dryRun: boolean
  /** The sticky pull-request comment: off, or on with the key that tells it apart and the token that writes it. */
  prComment: { enabled: false } | { enabled: true; key: string; token: string }
  /** Absent with backup: none. */
  backup?: BackupPlan
  /** migrate only: the plan-digest the task must find for its pending migrations (sent as APPROVED_PLAN_DIGEST). */
  approvedPlanDigest?: string
}

/** What to make sure of before the task starts: recent automated backups, or a fresh snapshot. */
export interface BackupPlan {
  mode: Exclude<BackupMode, 'none'>
  /** An RDS DB instance or Aurora DB cluster identifier: which one is found out from RDS. */
  dbIdentifier: string
  /** verify: the latest restorable time may be at most this old. */
  maxAgeMinutes: number
  /** snapshot: how long the snapshot may take to become available. */
  timeoutMinutes: number
}

/** Reads one input, trimmed, '' when absent (the contract of core.getInput). */
export type InputReader = (name: string) => string

export interface PlanContext {
  /** How the front end writes a setting (default: the action's input names). */
  names?: SettingNames
  env: NodeJS.ProcessEnv
  /** Root of the action (where buildspecs/ lives). */
  actionRoot: string
  /** Where relative buildspec paths are resolved: GITHUB_WORKSPACE. */
  workspace: string
}

const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/
const REGION = /^[a-z]{2,}(?:-[a-z]+)+-\d+$/
const COMPUTE_TYPES = Object.values(ComputeType) as string[]
const MIN_TIMEOUT = 5
const MAX_TIMEOUT = 2160
/** CodeBuild's range for a build's queued timeout. */
const MIN_QUEUED_TIMEOUT = 5
const MAX_QUEUED_TIMEOUT = 480
/** RDS's rule for DB instance and cluster identifiers: 1-63 letters, digits, hyphens; a letter first; no -- or trailing -. */
const DB_IDENTIFIER = /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}$/
const DEFAULT_BACKUP_MAX_AGE = 15
const MAX_BACKUP_MAX_AGE = 10_080
const DEFAULT_BACKUP_TIMEOUT = 60
const MAX_BACKUP_TIMEOUT = 1440
const DEFAULT_IF_RUNNING_TIMEOUT = 30
const MAX_IF_RUNNING_TIMEOUT = 1440

/** A whole number of `unit` within [min, max], or undefined when the input is empty. */
function parseWholeNumber(read: InputReader, name: string, min: number, max: number, unit: string): number | undefined {
  const raw = read(name)
  if (raw === '') return undefined
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN
  if (!(n >= min && n <= max)) throw new InputError(name, `must be a whole number of ${unit} from ${min} to ${max}, got '${raw}'`)
  return n
}

const parseMinutes = (read: InputReader, name: string, min: number, max: number): number | undefined =>
  parseWholeNumber(read, name, min, max, 'minutes')

function parseBoolean(read: InputReader, name: string, fallback: boolean): boolean {
  const raw = read(name)
  if (raw === '') return fallback
  if (['true', 'True', 'TRUE'].includes(raw)) return true
  if (['false', 'False', 'FALSE'].includes(raw)) return false
  throw new InputError(name, `must be true or false, got '${raw}'`)
}

function parseChoice<T extends string>(read: InputReader, name: string, choices: readonly T[], fallback?: T): T {
  const raw = read(name)
  if (raw === '' && fallback !== undefined) return fallback
  if ((choices as readonly string[]).includes(raw)) return raw as T
  throw new InputError(name, `must be one of ${choices.join(', ')}, got '${raw}'`)
}

function parseBackup(read: InputReader, names: SettingNames = INPUT_NAMES): BackupPlan | undefined {
  const mode = parseChoice(read, Inputs.Backup, BACKUP_MODES, 'none')
  if (mode === 'none') return undefined
  const dbIdentifier = read(Inputs.DbIdentifier)
  if (dbIdentifier === '')
    throw new InputError(
      Inputs.DbIdentifier,
      `is required with ${names.value(Inputs.Backup, mode)}: the RDS DB instance or Aurora DB cluster identifier`
    )
  if (!DB_IDENTIFIER.test(dbIdentifier) || dbIdentifier.endsWith('-'))
    throw new InputError(
      Inputs.DbIdentifier,
      `must be an RDS DB instance or cluster identifier (1-63 letters, digits and hyphens, starting with a letter, no double or trailing hyphen), got '${dbIdentifier}'`
    )
  return {
    mode,
    dbIdentifier,
    maxAgeMinutes: parseMinutes(read, Inputs.BackupMaxAgeMinutes, 1, MAX_BACKUP_MAX_AGE) ?? DEFAULT_BACKUP_MAX_AGE,
    timeoutMinutes: parseMinutes(read, Inputs.BackupTimeoutMinutes, 1, MAX_BACKUP_TIMEOUT) ?? DEFAULT_BACKUP_TIMEOUT
  }
}

export function parsePlan(read: InputReader, context: PlanContext): Plan {
  const projectName = read(Inputs.ProjectName)
  if (!PROJECT_NAME.test(projectName)) {
    throw new InputError(
      Inputs.ProjectName,
      projectName === ''
        ? 'is required: the name of the CodeBuild project'
        : `must be a CodeBuild project name (2-255 letters, digits, - and _), got '${projectName}'`
    )
  }
  const task = parseChoice(read, Inputs.Task, TASKS)

  let image: ImageRef | undefined
  const imageUri = read(Inputs.ImageUri)
  if (imageUri !== '') {
    const parsed = parseImageUri(imageUri)
    if (typeof parsed === 'string') throw new InputError(Inputs.ImageUri, `must be ${IMAGE_FORM}; '${imageUri}' is not: ${parsed}`)
    image = parsed
  }

  const command = read(Inputs.Command)
  let argv: string[] = [task]
  if (command !== '') {
    try {
      argv = splitCommand(command)
    } catch (error) {
      if (error instanceof CommandSyntaxError) throw new InputError(Inputs.Command, `has ${error.message}`)
      throw error
    }
  }

  const buildspecInput = read(Inputs.Buildspec)
  let buildspec: Buildspec
  try {
    buildspec =
      buildspecInput === ''
        ? loadBuildspec(bundledBuildspecPath(context.actionRoot, task), 'bundled', `buildspecs/${task}.yml`)
        : loadCustomBuildspec(context.workspace, buildspecInput)
  } catch (error) {
    throw new InputError(
      Inputs.Buildspec,
      `must be a buildspec file relative to the workspace (YAML with version and phases): ${(error as Error).message}`
    )
  }

  const variables: TaskVariable[] = parseVariables(
    { envVars: read(Inputs.EnvVars), secretEnvVars: read(Inputs.SecretEnvVars), parameterEnvVars: read(Inputs.ParameterEnvVars) },
    { env: context.env, buildspec: buildspec.source, ...(context.names ? { names: context.names } : {}) }
  )

  const region = read(Inputs.Region) || context.env.AWS_REGION || context.env.AWS_DEFAULT_REGION || ''
  if (region === '')
    throw new InputError(
      Inputs.Region,
      'is empty and neither AWS_REGION nor AWS_DEFAULT_REGION is set: name the region of the project, e.g. us-east-1'
    )
  if (!REGION.test(region)) throw new InputError(Inputs.Region, `must be an AWS region such as us-east-1, got '${region}'`)

  const timeoutMinutes = parseMinutes(read, Inputs.TimeoutMinutes, MIN_TIMEOUT, MAX_TIMEOUT)
  const queuedTimeoutMinutes = parseMinutes(read, Inputs.QueuedTimeoutMinutes, MIN_QUEUED_TIMEOUT, MAX_QUEUED_TIMEOUT)

  const computeInput = read(Inputs.ComputeType)
  let computeType: ComputeType | undefined
  if (computeInput !== '') {
    if (!COMPUTE_TYPES.includes(computeInput))
      throw new InputError(Inputs.ComputeType, `must be one of ${COMPUTE_TYPES.join(', ')}, got '${computeInput}'`)
    computeType = computeInput as ComputeType
  }

  const plan: Plan = {
    projectName,
    task,
    argv,
    buildspec,
    variables,
    region,
    wait: parseBoolean(read, Inputs.Wait, true),
    showLogs: parseBoolean(read, Inputs.ShowLogs, true),
    ifRunning: parseChoice(read, Inputs.IfRunning, IF_RUNNING, 'wait'),
    ifRunningTimeoutMinutes: parseMinutes(read, Inputs.IfRunningTimeoutMinutes, 1, MAX_IF_RUNNING_TIMEOUT) ?? DEFAULT_IF_RUNNING_TIMEOUT,
    projectLookup: parseChoice(read, Inputs.ProjectLookup, PROJECT_LOOKUP, 'required'),
    stopOnCancel: parseBoolean(read, Inputs.StopOnCancel, true),
    dryRun: parseBoolean(read, Inputs.DryRun, false),
    prComment: parsePrComment(read)
  }
  if (context.names) plan.names = context.names
  if (image) plan.image = image
  if (command !== '') plan.command = command
  if (timeoutMinutes !== undefined) plan.timeoutMinutes = timeoutMinutes
  if (queuedTimeoutMinutes !== undefined) plan.queuedTimeoutMinutes = queuedTimeoutMinutes
  const maxLogRequests = parseWholeNumber(read, Inputs.MaxLogRequestsPerMinute, 6, 600, 'requests')
  if (maxLogRequests !== undefined) plan.maxLogRequestsPerMinute = maxLogRequests
  if (computeType !== undefined) plan.computeType = computeType
  const backup = parseBackup(read, context.names)
  if (backup) plan.backup = backup
  const approved = parseApprovedDigest(read, task, context.names)
  if (approved !== undefined) plan.approvedPlanDigest = approved
  checkStartLimits(plan)
  return plan
}

function parseApprovedDigest(read: InputReader, task: Task, names: SettingNames = INPUT_NAMES): string | undefined {
  const raw = read(Inputs.ApprovedPlanDigest)
  if (raw === '') return undefined
  if (!PLAN_DIGEST.test(raw))
    throw new InputError(Inputs.ApprovedPlanDigest, `must be a plan-digest, sha256: and 64 lowercase hex digits, got '${inline(raw, 80)}'`)
  if (task !== 'migrate')
    throw new InputError(
      Inputs.ApprovedPlanDigest,
      `is for ${names.value(Inputs.Task, 'migrate')} only (the plan it approves is applied by a migrate run)`
    )
  return raw
}

/** A key tells matrix legs apart in the comment's marker: kept short and plain. */
const PR_COMMENT_KEY = /^[A-Za-z0-9._-]{0,64}$/

function parsePrComment(read: InputReader): Plan['prComment'] {
  if (parseChoice(read, Inputs.PrComment, PR_COMMENT, 'auto') === 'never') return { enabled: false }
  const key = read(Inputs.PrCommentKey)
  if (!PR_COMMENT_KEY.test(key))
    throw new InputError(Inputs.PrCommentKey, `must be up to 64 letters, digits, '.', '_' or '-', got '${key}'`)
  const token = read(Inputs.GithubToken)
  return token === '' ? { enabled: false } : { enabled: true, key, token }
}

/** How the plan's front end writes a setting. */
export function namesOf(plan: Pick<Plan, 'names'>): SettingNames {
  return plan.names ?? INPUT_NAMES
}
