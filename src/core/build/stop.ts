/** Stopping a build this step started (cancellation, crash, or the post step). */
import { BatchGetBuildsCommand, StatusType, StopBuildCommand } from '@aws-sdk/client-codebuild'
import type { Build, CodeBuildClient } from '@aws-sdk/client-codebuild'

/** Sends StopBuild at once; the SDK retries it. Bounded so a cancelled job is not held up. */
export async function stopBuild(codebuild: CodeBuildClient, id: string, timeoutMs = 6_000): Promise<Build | undefined> {
  const response = await codebuild.send(new StopBuildCommand({ id }), { abortSignal: AbortSignal.timeout(timeoutMs) })
  // The build asked for: its id is the one already checked, not whatever the answer says.
  return response.build ? { ...response.build, id } : undefined
}

/**
 * For the post step: stops the build unless CodeBuild reports it ended. An answer that does not show it (a garbled
 * or partial one) leaves its state unknown: it is stopped to be safe (`unseen`), never left running for that.
 */
export async function stopIfRunning(
  codebuild: CodeBuildClient,
  id: string,
  timeoutMs = 8_000
): Promise<{ stopped: boolean; build?: Build; unseen?: boolean }> {
  const current = (
    await codebuild.send(new BatchGetBuildsCommand({ ids: [id] }), { abortSignal: AbortSignal.timeout(timeoutMs) })
  ).builds?.find(b => b.id === id)
  if (current && current.buildStatus !== StatusType.IN_PROGRESS) return { stopped: false, build: current }
  const stopped = await stopBuild(codebuild, id, timeoutMs)
  return { stopped: true, ...(stopped ? { build: stopped } : {}), ...(current ? {} : { unseen: true }) }
}
