/**
 * The post step: when the main step was killed before it could stop its build (cancellation past the runner's
 * grace period, a crash), stop the build if it is still running. Uses the state main saved: the build's id, or,
 * when StartBuild's answer never came, the start token the build carries. That token is this execution's own
 * (src/core/build/execution.ts), saved before StartBuild: only a build carrying exactly it is stopped, never another
 * leg's or job's; nothing saved, nothing is done.
 */
import * as core from '@actions/core'
import { credentialsExpired, errorText, isExpiredCredentials } from '../core/errors/index.js'
import { findStartedBuild, isBuildId, stopIfRunning } from '../core/build/index.js'
import { createCodeBuildClients } from '../core/aws/index.js'
import type { AwsClients } from '../core/aws/index.js'
import { inline, systemClock } from '../core/support/index.js'
import type { Clock } from '../core/support/index.js'
import { State } from './state.js'

export interface PostDeps {
  clients: (region: string) => Pick<AwsClients, 'codebuild'>
  clock: Clock
  /** Signals the post step outlives while its StopBuild attempt finishes (bounded by the calls' own limits). */
  signals: NodeJS.Signals[]
}

const defaults: PostDeps = { clients: createCodeBuildClients, clock: systemClock, signals: ['SIGINT', 'SIGTERM'] }

export async function run(overrides: Partial<PostDeps> = {}): Promise<void> {
  const deps = { ...defaults, ...overrides }
  const region = core.getState(State.Region)
  // The main step saves only a checked id; anything else is not used (nor printed): the token finds the build.
  let id = isBuildId(core.getState(State.BuildId)) ? core.getState(State.BuildId) : ''
  const token = core.getState(State.StartToken)
  if ((!id && !token) || core.getState(State.Settled) === 'true') return
  if (core.getState(State.StopOnCancel) === 'false') {
    core.info(inline(`Build ${id || '(start not confirmed)'} may still be running; leaving it (stop-on-cancel: false).`))
    return
  }
  // A cancellation of the post step itself must not cut the stop short: it is bounded anyway.
  const onSignal = (name: NodeJS.Signals): void =>
    core.info(`Received ${name}: finishing the attempt to stop the build first (a few seconds at most).`)
  for (const s of deps.signals) process.on(s, onSignal)
  try {
    const { codebuild } = deps.clients(region)
    if (!id) {
      const found = await findStartedBuild(codebuild, core.getState(State.ProjectName), token, deps.clock)
      if (!found?.id) {
        core.info(`No build carrying this step's start token was found: nothing to stop.`)
        return
      }
      id = found.id
    }
    const result = await stopIfRunning(codebuild, id)
    if (result.unseen)
      core.warning(
        inline(`Stopped build ${id}: CodeBuild's answer did not show its state after the main step ended, so it was stopped to be safe.`)
      )
    else if (result.stopped)
      core.warning(inline(`Stopped build ${id}: it was still running after the main step ended (cancelled or killed).`))
    else core.info(inline(`Build ${id} is no longer running (${result.build?.buildStatus ?? 'unknown'}).`))
  } catch (error) {
    if (isExpiredCredentials(error)) {
      // Nothing more can be done with these credentials; the main step has said what happened.
      core.warning(
        inline(`Could not check build ${id}: ${credentialsExpired(error)}. If it is still running, stop it in the CodeBuild console.`)
      )
    } else core.setFailed(inline(`Could not stop build ${id}: ${errorText(error)}`))
  } finally {
    for (const s of deps.signals) process.off(s, onSignal)
  }
}
