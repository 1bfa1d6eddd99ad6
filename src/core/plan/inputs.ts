/**
 * Inputs → a typed, validated plan, before any AWS call. Every problem is one line that names the
 * input and says what was expected.
 */
import path from 'node:path'
import { ComputeType } from '@aws-sdk/client-codebuild'
import { BACKUP_MODES, IF_RUNNING, inline, Inputs, PROJECT_LOOKUP, RUN_IN, TASKS } from '../support/index.js'
import type { BackupMode, IfRunning, ProjectLookup, RunIn, Task } from '../support/index.js'
import { CommandSyntaxError, splitCommand } from './command.js'
import { IMAGE_FORM, parseImageUri } from './image.js'
import type { ImageRef } from './image.js'
import { bundledBuildspecPath, IMAGE_MODE_BUILDSPEC, loadBuildspec, loadCustomBuildspec } from './buildspec.js'
import type { Buildspec } from './buildspec.js'
import { INPUT_NAMES, InputError } from '../errors/index.js'
import type { SettingNames } from '../errors/index.js'
import { parseFleet } from './fleet-input.js'
import type { FleetRef } from './fleet-input.js'
import { checkStartLimits } from './start-limits.js'
import { PLAN_DIGEST } from '../results/index.js'
import { parseVariables } from './variables.js'
import type { TaskVariable } from './variables.js'

export { InputError } from '../errors/index.js'

export interface Plan {
  /** How the front end writes a setting in its messages (the action's input names when absent). */
  names?: SettingNames
  projectName: string
  task: Task
  image?: ImageRef
  /** The words the container gets; the task name when no command was given. */
  argv: string[]
  command?: string
  /** container: the bundled buildspec runs the image with Docker; build-environment: the image is the build's environment. */
  runIn: RunIn
  /** A reserved-capacity fleet to run on (sent as fleetOverride once its ARN is known). */
  fleet?: FleetRef
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

function parseProjectName(read: InputReader): string {
  const projectName = read(Inputs.ProjectName)
  if (PROJECT_NAME.test(projectName)) return projectName
  throw new InputError(
    Inputs.ProjectName,
    projectName === ''
      ? 'is required: the name of the CodeBuild project'
      : `must be a CodeBuild project name (2-255 letters, digits, - and _), got '${projectName}'`
  )
}

function parseImage(read: InputReader): ImageRef | undefined {
  const imageUri = read(Inputs.ImageUri)
  if (imageUri === '') return undefined
  const parsed = parseImageUri(imageUri)
  if (typeof parsed === 'string') throw new InputError(Inputs.ImageUri, `must be ${IMAGE_FORM}; '${imageUri}' is not: ${parsed}`)
  return parsed
}

/** The command as written ('' when absent) and the words the container gets (the task's name without one). */
function parseCommand(read: InputReader, task: Task): { command: string; argv: string[] } {
  const command = read(Inputs.Command)
  if (command === '') return { command, argv: [task] }
  try {
    return { command, argv: splitCommand(command) }
  } catch (error) {
    if (error instanceof CommandSyntaxError) throw new InputError(Inputs.Command, `has ${error.message}`)
    throw error
  }
}

/** The bundled buildspec of the task (of image mode with run-in: build-environment), or the workspace's. */
function parseBuildspec(read: InputReader, context: PlanContext, task: Task, runIn: RunIn): Buildspec {
  const buildspecInput = read(Inputs.Buildspec)
  try {
    return buildspecInput !== ''
      ? loadCustomBuildspec(context.workspace, buildspecInput)
      : runIn === 'build-environment'
        ? loadBuildspec(path.join(context.actionRoot, IMAGE_MODE_BUILDSPEC), 'bundled', IMAGE_MODE_BUILDSPEC)
        : loadBuildspec(bundledBuildspecPath(context.actionRoot, task), 'bundled', `buildspecs/${task}.yml`)
  } catch (error) {
    throw new InputError(
      Inputs.Buildspec,
      `must be a buildspec file relative to the workspace (YAML with version and phases): ${(error as Error).message}`
    )
  }
}

function parseRegion(read: InputReader, env: PlanContext['env']): string {
  const region = read(Inputs.Region) || env.AWS_REGION || env.AWS_DEFAULT_REGION || ''
  if (region === '')
    throw new InputError(
      Inputs.Region,
      'is empty and neither AWS_REGION nor AWS_DEFAULT_REGION is set: name the region of the project, e.g. us-east-1'
    )
  if (!REGION.test(region)) throw new InputError(Inputs.Region, `must be an AWS region such as us-east-1, got '${region}'`)
  return region
}

function parseComputeType(read: InputReader): ComputeType | undefined {
  const computeInput = read(Inputs.ComputeType)
  if (computeInput === '') return undefined
  if (!COMPUTE_TYPES.includes(computeInput))
    throw new InputError(Inputs.ComputeType, `must be one of ${COMPUTE_TYPES.join(', ')}, got '${computeInput}'`)
  return computeInput as ComputeType
}

/** The settings, validated in the order a user reads them, into a Plan; throws an InputError naming the first bad one. */
export function parsePlan(read: InputReader, context: PlanContext): Plan {
  const projectName = parseProjectName(read)
  const task = parseChoice(read, Inputs.Task, TASKS)
  const image = parseImage(read)
  const { command, argv } = parseCommand(read, task)
  const runIn = parseChoice(read, Inputs.RunIn, RUN_IN, 'container')
  if (runIn === 'build-environment')
    requireImageModeInputs(image, read(Inputs.Buildspec) === '' && command === '', context.names ?? INPUT_NAMES)
  const buildspec = parseBuildspec(read, context, task, runIn)
  const variables: TaskVariable[] = parseVariables(
    { envVars: read(Inputs.EnvVars), secretEnvVars: read(Inputs.SecretEnvVars), parameterEnvVars: read(Inputs.ParameterEnvVars) },
    { env: context.env, buildspec: buildspec.source, ...(context.names ? { names: context.names } : {}) }
  )
  const region = parseRegion(read, context.env)
  const timeoutMinutes = parseMinutes(read, Inputs.TimeoutMinutes, MIN_TIMEOUT, MAX_TIMEOUT)
  const queuedTimeoutMinutes = parseMinutes(read, Inputs.QueuedTimeoutMinutes, MIN_QUEUED_TIMEOUT, MAX_QUEUED_TIMEOUT)
  const computeType = parseComputeType(read)
  const fleetInput = read(Inputs.Fleet)
  const fleet = fleetInput === '' ? undefined : parseFleet(fleetInput, region)
  if (fleet && computeType !== undefined)
    throw new InputError(
      Inputs.ComputeType,
      `must be empty with ${(context.names ?? INPUT_NAMES).name(Inputs.Fleet)}: the fleet's own compute type applies to its builds`
    )

  const plan: Plan = {
    projectName,
    task,
    argv,
    runIn,
    buildspec,
    variables,
    region,
    wait: parseBoolean(read, Inputs.Wait, true),
    showLogs: parseBoolean(read, Inputs.ShowLogs, true),
    ifRunning: parseChoice(read, Inputs.IfRunning, IF_RUNNING, 'wait'),
    ifRunningTimeoutMinutes: parseMinutes(read, Inputs.IfRunningTimeoutMinutes, 1, MAX_IF_RUNNING_TIMEOUT) ?? DEFAULT_IF_RUNNING_TIMEOUT,
    projectLookup: parseChoice(read, Inputs.ProjectLookup, PROJECT_LOOKUP, 'required'),
    stopOnCancel: parseBoolean(read, Inputs.StopOnCancel, true),
    dryRun: parseBoolean(read, Inputs.DryRun, false)
  }
  if (context.names) plan.names = context.names
  if (image) plan.image = image
  if (command !== '') plan.command = command
  if (timeoutMinutes !== undefined) plan.timeoutMinutes = timeoutMinutes
  if (queuedTimeoutMinutes !== undefined) plan.queuedTimeoutMinutes = queuedTimeoutMinutes
  const maxLogRequests = parseWholeNumber(read, Inputs.MaxLogRequestsPerMinute, 6, 600, 'requests')
  if (maxLogRequests !== undefined) plan.maxLogRequestsPerMinute = maxLogRequests
  if (computeType !== undefined) plan.computeType = computeType
  if (fleet) plan.fleet = fleet
  const backup = parseBackup(read, context.names)
  if (backup) plan.backup = backup
  const approved = parseApprovedDigest(read, task, context.names)
  if (approved !== undefined) plan.approvedPlanDigest = approved
  checkStartLimits(plan)
  return plan
}

/**
 * Image mode needs the image (CodeBuild pulls it as the build environment) and, with the bundled buildspec, a
 * command: CodeBuild replaces the image's entrypoint, so the task name alone would run nothing of the image's.
 */
function requireImageModeInputs(image: ImageRef | undefined, needsCommand: boolean, names: SettingNames): void {
  const mode = names.value(Inputs.RunIn, 'build-environment')
  if (!image)
    throw new InputError(
      Inputs.ImageUri,
      `is required with ${mode}: CodeBuild pulls this image with the project's service role and runs the task in it`
    )
  if (needsCommand)
    throw new InputError(
      Inputs.Command,
      `is required with ${mode}: CodeBuild replaces the image's entrypoint and ignores its working directory, so name the program to run, e.g. /app/bin/migrate up (an absolute path, or a program on the image's PATH)`
    )
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

/** How the plan's front end writes a setting. */
export function namesOf(plan: Pick<Plan, 'names'>): SettingNames {
  return plan.names ?? INPUT_NAMES
}
