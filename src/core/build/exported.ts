/**
 * A finished build's exported variables, asked for again while one the buildspec declares is not there yet.
 *
 * When BatchGetBuilds starts answering `exportedEnvironmentVariables` is undocumented: the API reference says only
 * that the values cannot change after post_build ends. The answer that first shows a build's end may lack them (the
 * stand-in's default, `exportedVariablesLagMs`), so the run asks again for a few seconds rather than report no task
 * outputs. A build whose buildspec does not declare the variable, or whose post_build never ran, is never waited for.
 */
import { BatchGetBuildsCommand } from '@aws-sdk/client-codebuild'
import type { Build, CodeBuildClient } from '@aws-sdk/client-codebuild'
import type { Clock } from '../support/index.js'

/**
 * The pauses before each read: the first at once (the status that showed the end is as old as the drain of the log
 * after it), then at 0.5, 1, 2, 3, 5, 7 and 10 s: soon for a short delay, sparse for a long one; eight calls at most,
 * and only for a build whose outputs are missing.
 */
export const EXPORTED_REREAD_PAUSES_MS: readonly number[] = [0, 500, 500, 1_000, 1_000, 2_000, 2_000, 3_000]
/** How long the reads go on, in all: for the notice that says the run waits. */
export const EXPORTED_WAIT_SECONDS = EXPORTED_REREAD_PAUSES_MS.reduce((sum, ms) => sum + ms, 0) / 1000
/** Each read is bounded: the build has ended, and nothing but its outputs waits on it. */
const READ_TIMEOUT_MS = 5_000

/**
 * Reads the ended build again until its exported variables include `name`: the build with them, or the one given
 * when they never came. Never throws: a refused or failed call, or a cancel, ends the wait with what is known (the
 * outputs are then reported missing, saying why).
 */
export async function awaitExportedVariable(
  deps: { codebuild: CodeBuildClient; clock: Clock; signal: AbortSignal },
  build: Build,
  name: string,
  /** Called once, before the first read that is not at once: the wait is about to take time. */
  onWaiting: () => void = () => undefined
): Promise<Build> {
  const { codebuild, clock, signal } = deps
  const id = build.id
  if (id === undefined) return build
  let waiting = false
  for (const pause of EXPORTED_REREAD_PAUSES_MS) {
    try {
      if (pause > 0 && !waiting) {
        waiting = true
        onWaiting()
      }
      await clock.sleep(pause, signal)
      const answer = await codebuild.send(new BatchGetBuildsCommand({ ids: [id] }), {
        abortSignal: AbortSignal.any([signal, AbortSignal.timeout(READ_TIMEOUT_MS)])
      })
      const exported = answer.builds?.find(b => b.id === id)?.exportedEnvironmentVariables
      if (exported?.some(v => v.name === name)) return { ...build, exportedEnvironmentVariables: exported }
    } catch {
      return build
    }
  }
  return build
}
