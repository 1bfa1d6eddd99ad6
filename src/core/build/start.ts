/**
 * Starting the build exactly once. StartBuild carries an idempotency token, so a repeat within CodeBuild's
 * 5-minute window returns the build already started: a lost answer is retried well past the SDK's own attempts.
 * When the answer stays unknown (or the step is cancelled mid-call), the build is looked for by the token, which
 * it also carries as a variable: found, it is the step's build; not found, the error says a build may exist.
 */
import { BatchGetBuildsCommand, ListBuildsForProjectCommand, SortOrderType, StartBuildCommand } from '@aws-sdk/client-codebuild'
import type { Build, CodeBuildClient, StartBuildCommandInput } from '@aws-sdk/client-codebuild'
import { errorText, isExpiredCredentials, isThrottled, isTransient, StartUnknownError } from '../errors/index.js'
import { checkedBuild, isBuildId } from './build-id.js'
import type { Clock } from '../support/index.js'
import { TOKEN_VARIABLE } from '../support/index.js'
import { Backoff, withTimeLimit } from '../aws/index.js'

export { StartUnknownError }

/** CodeBuild remembers a token for 5 minutes; the last try goes out well inside that. */
export const START_RETRY_WINDOW_MS = 4 * 60_000
const CALL_LIMIT_MS = 30_000
/** Builds of a project are listed newest first: the step's build, if it exists, is among the latest. */
const RECENT_BUILDS = 25

export interface StartDeps {
  codebuild: CodeBuildClient
  clock: Clock
  /** Cancellation: honoured during the call; the caller then looks for the build (`findStartedBuild`) and stops it. */
  signal?: AbortSignal
  notice?: (message: string) => void
  random?: () => number
  windowMs?: number
}

/** Sends StartBuild until it answers, within the token's window. Returns the build; throws what cannot be retried. */
export async function startBuild(deps: StartDeps, request: StartBuildCommandInput & { idempotencyToken: string }): Promise<Build> {
  const { clock, codebuild } = deps
  const backoff = new Backoff(1_000, 20_000, deps.random)
  const giveUpAt = clock.now() + (deps.windowMs ?? START_RETRY_WINDOW_MS)
  /** An earlier try may have reached CodeBuild (its answer was lost): a later refusal does not prove nothing started. */
  let mayHaveStarted = false
  let noticeShown = false
  for (;;) {
    try {
      const response = await withTimeLimit(clock, CALL_LIMIT_MS, deps.signal, s =>
        codebuild.send(new StartBuildCommand(request), { abortSignal: s })
      )
      return checkedBuild('StartBuild', response.build)
    } catch (error) {
      if (deps.signal?.aborted) throw deps.signal.reason
      if (isExpiredCredentials(error) || (!isTransient(error) && !mayHaveStarted)) throw error
      if (!isThrottled(error)) mayHaveStarted = true
      if (!isTransient(error) || clock.now() >= giveUpAt) {
        const found = await findStartedBuild(codebuild, request.projectName as string, request.idempotencyToken, clock)
        if (found) return found
        throw new StartUnknownError(request.projectName as string, request.idempotencyToken, error)
      }
      const delay = backoff.next()
      if (!noticeShown) {
        noticeShown = true
        deps.notice?.(
          `StartBuild answered ${errorText(error)}; trying again in ${(delay / 1000).toFixed(1)} s with the same idempotency token (further tries are silent)`
        )
      }
      await clock.sleep(Math.min(delay, Math.max(0, giveUpAt - clock.now())), deps.signal)
    }
  }
}

/**
 * The build of this step, if one started: the newest builds of the project, searched for the token variable.
 * Bounded in time and never throws: it is a last look, made also after a cancellation. A build whose id is not
 * CodeBuild's (a garbled answer) is not found.
 */
export async function findStartedBuild(
  codebuild: CodeBuildClient,
  projectName: string,
  token: string,
  clock: Clock,
  limitMs = 10_000
): Promise<Build | undefined> {
  try {
    return await withTimeLimit(clock, limitMs, undefined, async signal => {
      const list = await codebuild.send(new ListBuildsForProjectCommand({ projectName, sortOrder: SortOrderType.DESCENDING }), {
        abortSignal: signal
      })
      const ids = (list.ids ?? []).slice(0, RECENT_BUILDS)
      if (ids.length === 0) return undefined
      const got = await codebuild.send(new BatchGetBuildsCommand({ ids }), { abortSignal: signal })
      const found = got.builds?.find(b => b.environment?.environmentVariables?.some(v => v.name === TOKEN_VARIABLE && v.value === token))
      // A garbled id is no build to watch, report or stop.
      return found && isBuildId(found.id) ? found : undefined
    })
  } catch {
    return undefined
  }
}
