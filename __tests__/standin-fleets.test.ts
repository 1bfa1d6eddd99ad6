/**
 * The stand-in's fleets and image overrides (standin/fleets.ts), through the real SDK client: BatchGetFleets'
 * shape, StartBuild's checks of imageOverride, imagePullCredentialsTypeOverride, privilegedModeOverride and
 * fleetOverride, the build's environment, a pull refused to the service role, and `[Instance]` lines on EC2 fleets.
 */
import { BatchGetBuildsCommand, BatchGetFleetsCommand, CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild'
import type { StartBuildCommandInput } from '@aws-sdk/client-codebuild'
import { IDEAL_LOGS, startStandIn } from './standin/index.js'
import type { BuildView, StandIn } from './standin/index.js'

const REGION = 'us-east-1'
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/app-backend:1'
let s: StandIn
let cb: CodeBuildClient

beforeAll(async () => {
  s = await startStandIn({
    timeScale: 10,
    logs: IDEAL_LOGS,
    fleets: [
      { name: 'migrations', baseCapacity: 2, overflowBehavior: 'ON_DEMAND' },
      { name: 'ec2', environmentType: 'LINUX_EC2' },
      { name: 'broken', status: 'CREATE_FAILED', context: 'CREATE_FAILED', message: 'no capacity' }
    ],
    projects: [
      { name: 'image-mode', vpcConfig: true, pullRepositories: ['app-backend'] },
      { name: 'plain', vpcConfig: true }
    ]
  })
  cb = new CodeBuildClient({ endpoint: s.endpoint, region: REGION, credentials: s.credentials, maxAttempts: 1 })
})

afterAll(async () => {
  cb.destroy()
  await s.close()
})

const fleetArn = async (name: string): Promise<string> =>
  (await cb.send(new BatchGetFleetsCommand({ names: [name] }))).fleets?.[0]?.arn ?? ''

const start = (input: Omit<StartBuildCommandInput, 'projectName'> & { projectName?: string }) =>
  cb.send(new StartBuildCommand({ projectName: 'image-mode', buildspecOverride: 'version: 0.2\nphases: {}\n', ...input }))

it('BatchGetFleets answers by name or ARN, with the shapes of the SDK model, and lists the unknown', async () => {
  const byName = await cb.send(new BatchGetFleetsCommand({ names: ['migrations', 'nope'] }))
  expect(byName.fleetsNotFound).toEqual(['nope'])
  const fleet = byName.fleets?.[0]
  expect(fleet).toMatchObject({
    name: 'migrations',
    status: { statusCode: 'ACTIVE' },
    baseCapacity: 2,
    environmentType: 'LINUX_CONTAINER',
    computeType: 'BUILD_GENERAL1_SMALL',
    overflowBehavior: 'ON_DEMAND'
  })
  expect(fleet?.arn).toMatch(/^arn:aws:codebuild:us-east-1:123456789012:fleet\/migrations:[0-9a-f-]{36}$/)
  expect(fleet?.created).toBeInstanceOf(Date)
  const byArn = await cb.send(new BatchGetFleetsCommand({ names: [fleet?.arn ?? ''] }))
  expect(byArn.fleets?.[0]?.name).toBe('migrations')
  await expect(cb.send(new BatchGetFleetsCommand({ names: [] }))).rejects.toMatchObject({ name: 'InvalidInputException' })
})

it('runs an image override pulled with the service role, unprivileged, on a fleet: the build shows them', async () => {
  const arn = await fleetArn('migrations')
  const { build } = await start({
    imageOverride: IMAGE,
    imagePullCredentialsTypeOverride: 'SERVICE_ROLE',
    privilegedModeOverride: false,
    fleetOverride: { fleetArn: arn }
  })
  expect(build?.environment).toMatchObject({
    image: IMAGE,
    imagePullCredentialsType: 'SERVICE_ROLE',
    privilegedMode: false,
    fleet: { fleetArn: arn }
  })
  const view = s.build(build?.id ?? '') as BuildView
  await s.waitForEnd(view)
  expect(view.status).toBe('SUCCEEDED')
})

it.each([
  [
    { imagePullCredentialsTypeOverride: 'ROLE' },
    /at 'imagePullCredentialsTypeOverride' failed to satisfy constraint: Member must satisfy enum value set: \[CODEBUILD, SERVICE_ROLE\]/
  ],
  [{ environmentTypeOverride: 'LINUX' }, /at 'environmentTypeOverride' failed to satisfy constraint/],
  [{ fleetOverride: {} }, /at 'fleetOverride.fleetArn' failed to satisfy constraint/],
  [
    { imageOverride: 'aws/codebuild/standard:7.0', imagePullCredentialsTypeOverride: 'SERVICE_ROLE' },
    /^Invalid input: cannot use a CodeBuild curated image with imagePullCredentialsType SERVICE_ROLE$/
  ]
] as const)('refuses %j with InvalidInputException', async (input, message) => {
  const error = await start(input as Partial<StartBuildCommandInput>).catch((e: unknown) => e as Error)
  expect(error).toMatchObject({ name: 'InvalidInputException' })
  expect((error as Error).message).toMatch(message)
})

it('refuses an unknown fleet, a fleet that is not active, a compute type with a fleet and an image on an EC2 fleet', async () => {
  await expect(start({ fleetOverride: { fleetArn: 'arn:aws:codebuild:us-east-1:123456789012:fleet/nope:x' } })).rejects.toMatchObject({
    name: 'ResourceNotFoundException'
  })
  await expect(start({ fleetOverride: { fleetArn: await fleetArn('broken') } })).rejects.toMatchObject({ name: 'InvalidInputException' })
  await expect(
    start({ fleetOverride: { fleetArn: await fleetArn('migrations') }, computeTypeOverride: 'BUILD_GENERAL1_SMALL' })
  ).rejects.toMatchObject({
    name: 'InvalidInputException'
  })
  await expect(
    start({ fleetOverride: { fleetArn: await fleetArn('ec2') }, imageOverride: IMAGE, imagePullCredentialsTypeOverride: 'SERVICE_ROLE' })
  ).rejects.toMatchObject({ name: 'InvalidInputException' })
  expect(s.startedBuilds('image-mode').length).toBeGreaterThanOrEqual(1)
})

it.each([
  ['a repository the service role may not pull from', 'image-mode', '123456789012.dkr.ecr.us-east-1.amazonaws.com/other:1', 'SERVICE_ROLE'],
  ["CodeBuild's own credentials for a private ECR image", 'plain', IMAGE, undefined]
] as const)('fails PROVISIONING with CodeBuild pull message for %s', async (_, projectName, imageOverride, credentials) => {
  const { build } = await start({ projectName, imageOverride, ...(credentials ? { imagePullCredentialsTypeOverride: credentials } : {}) })
  const view = s.build(build?.id ?? '') as BuildView
  await s.waitForEnd(view)
  const got = await cb.send(new BatchGetBuildsCommand({ ids: [build?.id ?? ''] }))
  const provisioning = got.builds?.[0]?.phases?.find(p => p.phaseType === 'PROVISIONING')
  expect(got.builds?.[0]?.buildStatus).toBe('FAILED')
  expect(provisioning?.contexts?.[0]?.message).toMatch(
    /^BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE: Unable to pull customer's container image\. CannotPullContainerError: .*pull access denied for .* is not authorized to perform: ecr:BatchGetImage/
  )
})

it('writes [Instance] agent lines for a build on an EC2 fleet', async () => {
  const { build } = await start({ projectName: 'plain', fleetOverride: { fleetArn: await fleetArn('ec2') } })
  const view = s.build(build?.id ?? '') as BuildView
  await s.waitForEnd(view)
  const agent = view.events().filter(e => e.agent && /^\[/.test(e.text)) ?? []
  expect(agent.length).toBeGreaterThan(0)
  for (const e of agent) expect(e.text).toMatch(/^\[Instance\] /)
  expect(view.snapshot()).toMatchObject({ environment: { type: 'LINUX_EC2' } })
})
