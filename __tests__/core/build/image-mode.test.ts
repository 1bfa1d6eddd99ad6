/**
 * Image mode (run-in: build-environment) and fleets (fleet): what the inputs accept and refuse, the StartBuild
 * request of each mode, and what a fleet's description means for the plan.
 */
import type { Fleet } from '@aws-sdk/client-codebuild'
import { InputError } from '../../../src/core/errors/errors.js'
import { checkFleetBeforeStart, fleetFindings } from '../../../src/core/build/fleet.js'
import { preflight } from '../../../src/core/build/preflight.js'
import { FLAG_NAMES } from '../../../src/core/errors/errors.js'
import { ManualClock } from '../../fixtures/clock.js'
import { FakeClient, awsError } from '../../fixtures/fake-aws.js'
import { parseFleet } from '../../../src/core/plan/fleet-input.js'
import { IMAGE_MODE_BUILDSPEC } from '../../../scripts/image-mode-buildspec.js'
import { buildStartRequest } from '../../../src/core/build/request.js'
import { runIdentity } from '../../../src/action/run-identity.js'
import { PreflightError } from '../../../src/core/errors/errors.js'
import { githubContext } from '../../fixtures/github.js'
import { planOf } from '../../fixtures/inputs.js'

const run = runIdentity(githubContext(), 'acme/app')
const TOKEN = '0123456789abcdef0123456789abcdef01234567'
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/app-backend:1.2.3'
const FLEET_ARN = 'arn:aws:codebuild:us-east-1:123456789012:fleet/migrations:0b9c9f5e-1d2a-4c5b-8e7f-123456789abc'
const IMAGE_MODE = { 'run-in': 'build-environment', command: '/app/bin/migrate up' }

/** The InputError a plan's inputs give: its input and message. */
function refusal(inputs: Record<string, string>): { input: string; message: string } | undefined {
  try {
    planOf(inputs)
  } catch (error) {
    if (error instanceof InputError) return { input: error.input, message: error.message }
    throw error
  }
  return undefined
}

describe('run-in and fleet inputs', () => {
  it('defaults to container mode and its per-task buildspec', () => {
    const plan = planOf()
    expect(plan.runIn).toBe('container')
    expect(plan.buildspec.path).toBe('buildspecs/migrate.yml')
    expect(plan.fleet).toBeUndefined()
  })

  it('selects the image-mode buildspec, which runs no Docker', () => {
    const plan = planOf(IMAGE_MODE)
    expect(plan.buildspec.path).toBe(IMAGE_MODE_BUILDSPEC)
    expect(plan.buildspec.usesDocker).toBe(false)
    expect(plan.argv).toEqual(['/app/bin/migrate', 'up'])
  })

  it.each([
    [{ 'run-in': 'lambda' }, 'run-in', /must be one of container, build-environment/],
    [{ 'run-in': 'build-environment', command: 'x', 'image-uri': '' }, 'image-uri', /required with run-in: build-environment/],
    [{ 'run-in': 'build-environment' }, 'command', /required with run-in: build-environment: CodeBuild replaces the image's entrypoint/],
    [{ fleet: FLEET_ARN, 'compute-type': 'BUILD_GENERAL1_SMALL' }, 'compute-type', /must be empty with fleet/],
    [{ fleet: FLEET_ARN.replace('us-east-1', 'eu-west-1') }, 'fleet', /region eu-west-1, but the project's region is us-east-1/],
    [{ fleet: 'arn:aws:codebuild:us-east-1:123456789012:project/migrations' }, 'fleet', /must be a fleet's ARN/],
    [{ fleet: 'x' }, 'fleet', /must be a fleet's ARN .* or its name/]
  ])('refuses %j naming %s', (inputs, input, message) => {
    const got = refusal(inputs)
    expect(got?.input).toBe(input)
    expect(got?.message).toMatch(message)
  })

  it('runs a custom buildspec in the image without requiring a command', () => {
    expect(refusal({ 'run-in': 'build-environment', buildspec: 'buildspecs/seed.yml' })).toBeUndefined()
  })

  it('takes a fleet by ARN or by name', () => {
    expect(parseFleet(FLEET_ARN, 'us-east-1')).toEqual({ arn: FLEET_ARN, name: 'migrations' })
    expect(parseFleet('migrations', 'us-east-1')).toEqual({ name: 'migrations' })
  })
})

describe('the StartBuild request of each mode', () => {
  it('container mode: no image, privilege or fleet override (the project decides, as before)', () => {
    const request = buildStartRequest(planOf(), run, TOKEN)
    for (const key of [
      'imageOverride',
      'imagePullCredentialsTypeOverride',
      'privilegedModeOverride',
      'fleetOverride',
      'environmentTypeOverride'
    ])
      expect(request).not.toHaveProperty(key)
  })

  it('image mode: the image as the environment, pulled with the service role, unprivileged', () => {
    const request = buildStartRequest(planOf(IMAGE_MODE), run, TOKEN)
    expect(request).toMatchObject({ imageOverride: IMAGE, imagePullCredentialsTypeOverride: 'SERVICE_ROLE', privilegedModeOverride: false })
    expect(request).not.toHaveProperty('fleetOverride')
    expect(request.environmentVariablesOverride?.find(v => v.name === 'TASK_ARGV')?.value).toBe("'/app/bin/migrate' 'up'")
  })

  it('a fleet: its ARN as the fleet override, in either mode', () => {
    expect(buildStartRequest(planOf({ fleet: 'migrations' }), run, TOKEN, FLEET_ARN).fleetOverride).toEqual({ fleetArn: FLEET_ARN })
    expect(buildStartRequest(planOf({ ...IMAGE_MODE, fleet: FLEET_ARN }), run, TOKEN, FLEET_ARN)).toMatchObject({
      fleetOverride: { fleetArn: FLEET_ARN },
      imageOverride: IMAGE
    })
  })
})

describe('fleetFindings', () => {
  const fleet = (over: Partial<Fleet> = {}): Fleet => ({
    arn: FLEET_ARN,
    name: 'migrations',
    status: { statusCode: 'ACTIVE' },
    baseCapacity: 1,
    environmentType: 'LINUX_CONTAINER',
    computeType: 'BUILD_GENERAL1_SMALL',
    overflowBehavior: 'QUEUE',
    ...over
  })
  const container = { runIn: 'container' as const }
  const image = { runIn: 'build-environment' as const }

  it('summarises an active fleet: type, capacity and what happens beyond it', () => {
    expect(fleetFindings(fleet(), image)).toEqual({
      summary:
        'Fleet migrations: ACTIVE, LINUX_CONTAINER BUILD_GENERAL1_SMALL, base capacity 1; beyond it builds wait in the queue for an instance.',
      warnings: []
    })
    expect(fleetFindings(fleet({ overflowBehavior: 'ON_DEMAND' }), image).summary).toMatch(
      /run on demand \(provisioned and billed as on-demand builds\)/
    )
  })

  it.each(['CREATING', 'CREATE_FAILED', 'DELETING', 'PENDING_DELETION', 'UPDATE_ROLLBACK_FAILED'] as const)(
    'refuses a %s fleet: nothing starts',
    statusCode => {
      expect(() => fleetFindings(fleet({ status: { statusCode, context: 'CREATE_FAILED', message: 'subnet full' } }), container)).toThrow(
        new PreflightError(
          `Fleet 'migrations' is ${statusCode} (CREATE_FAILED: subnet full), not ACTIVE: it cannot run the build. Nothing was started.`
        )
      )
    }
  )

  it('warns about an updating fleet and one with no base capacity', () => {
    expect(fleetFindings(fleet({ status: { statusCode: 'UPDATING' }, baseCapacity: 0 }), container).warnings).toEqual([
      "Fleet 'migrations' is UPDATING: the build may wait for its instances.",
      "Fleet 'migrations' has a base capacity of 0: no instance is kept ready for the build."
    ])
  })

  it('runs container mode on a Linux EC2 fleet, but not image mode, whose image cannot be an AMI', () => {
    expect(fleetFindings(fleet({ environmentType: 'LINUX_EC2' }), container).warnings).toEqual([])
    expect(() => fleetFindings(fleet({ environmentType: 'ARM_EC2' }), image)).toThrow(
      /run-in: build-environment does not support .*its image is an AMI/
    )
  })

  it('names the way out of an EC2 fleet as the front end writes settings', () => {
    expect(() => fleetFindings(fleet({ environmentType: 'LINUX_EC2' }), image)).toThrow(/or run-in: container\b/)
    expect(() => fleetFindings(fleet({ environmentType: 'LINUX_EC2' }), { ...image, names: FLAG_NAMES })).toThrow(
      /--run-in=build-environment does not support .* or --run-in=container\b/
    )
  })

  it.each(['WINDOWS_EC2', 'MAC_ARM', 'WINDOWS_SERVER_2022_CONTAINER'] as const)('refuses a %s fleet in both modes', environmentType => {
    expect(() => fleetFindings(fleet({ environmentType }), container)).toThrow(/the bundled buildspecs run on Linux/)
    expect(() => fleetFindings(fleet({ environmentType }), image)).toThrow(/does not support/)
  })
})

describe('the fleet lookup', () => {
  it('refuses expired credentials with the project lookup’s own words, before anything starts', async () => {
    const expired = (): never => {
      throw awsError('ExpiredTokenException', 400, 'The security token included in the request is expired')
    }
    const client = new FakeClient({ BatchGetFleets: expired, BatchGetProjects: expired })
    const plan = planOf({ fleet: FLEET_ARN })
    const fleetError = await checkFleetBeforeStart(client.codebuild, plan, new ManualClock()).catch((e: unknown) => e)
    const projectError = await preflight(client.codebuild, plan, new ManualClock()).catch((e: unknown) => e)
    expect(fleetError).toBeInstanceOf(PreflightError)
    expect((fleetError as Error).message).toBe((projectError as Error).message)
    expect((fleetError as Error).message).toMatch(/credentials have expired .*Nothing was started\.$/)
  })
})
