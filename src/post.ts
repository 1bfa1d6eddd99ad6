/**
 * The post step: when the main step was killed before it could stop its build (cancellation past the
 * runner's grace period, a crash), stop the build if it is still running. Uses the state main saved.
 */
import * as core from '@actions/core'
import { createClients } from './clients.js'
import type { AwsClients } from './clients.js'
import { State } from './constants.js'
import { errorText } from './retry.js'
import { stopIfRunning } from './stop.js'

export async function runPost(clients: (region: string) => AwsClients = createClients): Promise<void> {
  const id = core.getState(State.BuildId)
  if (!id || core.getState(State.Settled) === 'true') return
  if (core.getState(State.StopOnCancel) === 'false') {
    core.info(`Build ${id} may still be running; leaving it (stop-on-cancel: false).`)
    return
  }
  try {
    const { codebuild } = clients(core.getState(State.Region))
    const result = await stopIfRunning(codebuild, id)
    if (result.stopped) core.warning(`Stopped build ${id}: it was still running after the main step ended (cancelled or killed).`)
    else core.info(`Build ${id} is no longer running (${result.build?.buildStatus ?? 'unknown'}).`)
  } catch (error) {
    core.setFailed(`Could not stop build ${id}: ${errorText(error)}`)
  }
}
