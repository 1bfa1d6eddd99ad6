/**
 * Reserved-capacity fleets (the `fleet` input): the input's form, the lookup with BatchGetFleets before anything
 * starts, and what the lookup shows about the fleet for this plan (one home for "which fleets this mode supports").
 *
 * What is known (SDK model of @aws-sdk/client-codebuild, `Fleet`, `FleetStatus`; the CodeBuild user guide's
 * "reserved capacity fleets"): a fleet has a status (only ACTIVE runs builds as asked), a base capacity (the
 * instances kept ready, billed while they exist), an overflow behaviour (QUEUE: builds beyond the capacity wait for
 * an instance; ON_DEMAND: they run on on-demand compute, provisioned and billed as such), an environment type and an
 * image: for the EC2 types the fleet's `imageId` is an Amazon Machine Image, and the build runs on the instance
 * (its agent lines read `[Instance]`), so the application image cannot be the build environment there.
 */
import { BatchGetFleetsCommand, EnvironmentType, FleetOverflowBehavior, FleetStatusCode } from '@aws-sdk/client-codebuild'
import type { CodeBuildClient, Fleet } from '@aws-sdk/client-codebuild'
import { errorText, expiredBeforeStart, isExpiredCredentials, PreflightError } from '../errors/index.js'
import type { Clock, RunIn } from '../support/index.js'
import { Inputs } from '../support/index.js'
import { namesOf } from '../plan/index.js'
import type { Plan } from '../plan/index.js'
import { withTimeLimit } from '../aws/index.js'

/** Environment types whose builds run in a container on the fleet's instances: the image can be the environment. */
const CONTAINER_TYPES: ReadonlySet<string> = new Set([
  EnvironmentType.LINUX_CONTAINER,
  EnvironmentType.ARM_CONTAINER,
  EnvironmentType.LINUX_GPU_CONTAINER
])
/** Linux EC2 fleets: the build runs on the instance's AMI, with the agent's `[Instance]` lines. Container mode only. */
const EC2_TYPES: ReadonlySet<string> = new Set([EnvironmentType.LINUX_EC2, EnvironmentType.ARM_EC2])

/** The fleet types each mode supports, as the README and the refusals say it. */
const SUPPORTED_FLEET_TYPES: Readonly<Record<RunIn, readonly string[]>> = {
  container: [...CONTAINER_TYPES, ...EC2_TYPES],
  'build-environment': [...CONTAINER_TYPES]
}

/** The lookup, the SDK's retries included, gets this long (as the project's). */
const LOOKUP_LIMIT_MS = 45_000

export interface FleetCheck {
  /** The ARN sent as fleetOverride. */
  arn: string
  /** What BatchGetFleets showed; absent when the lookup failed (an ARN input is then sent unchecked). */
  fleet?: Fleet
  /** One line about the fleet (status, type, capacity, overflow), for the run's log. */
  summary?: string
  warnings: string[]
}

/**
 * Looks the plan's fleet up and checks it for the plan. Throws a PreflightError (nothing starts) when the fleet does
 * not exist, cannot run builds now, is of a type the mode does not support, or is named by a name the lookup could
 * not resolve; a lookup that fails for an ARN input is a warning (the start is then CodeBuild's to refuse).
 */
export async function checkFleetBeforeStart(
  codebuild: CodeBuildClient,
  plan: Plan,
  clock: Clock,
  signal?: AbortSignal
): Promise<FleetCheck | undefined> {
  const ref = plan.fleet
  if (!ref) return undefined
  const input = namesOf(plan).name(Inputs.Fleet)
  let fleet: Fleet | undefined
  try {
    const answer = await withTimeLimit(clock, LOOKUP_LIMIT_MS, signal, s =>
      codebuild.send(new BatchGetFleetsCommand({ names: [ref.arn ?? ref.name] }), { abortSignal: s })
    )
    fleet = answer.fleets?.find(f => f.arn === ref.arn || f.name === ref.name)
  } catch (error) {
    if (signal?.aborted) throw error
    if (isExpiredCredentials(error)) throw expiredBeforeStart(error)
    const why = `Could not look up fleet '${ref.name}' (${errorText(error)})`
    if (ref.arn === undefined)
      throw new PreflightError(
        `${why}: ${input} names it by name, and only the lookup gives its ARN, so nothing was started. Allow codebuild:BatchGetFleets, or give the fleet's ARN.`
      )
    return { arn: ref.arn, warnings: [`${why}; starting on it without the fleet's checks. Allow codebuild:BatchGetFleets to get them.`] }
  }
  if (!fleet?.arn)
    throw new PreflightError(
      `CodeBuild fleet '${ref.arn ?? ref.name}' was not found in region ${plan.region}. Check ${input}, the region and the account of the credentials. Nothing was started.`
    )
  return { arn: fleet.arn, fleet, ...fleetFindings(fleet, plan) }
}

/** What the fleet's description means for the plan: a summary line and warnings; throws when it cannot run it. */
export function fleetFindings(fleet: Fleet, plan: Pick<Plan, 'runIn' | 'names'>): { summary: string; warnings: string[] } {
  const name = fleet.name ?? fleet.arn ?? 'the fleet'
  const status = fleet.status?.statusCode
  const type = fleet.environmentType ?? 'unknown'
  const names = namesOf(plan)
  const input = names.name(Inputs.Fleet)
  const warnings: string[] = []
  const detail = [fleet.status?.context, fleet.status?.message].filter(Boolean).join(': ')
  if (status !== FleetStatusCode.ACTIVE) {
    // Updating or rotating fleets still exist and may run builds; every other state cannot be relied on.
    if (status === FleetStatusCode.UPDATING || status === FleetStatusCode.ROTATING)
      warnings.push(`Fleet '${name}' is ${status}${detail ? ` (${detail})` : ''}: the build may wait for its instances.`)
    else
      throw new PreflightError(
        `Fleet '${name}' is ${status ?? 'in an unknown state'}${detail ? ` (${detail})` : ''}, not ACTIVE: it cannot run the build. Nothing was started.`
      )
  }
  if (!SUPPORTED_FLEET_TYPES[plan.runIn].includes(type)) {
    const mode = names.value(Inputs.RunIn, plan.runIn)
    const why = EC2_TYPES.has(type)
      ? `its builds run on the instance (its image is an AMI), so the application image cannot be the build environment; use a container fleet (LINUX_CONTAINER, ARM_CONTAINER) or ${names.value(Inputs.RunIn, 'container')}`
      : 'the bundled buildspecs run on Linux'
    throw new PreflightError(
      `Fleet '${name}' has environment type ${type}, which ${mode} does not support (${SUPPORTED_FLEET_TYPES[plan.runIn].join(', ')}): ${why}. Nothing was started. Change ${input}.`
    )
  }
  const capacity = fleet.baseCapacity
  const overflow = fleet.overflowBehavior
  if (capacity === undefined || capacity < 1)
    warnings.push(`Fleet '${name}' has a base capacity of ${capacity ?? 'unknown'}: no instance is kept ready for the build.`)
  const overflowText =
    overflow === FleetOverflowBehavior.ON_DEMAND
      ? 'beyond it builds run on demand (provisioned and billed as on-demand builds)'
      : overflow === FleetOverflowBehavior.QUEUE
        ? 'beyond it builds wait in the queue for an instance'
        : `overflow ${overflow ?? 'unknown'}`
  const kind = [type, fleet.computeType].filter(Boolean).join(' ')
  const summary = `Fleet ${name}: ${status ?? 'unknown'}, ${kind}, base capacity ${capacity ?? 'unknown'}; ${overflowText}.`
  return { summary, warnings }
}
