/**
 * The errors a front end reacts to, in one place, and their one classification (`classify`): what kind of refusal
 * or failure each is and its message, the same for the action and the CLI. Messages are front-end neutral: where one
 * names a setting, the front end says how it is written (`SettingNames`: `backup-max-age-minutes` in the action,
 * `--backup-max-age-minutes` in the CLI).
 */
import type { Build } from '@aws-sdk/client-codebuild'
import { errorText, isExpiredCredentials } from './aws-errors.js'
import { TOKEN_VARIABLE } from '../support/index.js'

/** How a front end writes a setting (an input of the action, a flag of the CLI). */
export interface SettingNames {
  /** The setting's name as the user writes it: `backup-max-age-minutes`, `--backup-max-age-minutes`. */
  name(input: string): string
  /** The setting with a value: `if-running: fail`, `--if-running=fail`. */
  value(input: string, value: string): string
  /** What was wrong with a setting (or settings together): `Input 'region' must be…`, `--region: must be…`. */
  problem(inputs: readonly string[], detail: string): string
}

/** The action's inputs, as action.yml names them (the default: core's own tests read this way). */
export const INPUT_NAMES: SettingNames = {
  name: input => input,
  value: (input, value) => `${input}: ${value}`,
  problem: (inputs, detail) => `Input '${inputs.join(', ')}' ${detail}`
}

/** The CLI's flags. */
export const FLAG_NAMES: SettingNames = {
  name: input => `--${input}`,
  value: (input, value) => `--${input}=${value}`,
  problem: (inputs, detail) => `${inputs.map(i => `--${i}`).join(', ')}: ${detail}`
}

/** A bad setting: one line that names it and says what was expected. */
export class InputError extends Error {
  override name = 'InputError'
  /** The setting at fault (the first, when several are together). */
  readonly input: string
  readonly inputs: readonly string[]
  constructor(
    input: string | readonly string[],
    readonly detail: string
  ) {
    const inputs = typeof input === 'string' ? [input] : input
    super(INPUT_NAMES.problem(inputs, detail))
    this.inputs = inputs
    this.input = inputs[0] ?? ''
  }
  /** The message as a front end names the setting. */
  describe(names: SettingNames): string {
    return names.problem(this.inputs, this.detail)
  }
}

/** The project's lookup refused the run (not found, unreachable, expired credentials, fail-closed): nothing started. */
export class PreflightError extends Error {
  override name = 'PreflightError'
}

/** Another build of the project is in the way (if-running: fail, or the wait timed out): nothing started. */
export class ProjectBusyError extends Error {
  override name = 'ProjectBusyError'
}

/** StartBuild's answer never came: a build may or may not have started. */
export class StartUnknownError extends Error {
  override name = 'StartUnknownError'
  constructor(
    readonly projectName: string,
    readonly token: string,
    override readonly cause: unknown
  ) {
    super(
      `StartBuild for ${projectName} got no usable answer (${errorText(cause)}), and no build carrying ${TOKEN_VARIABLE}=${token} was found: ` +
        `a build may have started. Look at the project's build history before running the task again.`
    )
  }
}

/** Why watching stopped before the build's end. The build goes on: nothing here is a reason to stop it. */
export type WatchFailure = 'gave-up' | 'refused' | 'credentials-expired'

export class WatchError extends Error {
  override name = 'WatchError'
  constructor(
    readonly reason: WatchFailure,
    /** The build as last seen. */
    readonly build: Build,
    /** How long the build had been watched. */
    readonly watchedMs: number,
    override readonly cause: unknown
  ) {
    super(`watching build ${build.id ?? ''} stopped (${reason}): ${errorText(cause)}`)
  }
}

/** The one wording of expired credentials: "The AWS credentials have expired (ExpiredTokenException: …)". */
export function credentialsExpired(error: unknown): string {
  return `The AWS credentials have expired (${errorText(error)})`
}

/** A lookup before the start refused by expired credentials: the one wording, nothing started. */
export function expiredBeforeStart(error: unknown): PreflightError {
  return new PreflightError(
    `${credentialsExpired(error)}: get fresh ones (configure-aws-credentials in a workflow) and run again. Nothing was started.`
  )
}

/** Why a stop (or another call on a running build) failed: expired credentials in their one wording. */
export function stopFailure(error: unknown): string {
  return isExpiredCredentials(error) ? credentialsExpired(error) : errorText(error)
}

/**
 * What a front end does with an error before any build exists: `input` a bad setting (the CLI's exit 2),
 * `precondition` a refusal (the project's lookup, a busy project: exit 4), `cancelled` a signal, `start-unknown` a
 * build may exist, `aws` expired credentials, `unexpected` anything else (exit 3).
 */
export type ErrorKind = 'input' | 'precondition' | 'cancelled' | 'start-unknown' | 'aws' | 'unexpected'

export function classify(error: unknown, signal: AbortSignal | undefined, names: SettingNames): { kind: ErrorKind; message: string } {
  if (error instanceof StartUnknownError) return { kind: 'start-unknown', message: error.message }
  if (error instanceof InputError) return { kind: 'input', message: error.describe(names) }
  if (error instanceof PreflightError || error instanceof ProjectBusyError) return { kind: 'precondition', message: error.message }
  if (signal?.aborted) return { kind: 'cancelled', message: 'Cancelled before a build was started.' }
  if (isExpiredCredentials(error)) return { kind: 'aws', message: `${credentialsExpired(error)}. Nothing was started.` }
  return { kind: 'unexpected', message: `Unexpected error: ${errorText(error)}` }
}
