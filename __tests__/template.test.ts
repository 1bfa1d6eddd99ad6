/**
 * infra/codebuild-vpc-task.yml keeps data in the account: every VPC endpoint has a policy that admits the
 * account's own principals to the account's own resources plus what the build needs elsewhere (its image
 * repository, its secrets, ECR's layer bucket), and the CodeBuild service role manages network interfaces only in
 * the template's subnets. The template is read as CloudFormation would resolve it for a parameter set
 * (scripts/cfn-template.mjs), and its policies are then read as IAM would: a small evaluator of the statements'
 * Action, Resource and Condition (StringEquals, ArnLike/ArnEquals), enough to ask who may do what through them.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { PARAMETER_SETS, PSEUDO_PARAMETERS, cloudFormationTags, failedRules, resolveTemplate } from '../scripts/cfn-template.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const text = readFileSync(path.join(root, 'infra/codebuild-vpc-task.yml'), 'utf8')
const template: unknown = parse(text, { customTags: cloudFormationTags() })

const ACCOUNT = PSEUDO_PARAMETERS['AWS::AccountId'] as string
const REGION = PSEUDO_PARAMETERS['AWS::Region'] as string
const OTHER = '210987654321'
const EVERYTHING = PARAMETER_SETS['every option on'] as Record<string, string>
/** Everything on, with the image repository and an additional secret in another account (both supported). */
const CROSS_ACCOUNT = {
  ...EVERYTHING,
  ImageRepositoryArn: `arn:aws:ecr:${REGION}:${OTHER}:repository/shared/app`,
  DatabaseUrlSecretArn: EVERYTHING.DatabaseUrlSecretArn as string,
  AdditionalSecretArns: `arn:aws:secretsmanager:${REGION}:${OTHER}:secret:shared/api-key-AbCdEf`,
  PlanDatabaseSecretArn: `arn:aws:secretsmanager:${REGION}:${OTHER}:secret:shared/plan-url-AbCdEf`
}
const SUBNETS = (EVERYTHING.SubnetIds as string).split(',')
const ECR_LAYERS = `arn:aws:s3:::prod-${REGION}-starport-layer-bucket`

type Values = string | string[]
interface Statement {
  Sid?: string
  Effect: 'Allow' | 'Deny'
  Principal?: unknown
  Action: Values
  Resource: Values
  Condition?: Record<string, Record<string, Values>>
}
interface Policy {
  Statement: Statement[]
}
type Resources = ReturnType<typeof resolveTemplate>['Resources']

const list = (value: Values | undefined): string[] => (value === undefined ? [] : [value].flat())
/** IAM's wildcards: * any run of characters, ? one character (in actions, resources and ARN/String*Like conditions). */
const glob = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`
  )
const matches = (patterns: Values, value: string, caseless = false): boolean =>
  list(patterns).some(p => new RegExp(glob(p).source, caseless ? 'i' : '').test(value))

/** A request as an endpoint or identity policy sees it; a key left out is absent from the request context. */
interface Request {
  action: string
  resource: string
  context: Record<string, string>
}

function conditionHolds(condition: Statement['Condition'], context: Record<string, string>): boolean {
  for (const [operator, tests] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(tests)) {
      const actual = context[key]
      // Null: 'true' holds when the key is absent, 'false' when present.
      if (operator === 'Null') {
        if ((actual === undefined) !== (expected === 'true')) return false
        continue
      }
      // A negated operator holds for an absent key (IAM's rule for ...Not... operators).
      if (operator === 'ArnNotEquals' || operator === 'StringNotLike') {
        if (actual !== undefined && matches(expected, actual)) return false
        continue
      }
      if (actual === undefined) return false
      if (operator === 'Bool') {
        if (!list(expected).includes(actual)) return false
        continue
      }
      // ForAnyValue: on a single-valued key (an OIDC subject), the same test as without it.
      const LIKE = ['ArnLike', 'ArnEquals', 'StringLike', 'ForAnyValue:StringLike']
      if (operator === 'StringEquals' && !list(expected).includes(actual)) return false
      else if (LIKE.includes(operator) && !matches(expected, actual)) return false
      else if (!['StringEquals', ...LIKE].includes(operator)) throw new Error(`the test's evaluator does not know ${operator}`)
    }
  }
  return true
}

/** Allowed when an Allow statement matches and no Deny does (what IAM does within one policy). */
function allows(policy: Policy, request: Request): boolean {
  const applies = (s: Statement) =>
    matches(s.Action, request.action, true) && matches(s.Resource, request.resource) && conditionHolds(s.Condition, request.context)
  return policy.Statement.some(s => s.Effect === 'Allow' && applies(s)) && !policy.Statement.some(s => s.Effect === 'Deny' && applies(s))
}

const endpoints = (resources: Resources) =>
  Object.fromEntries(Object.entries(resources).filter(([, r]) => r.Type === 'AWS::EC2::VPCEndpoint')) as Resources
const endpointPolicy = (resources: Resources, name: string): Policy => {
  const policy = resources[name]?.Properties?.PolicyDocument as Policy | undefined
  if (policy === undefined) throw new Error(`${name} has no endpoint policy`)
  return policy
}
const serviceRolePolicy = (resources: Resources): Policy =>
  (resources.CodeBuildServiceRole?.Properties?.Policies as Array<{ PolicyDocument: Policy }>)[0]?.PolicyDocument as Policy

/** Signed by a principal of `account` (omitted: anonymous), on a resource of `owner`. */
const by = (account: string | undefined, owner: string | undefined): Record<string, string> => ({
  ...(account === undefined ? {} : { 'aws:PrincipalAccount': account }),
  ...(owner === undefined ? {} : { 'aws:ResourceAccount': owner })
})

describe('VPC endpoint policies', () => {
  const everything = resolveTemplate(template, EVERYTHING)
  const cross = resolveTemplate(template, CROSS_ACCOUNT)

  test('all five endpoints exist with every option on, and each has a policy', () => {
    expect(Object.keys(endpoints(everything.Resources)).sort()).toEqual(
      ['EcrApiEndpoint', 'EcrDockerEndpoint', 'LogsEndpoint', 'S3GatewayEndpoint', 'SecretsManagerEndpoint'].sort()
    )
    for (const name of Object.keys(endpoints(everything.Resources)))
      expect(endpointPolicy(everything.Resources, name).Statement.length).toBeGreaterThan(0)
  })

  test("every statement admits only the account's principals, except reading ECR's layer bucket", () => {
    for (const resources of [everything.Resources, cross.Resources]) {
      for (const name of Object.keys(endpoints(resources))) {
        for (const statement of endpointPolicy(resources, name).Statement) {
          expect(statement.Effect).toBe('Allow')
          if (statement.Sid === 'EcrImageLayers') {
            expect(name).toBe('S3GatewayEndpoint')
            expect(list(statement.Action)).toEqual(['s3:GetObject'])
            expect(list(statement.Resource)).toEqual([`${ECR_LAYERS}/*`])
            continue
          }
          expect(statement.Condition?.StringEquals?.['aws:PrincipalAccount']).toBe(ACCOUNT)
        }
      }
    }
  })

  test("another account's credentials and anonymous requests get nothing through any endpoint", () => {
    const requests: Array<[string, string, string]> = [
      ['SecretsManagerEndpoint', 'secretsmanager:GetSecretValue', EVERYTHING.DatabaseUrlSecretArn as string],
      ['EcrApiEndpoint', 'ecr:GetAuthorizationToken', '*'],
      ['EcrDockerEndpoint', 'ecr:BatchGetImage', EVERYTHING.ImageRepositoryArn as string],
      ['LogsEndpoint', 'logs:PutLogEvents', `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/db-tasks:log-stream:x`],
      ['S3GatewayEndpoint', 's3:PutObject', `arn:aws:s3:::attacker-bucket/loot`],
      ['S3GatewayEndpoint', 's3:GetObject', `arn:aws:s3:::my-bucket/data`]
    ]
    for (const [name, action, resource] of requests) {
      const policy = endpointPolicy(everything.Resources, name)
      for (const owner of [ACCOUNT, OTHER]) {
        expect(allows(policy, { action, resource, context: by(OTHER, owner) })).toBe(false)
        expect(allows(policy, { action, resource, context: by(undefined, owner) })).toBe(false)
      }
    }
  })

  test("the account's principals reach the account's resources, and the build reaches what it needs elsewhere", () => {
    const s3 = endpointPolicy(cross.Resources, 'S3GatewayEndpoint')
    expect(allows(s3, { action: 's3:PutObject', resource: 'arn:aws:s3:::my-bucket/x', context: by(ACCOUNT, ACCOUNT) })).toBe(true)
    // docker pull follows ECR's pre-signed layer URLs, signed by ECR (an AWS account), not by the build's role.
    for (const signer of [ACCOUNT, '000000000000', undefined])
      expect(allows(s3, { action: 's3:GetObject', resource: `${ECR_LAYERS}/sha256/abc`, context: by(signer, undefined) })).toBe(true)
    for (const name of ['EcrApiEndpoint', 'EcrDockerEndpoint']) {
      const ecr = endpointPolicy(cross.Resources, name)
      expect(allows(ecr, { action: 'ecr:GetAuthorizationToken', resource: '*', context: by(ACCOUNT, undefined) })).toBe(true)
      for (const action of ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'])
        expect(allows(ecr, { action, resource: CROSS_ACCOUNT.ImageRepositoryArn, context: by(ACCOUNT, OTHER) })).toBe(true)
      expect(
        allows(ecr, {
          action: 'ecr:BatchGetImage',
          resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/other`,
          context: by(ACCOUNT, ACCOUNT)
        })
      ).toBe(true)
    }
    const secrets = endpointPolicy(cross.Resources, 'SecretsManagerEndpoint')
    for (const secret of [CROSS_ACCOUNT.DatabaseUrlSecretArn, CROSS_ACCOUNT.AdditionalSecretArns, CROSS_ACCOUNT.PlanDatabaseSecretArn])
      expect(
        allows(secrets, { action: 'secretsmanager:GetSecretValue', resource: secret, context: by(ACCOUNT, secret.split(':')[4]) })
      ).toBe(true)
    const logs = endpointPolicy(cross.Resources, 'LogsEndpoint')
    expect(
      allows(logs, {
        action: 'logs:PutLogEvents',
        resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/db-tasks:log-stream:x`,
        context: by(ACCOUNT, ACCOUNT)
      })
    ).toBe(true)
  })

  test("the account's principals cannot write to another account's resources through an endpoint", () => {
    const writes: Array<[string, string, string]> = [
      ['S3GatewayEndpoint', 's3:PutObject', 'arn:aws:s3:::attacker-bucket/loot'],
      ['S3GatewayEndpoint', 's3:PutObject', `${ECR_LAYERS}/loot`],
      ['S3GatewayEndpoint', 's3:GetObject', 'arn:aws:s3:::attacker-bucket/tool'],
      ['EcrDockerEndpoint', 'ecr:PutImage', `arn:aws:ecr:${REGION}:${OTHER}:repository/loot`],
      ['EcrDockerEndpoint', 'ecr:PutImage', CROSS_ACCOUNT.ImageRepositoryArn],
      ['EcrDockerEndpoint', 'ecr:BatchGetImage', `arn:aws:ecr:${REGION}:${OTHER}:repository/other`],
      ['EcrApiEndpoint', 'ecr:InitiateLayerUpload', CROSS_ACCOUNT.ImageRepositoryArn],
      ['SecretsManagerEndpoint', 'secretsmanager:PutSecretValue', CROSS_ACCOUNT.AdditionalSecretArns],
      ['SecretsManagerEndpoint', 'secretsmanager:PutSecretValue', `arn:aws:secretsmanager:${REGION}:${OTHER}:secret:loot-AbCdEf`],
      ['SecretsManagerEndpoint', 'secretsmanager:GetSecretValue', `arn:aws:secretsmanager:${REGION}:${OTHER}:secret:other-AbCdEf`],
      ['LogsEndpoint', 'logs:PutLogEvents', `arn:aws:logs:${REGION}:${OTHER}:log-group:loot:log-stream:x`]
    ]
    for (const [name, action, resource] of writes) {
      const owner = resource.startsWith('arn:aws:s3:::')
        ? resource.startsWith(ECR_LAYERS)
          ? '000000000000'
          : OTHER
        : (resource.split(':')[4] as string)
      expect([
        name,
        action,
        resource,
        allows(endpointPolicy(cross.Resources, name), { action, resource, context: by(ACCOUNT, owner) })
      ]).toEqual([name, action, resource, false])
    }
  })

  test('statements without aws:ResourceAccount name only read actions on what the build needs', () => {
    const needed = [
      CROSS_ACCOUNT.ImageRepositoryArn,
      CROSS_ACCOUNT.DatabaseUrlSecretArn,
      CROSS_ACCOUNT.AdditionalSecretArns,
      CROSS_ACCOUNT.PlanDatabaseSecretArn,
      `${ECR_LAYERS}/*`
    ]
    const readActions =
      /^(?:s3:GetObject|ecr:(?:GetAuthorizationToken|BatchGetImage|GetDownloadUrlForLayer|BatchCheckLayerAvailability)|secretsmanager:GetSecretValue)$/
    for (const name of Object.keys(endpoints(cross.Resources))) {
      for (const statement of endpointPolicy(cross.Resources, name).Statement) {
        if (statement.Condition?.StringEquals?.['aws:ResourceAccount'] === ACCOUNT) continue
        for (const action of list(statement.Action)) expect(action).toMatch(readActions)
        const resources = list(statement.Resource)
        if (resources.includes('*')) expect(list(statement.Action)).toEqual(['ecr:GetAuthorizationToken'])
        else for (const resource of resources) expect(needed).toContain(resource)
      }
    }
  })

  test('the S3 endpoint has a policy whenever it exists (RouteTableIds), with or without the interface endpoints', () => {
    const s3Only = resolveTemplate(template, { ...EVERYTHING, CreateVpcEndpoints: 'false' })
    expect(Object.keys(endpoints(s3Only.Resources))).toEqual(['S3GatewayEndpoint'])
    expect(endpointPolicy(s3Only.Resources, 'S3GatewayEndpoint').Statement.map(s => s.Sid)).toEqual([
      'OwnPrincipalsToOwnBuckets',
      'EcrImageLayers'
    ])
    const none = resolveTemplate(template, PARAMETER_SETS['defaults, endpoints and OIDC provider off'] as Record<string, string>)
    expect(Object.keys(endpoints(none.Resources))).toEqual([])
  })
})

describe('CodeBuild service role: network interfaces only in the given subnets', () => {
  const resources = resolveTemplate(template, EVERYTHING).Resources
  const policy = serviceRolePolicy(resources)
  const subnetArn = (id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/${id}`
  const eni = `arn:aws:ec2:${REGION}:${ACCOUNT}:network-interface/eni-0123456789abcdef0`
  const buildGroup = `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/{BuildSecurityGroup}`
  const codebuild = { 'ec2:AuthorizedService': 'codebuild.amazonaws.com' }

  test("only reads are granted on '*': EC2's Describe* calls and ECR's token", () => {
    for (const statement of policy.Statement)
      if (list(statement.Resource).includes('*'))
        for (const action of list(statement.Action)) expect(action).toMatch(/^(?:ec2:Describe\w+|ecr:GetAuthorizationToken)$/)
  })

  test('creating and deleting an interface, and letting CodeBuild attach it, need one of the subnets', () => {
    for (const subnet of SUBNETS) {
      const inSubnet = { 'ec2:Subnet': subnetArn(subnet) }
      expect(allows(policy, { action: 'ec2:CreateNetworkInterface', resource: subnetArn(subnet), context: {} })).toBe(true)
      expect(allows(policy, { action: 'ec2:CreateNetworkInterface', resource: buildGroup, context: {} })).toBe(true)
      expect(allows(policy, { action: 'ec2:CreateNetworkInterface', resource: eni, context: inSubnet })).toBe(true)
      expect(allows(policy, { action: 'ec2:DeleteNetworkInterface', resource: eni, context: inSubnet })).toBe(true)
      expect(
        allows(policy, { action: 'ec2:CreateNetworkInterfacePermission', resource: eni, context: { ...inSubnet, ...codebuild } })
      ).toBe(true)
    }
    const elsewhere = { 'ec2:Subnet': subnetArn('subnet-0badbadbadbadbad0') }
    expect(allows(policy, { action: 'ec2:CreateNetworkInterface', resource: subnetArn('subnet-0badbadbadbadbad0'), context: {} })).toBe(
      false
    )
    expect(
      allows(policy, {
        action: 'ec2:CreateNetworkInterface',
        resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/sg-0other`,
        context: {}
      })
    ).toBe(false)
    expect(allows(policy, { action: 'ec2:CreateNetworkInterface', resource: eni, context: elsewhere })).toBe(false)
    expect(allows(policy, { action: 'ec2:DeleteNetworkInterface', resource: eni, context: elsewhere })).toBe(false)
    expect(allows(policy, { action: 'ec2:DeleteNetworkInterface', resource: eni, context: {} })).toBe(false)
    expect(allows(policy, { action: 'ec2:CreateNetworkInterfacePermission', resource: eni, context: { ...elsewhere, ...codebuild } })).toBe(
      false
    )
    // Only for CodeBuild: the permission for another service is refused even in the subnets.
    const lambda = { 'ec2:Subnet': subnetArn(SUBNETS[0] as string), 'ec2:AuthorizedService': 'lambda.amazonaws.com' }
    expect(allows(policy, { action: 'ec2:CreateNetworkInterfacePermission', resource: eni, context: lambda })).toBe(false)
  })

  test('the subnet conditions list exactly the template parameter SubnetIds', () => {
    const patterns = policy.Statement.filter(s => s.Condition?.ArnLike?.['ec2:Subnet'] !== undefined).map(s =>
      list(s.Condition?.ArnLike?.['ec2:Subnet'])
    )
    expect(patterns).toHaveLength(2)
    for (const values of patterns) expect(values).toEqual(SUBNETS.map(id => `arn:*:ec2:*:*:subnet/${id}`))
  })
})

describe('each condition key cites the AWS page that documents it', () => {
  const CITATIONS: Record<string, string> = {
    'aws:PrincipalAccount': 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html',
    'aws:ResourceAccount': 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html',
    'aws:SourceAccount': 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html',
    'ec2:Subnet': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html',
    'ec2:AuthorizedService':
      'https://docs.aws.amazon.com/codebuild/latest/userguide/auth-and-access-control-iam-identity-based-access-control.html'
  }

  test('the keys of the endpoint policies and the service role are all cited in the template', () => {
    const resources = resolveTemplate(template, CROSS_ACCOUNT).Resources
    const role = resources.CodeBuildServiceRole?.Properties as { AssumeRolePolicyDocument: Policy }
    const policies = [
      ...Object.keys(endpoints(resources)).map(name => endpointPolicy(resources, name)),
      serviceRolePolicy(resources),
      role.AssumeRolePolicyDocument
    ]
    const keys = new Set(
      policies.flatMap(p => p.Statement.flatMap(s => Object.values(s.Condition ?? {}).flatMap(tests => Object.keys(tests))))
    )
    expect([...keys].sort()).toEqual(Object.keys(CITATIONS).sort())
    for (const url of new Set(Object.values(CITATIONS))) expect(text).toContain(url)
    expect(text).toContain('https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html')
  })
})

describe("the README's AWS setup and security model say what the template does", () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8')
  const section = (heading: string) =>
    readme.slice(readme.indexOf(`\n## ${heading}\n`), readme.indexOf('\n## ', readme.indexOf(`\n## ${heading}\n`) + 1))

  test('the endpoint policies and the network-interface scoping are described', () => {
    const setup = section('AWS setup')
    for (const term of [
      'aws:PrincipalAccount',
      'aws:ResourceAccount',
      'prod-<region>-starport-layer-bucket',
      '`ec2:CreateNetworkInterface` on the `SubnetIds` subnets',
      '`ec2:DeleteNetworkInterface`',
      '`ec2:AuthorizedService` `codebuild.amazonaws.com`'
    ])
      expect(setup).toContain(term)
    const model = section('Security model')
    expect(model).toContain("each endpoint's policy admits only this account's principals")
    expect(model).toContain('only in `SubnetIds`')
  })

  test("the plan project's parameters, roles and outputs are described", () => {
    const setup = section('AWS setup')
    const parameters = Object.keys((template as { Parameters: Record<string, unknown> }).Parameters)
    const plan = parameters.filter(name => /Plan/.test(name))
    expect(plan.sort()).toEqual(
      [
        'CreatePlanProject',
        'PlanDatabase',
        'PlanDatabaseSecretArn',
        'PlanDatabaseSecretJsonKey',
        'PlanDatabaseSecurityGroupId',
        'PlanGitHubSubjects'
      ].sort()
    )
    for (const term of [
      ...plan,
      'PlanProjectName',
      'PlanGitHubActionsRoleArn',
      '<ProjectName>-codebuild-plan',
      '<ProjectName>-github-plan'
    ])
      expect([term, setup.includes(`\`${term}`)]).toEqual([term, true])
    expect(section('Security model')).toContain('**Plans on pull requests** (`CreatePlanProject`)')
    expect(readFileSync(path.join(root, 'SECURITY.md'), 'utf8')).toContain('**The plan project** (`CreatePlanProject`')
  })
})

describe('image mode and the fleet (CreateImageModeProject, CreateFleet)', () => {
  const REPOSITORY_HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`
  const repository = (EVERYTHING.ImageRepositoryArn as string).split(':repository/')[1] as string
  const IMAGE = `${REPOSITORY_HOST}/${repository}@sha256:${'ab'.repeat(32)}`
  const FLEET = '{Fleet.Arn}'
  const IMAGE_PROJECT = '{ImageModeProject.Arn}'
  const CONTAINER_PROJECT = '{CodeBuildProject.Arn}'
  /** Every policy of the GitHub Actions role as one (its inline policies and the RolePolicy resources naming it). */
  const githubPolicy = (resources: Resources): Policy => ({
    Statement: [
      ...(resources.GitHubActionsRole?.Properties?.Policies as Array<{ PolicyDocument: Policy }>),
      ...Object.values(resources)
        .filter(r => r.Type === 'AWS::IAM::RolePolicy' && r.Properties?.RoleName === '{GitHubActionsRole}')
        .map(r => r.Properties as { PolicyDocument: Policy })
    ].flatMap(p => p.PolicyDocument.Statement)
  })
  /** The request context of the action's StartBuild in image mode (the keys its overrides set). */
  const imageMode = (over: Record<string, string | undefined> = {}): Record<string, string> =>
    Object.fromEntries(
      Object.entries({
        'codebuild:environment.image': IMAGE,
        'codebuild:environment.imagePullCredentialsType': 'SERVICE_ROLE',
        'codebuild:environment.privilegedMode': 'false',
        ...over
      }).filter((e): e is [string, string] => e[1] !== undefined)
    )
  const start = (policy: Policy, resource: string, context: Record<string, string>) =>
    allows(policy, { action: 'codebuild:StartBuild', resource, context })

  test('the image-mode project is unprivileged, pulls with the service role, in the VPC; off by default', () => {
    const resources = resolveTemplate(template, EVERYTHING).Resources
    const environment = resources.ImageModeProject?.Properties?.Environment as Record<string, unknown>
    expect(environment).toMatchObject({ PrivilegedMode: false, ImagePullCredentialsType: 'SERVICE_ROLE', Type: 'LINUX_CONTAINER' })
    expect(environment.Image).toBe(`${REPOSITORY_HOST}/${repository}:latest`)
    expect(resources.ImageModeProject?.Properties?.VpcConfig).toBeDefined()
    const defaults = resolveTemplate(
      template,
      PARAMETER_SETS['defaults, endpoints and OIDC provider off'] as Record<string, string>
    ).Resources
    expect(defaults.ImageModeProject).toBeUndefined()
    expect(defaults.Fleet).toBeUndefined()
  })

  test('its service role pulls only from ImageRepositoryArn', () => {
    const policy = serviceRolePolicy(resolveTemplate(template, EVERYTHING).Resources)
    const pull = (resource: string) => allows(policy, { action: 'ecr:BatchGetImage', resource, context: {} })
    expect(pull(EVERYTHING.ImageRepositoryArn as string)).toBe(true)
    expect(pull(`arn:aws:ecr:${REGION}:${ACCOUNT}:repository/other`)).toBe(false)
  })

  test('StartBuild overrides the image only to that repository, with the service role, never privileged', () => {
    const policy = githubPolicy(resolveTemplate(template, EVERYTHING).Resources)
    expect(start(policy, IMAGE_PROJECT, imageMode())).toBe(true)
    expect(start(policy, IMAGE_PROJECT, imageMode({ 'codebuild:environment.image': `${REPOSITORY_HOST}/${repository}:1.2.3` }))).toBe(true)
    for (const image of [
      `${REPOSITORY_HOST}/other:1`,
      `${REPOSITORY_HOST}/${repository}-evil:1`,
      `${OTHER}.dkr.ecr.${REGION}.amazonaws.com/${repository}:1`,
      `docker.io/library/${repository}:1`,
      undefined
    ])
      expect(start(policy, IMAGE_PROJECT, imageMode({ 'codebuild:environment.image': image }))).toBe(false)
    expect(start(policy, IMAGE_PROJECT, imageMode({ 'codebuild:environment.privilegedMode': 'true' }))).toBe(false)
    expect(start(policy, IMAGE_PROJECT, imageMode({ 'codebuild:environment.imagePullCredentialsType': 'CODEBUILD' }))).toBe(false)
    expect(start(policy, IMAGE_PROJECT, imageMode({ 'codebuild:serviceRole': 'arn:aws:iam::123456789012:role/admin' }))).toBe(false)
    // The container project still takes no image override.
    expect(start(policy, CONTAINER_PROJECT, {})).toBe(true)
    expect(start(policy, CONTAINER_PROJECT, imageMode())).toBe(false)
  })

  test("a fleet override only to the template's fleet, and none without one", () => {
    const policy = githubPolicy(resolveTemplate(template, EVERYTHING).Resources)
    const fleet = (arn: string) => ({ 'codebuild:environment.fleet.fleetArn': arn })
    const other = `arn:aws:codebuild:${REGION}:${ACCOUNT}:fleet/other:0b9c9f5e-1d2a-4c5b-8e7f-123456789abc`
    expect(start(policy, CONTAINER_PROJECT, fleet(FLEET))).toBe(true)
    expect(start(policy, IMAGE_PROJECT, imageMode(fleet(FLEET)))).toBe(true)
    expect(start(policy, CONTAINER_PROJECT, fleet(other))).toBe(false)
    expect(start(policy, IMAGE_PROJECT, imageMode(fleet(other)))).toBe(false)
    expect(allows(policy, { action: 'codebuild:BatchGetFleets', resource: FLEET, context: {} })).toBe(true)
    const noFleet = githubPolicy(resolveTemplate(template, { ...EVERYTHING, CreateFleet: 'false' }).Resources)
    expect(start(noFleet, CONTAINER_PROJECT, {})).toBe(true)
    expect(start(noFleet, CONTAINER_PROJECT, fleet(other))).toBe(false)
    expect(allows(noFleet, { action: 'codebuild:BatchGetFleets', resource: other, context: {} })).toBe(false)
  })

  test('the fleet has its own VPC configuration (the build subnets) and its own role, whose interfaces stay in them', () => {
    const resources = resolveTemplate(template, EVERYTHING).Resources
    const fleet = resources.Fleet?.Properties as Record<string, unknown>
    expect(fleet).toMatchObject({
      FleetServiceRole: '{FleetServiceRole.Arn}',
      FleetVpcConfig: { Subnets: SUBNETS, SecurityGroupIds: ['{BuildSecurityGroup}'] },
      OverflowBehavior: 'ON_DEMAND',
      EnvironmentType: 'LINUX_CONTAINER'
    })
    const role = (resources.FleetServiceRole?.Properties?.Policies as Array<{ PolicyDocument: Policy }>)[0]?.PolicyDocument as Policy
    const eni = `arn:aws:ec2:${REGION}:${ACCOUNT}:network-interface/eni-0123456789abcdef0`
    const subnet = (id: string) => ({ 'ec2:Subnet': `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/${id}` })
    expect(allows(role, { action: 'ec2:CreateNetworkInterface', resource: eni, context: subnet(SUBNETS[0] as string) })).toBe(true)
    expect(allows(role, { action: 'ec2:CreateNetworkInterface', resource: eni, context: subnet('subnet-0badbadbadbadbad0') })).toBe(false)
    // On-demand overflow runs with the project's role, which has the same VPC permissions.
    expect(
      allows(serviceRolePolicy(resources), { action: 'ec2:CreateNetworkInterface', resource: eni, context: subnet(SUBNETS[1] as string) })
    ).toBe(true)
  })

  test('the CodeBuild condition keys cite the pages that document them', () => {
    for (const url of [
      'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodebuild.html',
      'https://docs.aws.amazon.com/codebuild/latest/userguide/action-context-keys.html'
    ])
      expect(text).toContain(url)
  })
})

describe('the plan project for pull requests (CreatePlanProject)', () => {
  const STAGING = PARAMETER_SETS['plan project on a staging database'] as Record<string, string>
  const DEFAULTS = PARAMETER_SETS['defaults, endpoints and OIDC provider off'] as Record<string, string>
  const everything = resolveTemplate(template, EVERYTHING).Resources
  const PLAN_SECRET = EVERYTHING.PlanDatabaseSecretArn as string
  const PRODUCTION_SECRET = EVERYTHING.DatabaseUrlSecretArn as string
  const PLAN_PROJECT = '{PlanProject.Arn}'
  const PRODUCTION_PROJECTS = ['{CodeBuildProject.Arn}', '{ImageModeProject.Arn}']
  const logStream = (group: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}:log-stream:x`
  const REPOSITORY_HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`
  const repository = (EVERYTHING.ImageRepositoryArn as string).split(':repository/')[1] as string

  const inlinePolicy = (resources: Resources, role: string): Policy => {
    const policies = resources[role]?.Properties?.Policies as Array<{ PolicyDocument: Policy }> | undefined
    if (policies === undefined) throw new Error(`${role} has no policies`)
    return { Statement: policies.flatMap(p => p.PolicyDocument.Statement) }
  }
  /** Whether a GitHub OIDC token with this subject (after repo:) and audience may assume the role. */
  const trusts = (resources: Resources, role: string, subject: string, aud = 'sts.amazonaws.com', repo = 'your-org/your-app') => {
    const trust = resources[role]?.Properties?.AssumeRolePolicyDocument as Policy
    const context = {
      'token.actions.githubusercontent.com:aud': aud,
      'token.actions.githubusercontent.com:sub': `repo:${repo}:${subject}`
    }
    const applies = (s: Statement) => matches(s.Action, 'sts:AssumeRoleWithWebIdentity', true) && conditionHolds(s.Condition, context)
    return trust.Statement.some(s => s.Effect === 'Allow' && applies(s)) && !trust.Statement.some(s => s.Effect === 'Deny' && applies(s))
  }
  const start = (policy: Policy, resource: string, context: Record<string, string> = {}) =>
    allows(policy, { action: 'codebuild:StartBuild', resource, context })
  /** The PR role with a policy that allows everything attached besides: what its Denies still refuse. */
  const withAdministratorAccess = (policy: Policy): Policy => ({
    Statement: [...policy.Statement, { Effect: 'Allow', Action: '*', Resource: '*' }]
  })

  test('off by default: no plan resources, no plan outputs, the production trust as before', () => {
    const { Resources: resources, Outputs: outputs } = resolveTemplate(template, DEFAULTS)
    expect(Object.keys(resources).filter(name => name.startsWith('Plan'))).toEqual([])
    // Outputs keep their Condition here (CloudFormation leaves those out whose condition is false).
    for (const [name, output] of Object.entries(outputs))
      if (name.startsWith('Plan')) expect([name, (output as { Condition?: string }).Condition]).toEqual([name, 'HasPlanProject'])
    const trust = resources.GitHubActionsRole?.Properties?.AssumeRolePolicyDocument as Policy
    expect(Object.keys(trust.Statement[0]?.Condition ?? {})).not.toContain('StringNotLike')
    // Without the plan project a stack may still admit pull_request (a staging stack's check on pull requests).
    const staging = resolveTemplate(template, { ...DEFAULTS, GitHubSubjects: 'pull_request' }).Resources
    expect(trusts(staging, 'GitHubActionsRole', 'pull_request')).toBe(true)
    expect(failedRules(template, { ...DEFAULTS, GitHubSubjects: 'pull_request' })).toEqual([])
  })

  test('the project: <ProjectName>-plan, container mode in the VPC with its own group, role, log group and secret', () => {
    const project = everything.PlanProject?.Properties as Record<string, unknown>
    expect(project).toMatchObject({
      Name: 'db-tasks-plan',
      ServiceRole: '{PlanServiceRole.Arn}',
      VpcConfig: { VpcId: EVERYTHING.VpcId, Subnets: SUBNETS, SecurityGroupIds: ['{PlanSecurityGroup}'] },
      LogsConfig: { CloudWatchLogs: { Status: 'ENABLED', GroupName: '{PlanLogGroup}' } },
      Environment: {
        PrivilegedMode: true,
        EnvironmentVariables: [{ Name: 'DATABASE_URL', Type: 'SECRETS_MANAGER', Value: `${PLAN_SECRET}:url` }]
      }
    })
    expect(project.Description).toMatch(/read-only database user/)
    expect(everything.PlanLogGroup?.Properties?.LogGroupName).toBe('/aws/codebuild/db-tasks-plan')
    expect(JSON.stringify(project)).not.toContain(PRODUCTION_SECRET)
    // Its security group: the database port only to the database's group, which admits it.
    const egress = everything.PlanSecurityGroup?.Properties?.SecurityGroupEgress as Array<Record<string, unknown>>
    expect(egress.filter(rule => rule.FromPort !== 443)).toEqual([
      expect.objectContaining({ FromPort: '5432', ToPort: '5432', DestinationSecurityGroupId: EVERYTHING.DatabaseSecurityGroupId })
    ])
    expect(everything.PlanDatabaseIngress?.Properties).toMatchObject({
      GroupId: EVERYTHING.DatabaseSecurityGroupId,
      SourceSecurityGroupId: '{PlanSecurityGroup}'
    })
    expect(everything.EndpointIngressFromPlan?.Properties).toMatchObject({ SourceSecurityGroupId: '{PlanSecurityGroup}' })
    const { Outputs: outputs } = resolveTemplate(template, EVERYTHING)
    expect(outputs.PlanProjectName).toMatchObject({ Value: '{PlanProject}' })
    expect(outputs.PlanGitHubActionsRoleArn).toMatchObject({ Value: '{PlanGitHubActionsRole.Arn}' })
  })

  test('against a staging database: labelled in its name and description, reaching only the staging database', () => {
    const resources = resolveTemplate(template, STAGING).Resources
    expect(resources.PlanProject?.Properties?.Name).toBe('db-tasks-plan-staging')
    expect(resources.PlanProject?.Properties?.Description).toMatch(/STAGING database/)
    expect(resources.PlanLogGroup?.Properties?.LogGroupName).toBe('/aws/codebuild/db-tasks-plan-staging')
    const egress = resources.PlanSecurityGroup?.Properties?.SecurityGroupEgress as Array<Record<string, unknown>>
    const database = egress.filter(rule => rule.FromPort !== 443)
    expect(database).toEqual([expect.objectContaining({ DestinationSecurityGroupId: STAGING.PlanDatabaseSecurityGroupId })])
    expect(resources.PlanDatabaseIngress?.Properties?.GroupId).toBe(STAGING.PlanDatabaseSecurityGroupId)
    const logs = inlinePolicy(resources, 'PlanServiceRole')
    expect(allows(logs, { action: 'logs:PutLogEvents', resource: logStream('/aws/codebuild/db-tasks-plan-staging'), context: {} })).toBe(
      true
    )
    expect(failedRules(template, STAGING)).toEqual([])
  })

  test('the plan service role reads the plan secret and never the production secrets', () => {
    for (const parameters of [EVERYTHING, CROSS_ACCOUNT]) {
      const role = inlinePolicy(resolveTemplate(template, parameters).Resources, 'PlanServiceRole')
      const read = (secret: string) => allows(role, { action: 'secretsmanager:GetSecretValue', resource: secret, context: {} })
      expect(read(parameters.PlanDatabaseSecretArn)).toBe(true)
      expect(read(parameters.DatabaseUrlSecretArn)).toBe(false)
      expect(read(parameters.AdditionalSecretArns)).toBe(false)
      expect(read(`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:other-AbCdEf`)).toBe(false)
      // Denied outright: a policy attached later cannot give them to a pull request's build.
      expect(
        allows(withAdministratorAccess(role), { action: 'secretsmanager:GetSecretValue', resource: PRODUCTION_SECRET, context: {} })
      ).toBe(false)
    }
    const role = inlinePolicy(everything, 'PlanServiceRole')
    expect(allows(role, { action: 'ecr:BatchGetImage', resource: EVERYTHING.ImageRepositoryArn as string, context: {} })).toBe(true)
    expect(allows(role, { action: 'ecr:BatchGetImage', resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/other`, context: {} })).toBe(
      false
    )
    expect(allows(role, { action: 'logs:PutLogEvents', resource: logStream('/aws/codebuild/db-tasks-plan'), context: {} })).toBe(true)
    expect(allows(role, { action: 'logs:PutLogEvents', resource: logStream('/aws/codebuild/db-tasks'), context: {} })).toBe(false)
    // Network interfaces in the subnets, with the plan's own security group (not the production builds').
    const eni = `arn:aws:ec2:${REGION}:${ACCOUNT}:network-interface/eni-0123456789abcdef0`
    const inSubnet = { 'ec2:Subnet': `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/${SUBNETS[0]}` }
    expect(allows(role, { action: 'ec2:CreateNetworkInterface', resource: eni, context: inSubnet })).toBe(true)
    const group = (name: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/{${name}}`
    expect(allows(role, { action: 'ec2:CreateNetworkInterface', resource: group('PlanSecurityGroup'), context: {} })).toBe(true)
    expect(allows(role, { action: 'ec2:CreateNetworkInterface', resource: group('BuildSecurityGroup'), context: {} })).toBe(false)
    for (const statement of role.Statement)
      if (statement.Effect === 'Allow' && list(statement.Resource).includes('*'))
        for (const action of list(statement.Action)) expect(action).toMatch(/^(?:ec2:Describe\w+|ecr:GetAuthorizationToken)$/)
  })

  test('the PR role is trusted by PlanGitHubSubjects of the repository only, with the audience sts.amazonaws.com', () => {
    expect(trusts(everything, 'PlanGitHubActionsRole', 'pull_request')).toBe(true)
    expect(trusts(everything, 'PlanGitHubActionsRole', 'ref:refs/heads/main')).toBe(true)
    expect(trusts(everything, 'PlanGitHubActionsRole', 'pull_request', 'other')).toBe(false)
    expect(trusts(everything, 'PlanGitHubActionsRole', 'pull_request', 'sts.amazonaws.com', 'your-org/other')).toBe(false)
    expect(trusts(everything, 'PlanGitHubActionsRole', 'pull_request', 'sts.amazonaws.com', 'attacker/your-app')).toBe(false)
    for (const subject of ['environment:production', 'ref:refs/heads/feature', 'pull_request_target'])
      expect(trusts(everything, 'PlanGitHubActionsRole', subject)).toBe(false)
    const staging = resolveTemplate(template, STAGING).Resources
    expect(trusts(staging, 'PlanGitHubActionsRole', 'pull_request')).toBe(true)
    expect(trusts(staging, 'PlanGitHubActionsRole', 'ref:refs/heads/main')).toBe(false)
  })

  test('the production role never trusts pull_request with the plan project, even if GitHubSubjects listed it', () => {
    expect(trusts(everything, 'GitHubActionsRole', 'environment:production')).toBe(true)
    expect(trusts(everything, 'GitHubActionsRole', 'pull_request')).toBe(false)
    // CloudFormation's Rules refuse such a stack; were they bypassed, the trust policy still refuses the subject.
    const listed = { ...EVERYTHING, GitHubSubjects: 'environment:production,pull_request' }
    expect(failedRules(template, listed)).toEqual([expect.stringContaining('remove pull_request from GitHubSubjects')])
    expect(trusts(resolveTemplate(template, listed).Resources, 'GitHubActionsRole', 'pull_request')).toBe(false)
    expect(trusts(resolveTemplate(template, listed).Resources, 'GitHubActionsRole', 'environment:production')).toBe(true)
  })

  test('the Rules: the plan needs a secret of its own', () => {
    expect(failedRules(template, EVERYTHING)).toEqual([])
    expect(failedRules(template, { ...EVERYTHING, PlanDatabaseSecretArn: '' })).toEqual([
      expect.stringContaining('give PlanDatabaseSecretArn')
    ])
    expect(failedRules(template, { ...EVERYTHING, PlanDatabaseSecretArn: PRODUCTION_SECRET })).toEqual([
      expect.stringContaining('not DatabaseUrlSecretArn')
    ])
    expect(failedRules(template, { ...EVERYTHING, PlanDatabaseSecretArn: EVERYTHING.AdditionalSecretArns as string })).toEqual([
      expect.stringContaining('AdditionalSecretArns')
    ])
  })

  test('the PR role starts the plan project only, without overrides, and cannot touch the production projects or logs', () => {
    const policy = inlinePolicy(everything, 'PlanGitHubActionsRole')
    expect(start(policy, PLAN_PROJECT)).toBe(true)
    for (const action of [
      'codebuild:BatchGetBuilds',
      'codebuild:StopBuild',
      'codebuild:BatchGetProjects',
      'codebuild:ListBuildsForProject'
    ])
      expect(allows(policy, { action, resource: PLAN_PROJECT, context: {} })).toBe(true)
    expect(allows(policy, { action: 'logs:GetLogEvents', resource: logStream('/aws/codebuild/db-tasks-plan'), context: {} })).toBe(true)
    for (const held of [policy, withAdministratorAccess(policy)]) {
      for (const project of PRODUCTION_PROJECTS) {
        expect(start(held, project)).toBe(false)
        for (const action of ['codebuild:BatchGetBuilds', 'codebuild:StopBuild', 'codebuild:UpdateProject'])
          expect(allows(held, { action, resource: project, context: {} })).toBe(false)
      }
      expect(allows(held, { action: 'logs:GetLogEvents', resource: logStream('/aws/codebuild/db-tasks'), context: {} })).toBe(false)
      expect(
        allows(held, {
          action: 'logs:FilterLogEvents',
          resource: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/db-tasks',
          context: {}
        })
      ).toBe(false)
      // Overrides: never privileged, never another service role or a fleet, never an image outside the repository.
      expect(start(held, PLAN_PROJECT, { 'codebuild:environment.privilegedMode': 'true' })).toBe(false)
      expect(start(held, PLAN_PROJECT, { 'codebuild:serviceRole': `arn:aws:iam::${ACCOUNT}:role/db-tasks-codebuild` })).toBe(false)
      expect(start(held, PLAN_PROJECT, { 'codebuild:environment.fleet.fleetArn': '{Fleet.Arn}' })).toBe(false)
      for (const image of [`${REPOSITORY_HOST}/other:1`, `${REPOSITORY_HOST}/${repository}-evil:1`, `docker.io/library/${repository}:1`])
        expect(start(held, PLAN_PROJECT, { 'codebuild:environment.image': image })).toBe(false)
    }
    // Its own policy takes no image override at all (container mode: the image is a variable, IMAGE_URI).
    expect(start(policy, PLAN_PROJECT, { 'codebuild:environment.image': `${REPOSITORY_HOST}/${repository}:1` })).toBe(false)
    expect(
      start(withAdministratorAccess(policy), PLAN_PROJECT, { 'codebuild:environment.image': `${REPOSITORY_HOST}/${repository}:1` })
    ).toBe(true)
    for (const statement of policy.Statement) if (statement.Effect === 'Allow') expect(list(statement.Resource)).not.toContain('*')
  })

  test("the endpoints admit the plan's builds and its secret", () => {
    const cross = resolveTemplate(template, CROSS_ACCOUNT).Resources
    const secrets = endpointPolicy(cross, 'SecretsManagerEndpoint')
    const context = by(ACCOUNT, OTHER)
    expect(allows(secrets, { action: 'secretsmanager:GetSecretValue', resource: CROSS_ACCOUNT.PlanDatabaseSecretArn, context })).toBe(true)
    expect(
      allows(secrets, { action: 'secretsmanager:GetSecretValue', resource: CROSS_ACCOUNT.PlanDatabaseSecretArn, context: by(OTHER, OTHER) })
    ).toBe(false)
    const off = resolveTemplate(template, { ...CROSS_ACCOUNT, CreatePlanProject: 'false' }).Resources
    expect(
      allows(endpointPolicy(off, 'SecretsManagerEndpoint'), {
        action: 'secretsmanager:GetSecretValue',
        resource: CROSS_ACCOUNT.PlanDatabaseSecretArn,
        context
      })
    ).toBe(false)
  })

  test('the example workflow uses the outputs, which the template names', () => {
    const workflow = readFileSync(path.join(root, 'examples/workflows/plan-and-migrate.yml'), 'utf8')
    const { Outputs: outputs } = resolveTemplate(template, EVERYTHING)
    for (const [variable, output] of [
      ['PLAN_ROLE_ARN', 'PlanGitHubActionsRoleArn'],
      ['PLAN_CODEBUILD_PROJECT', 'PlanProjectName']
    ] as const) {
      expect(workflow).toContain(`vars.${variable}`)
      expect(workflow).toContain(output)
      expect((outputs[output] as { Description: string }).Description).toContain(variable)
    }
  })
})
