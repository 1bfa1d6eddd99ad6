// CloudFormation templates read as CloudFormation reads them, for scripts/lint.mjs and the template tests: the YAML
// short forms of the intrinsic functions, realistic parameter sets, conditions applied, values computed.

/** YAML short forms of CloudFormation's intrinsic functions (!Ref, !Sub, !GetAtt a.b, …) as their long forms. */
export function cloudFormationTags() {
  const functions = [
    'And',
    'Base64',
    'Cidr',
    'Equals',
    'FindInMap',
    'GetAtt',
    'GetAZs',
    'If',
    'ImportValue',
    'Join',
    'Not',
    'Or',
    'Select',
    'Split',
    'Sub',
    'Transform'
  ]
  const tags = []
  for (const name of ['Ref', 'Condition']) tags.push({ tag: `!${name}`, resolve: value => ({ [name]: value }) })
  for (const name of functions) {
    const key = `Fn::${name}`
    tags.push({ tag: `!${name}`, resolve: value => ({ [key]: name === 'GetAtt' ? value.split('.') : value }) })
    tags.push({ tag: `!${name}`, collection: 'seq', resolve: value => ({ [key]: value.toJSON() }) })
    tags.push({ tag: `!${name}`, collection: 'map', resolve: value => ({ [key]: value.toJSON() }) })
  }
  return tags
}

/** Values for the template's parameters: realistic ones that switch every optional part on, and the defaults. */
const REQUIRED_PARAMETERS = {
  VpcId: 'vpc-0123456789abcdef0',
  SubnetIds: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210',
  DatabaseSecurityGroupId: 'sg-0123456789abcdef0',
  ImageRepositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/my-app',
  DatabaseUrlSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:my-app/database-url-AbCdEf',
  GitHubOrg: 'your-org',
  GitHubRepo: 'your-app',
  GitHubSubjects: 'environment:production'
}
export const PARAMETER_SETS = {
  'every option on': {
    ...REQUIRED_PARAMETERS,
    CreateVpcEndpoints: 'true',
    RouteTableIds: 'rtb-0123456789abcdef0,rtb-0fedcba9876543210',
    DefaultImageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app:latest',
    DatabaseUrlSecretJsonKey: 'url',
    AdditionalSecretArns: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:my-app/api-key-AbCdEf',
    ParameterArns: 'arn:aws:ssm:us-east-1:123456789012:parameter/my-app/*',
    CreateGitHubOidcProvider: 'true',
    S3PrefixListId: 'pl-63a5400a',
    // pull_request is the plan role's (PlanGitHubSubjects): the template's Rules refuse it here with CreatePlanProject.
    GitHubSubjects: 'environment:production,ref:refs/heads/main',
    CreateImageModeProject: 'true',
    CreateFleet: 'true',
    FleetOverflowBehavior: 'ON_DEMAND',
    CreatePlanProject: 'true',
    PlanDatabaseSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:my-app/database-url-plan-AbCdEf',
    PlanDatabaseSecretJsonKey: 'url'
  },
  'plan project on a staging database': {
    ...REQUIRED_PARAMETERS,
    CreateVpcEndpoints: 'false',
    CreatePlanProject: 'true',
    PlanDatabase: 'staging',
    PlanDatabaseSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:my-app/staging/database-url-AbCdEf',
    PlanDatabaseSecurityGroupId: 'sg-0fedcba9876543210',
    PlanGitHubSubjects: 'pull_request'
  },
  'defaults, endpoints and OIDC provider off': {
    ...REQUIRED_PARAMETERS,
    CreateVpcEndpoints: 'false',
    CreateGitHubOidcProvider: 'false'
  }
}

/** The template's parameter values (declared defaults for those not given; lists split) and its conditions. */
function evaluator(template, parameters) {
  const values = {}
  for (const [name, declaration] of Object.entries(template.Parameters ?? {})) {
    let value = name in parameters ? parameters[name] : declaration.Default
    if (value === undefined) continue
    if (declaration.Type === 'CommaDelimitedList' || /^List</.test(declaration.Type))
      value = String(value)
        .split(',')
        .map(v => v.trim())
    values[name] = Array.isArray(value) ? value : String(value)
  }
  const results = {}
  const evaluate = expression => {
    if (['string', 'number', 'boolean'].includes(typeof expression)) return String(expression)
    if (Array.isArray(expression)) return expression.map(evaluate)
    const [fn, args] = Object.entries(expression ?? {})[0] ?? []
    switch (fn) {
      case 'Ref':
        if (!(args in values)) throw new Error(`condition refers to ${args}, which has no value`)
        return values[args]
      case 'Condition':
        return condition(args)
      case 'Fn::Equals':
        return String(evaluate(args[0])) === String(evaluate(args[1]))
      case 'Fn::Not':
        return !evaluate(args[0])
      case 'Fn::And':
        return args.every(evaluate)
      case 'Fn::Or':
        return args.some(evaluate)
      case 'Fn::Join':
        return [evaluate(args[1])].flat().join(args[0])
      case 'Fn::Contains':
        return [evaluate(args[0])].flat().includes(String(evaluate(args[1])))
      default:
        throw new Error(`cannot evaluate ${fn} in a condition`)
    }
  }
  const condition = name => {
    if (!(name in results)) {
      const expression = template.Conditions?.[name]
      if (expression === undefined) throw new Error(`unknown condition ${name}`)
      results[name] = Boolean(evaluate(expression))
    }
    return results[name]
  }
  return { values, condition, evaluate }
}

/**
 * The descriptions of the template's Rules assertions that these parameter values fail (CloudFormation refuses
 * such a stack before creating anything): each rule whose RuleCondition holds (or has none), each Assert false.
 */
export function failedRules(template, parameters) {
  const { evaluate } = evaluator(template, parameters)
  const failed = []
  for (const rule of Object.values(template.Rules ?? {})) {
    if (rule.RuleCondition !== undefined && !evaluate(rule.RuleCondition)) continue
    for (const assertion of rule.Assertions ?? []) if (!evaluate(assertion.Assert)) failed.push(assertion.AssertDescription)
  }
  return failed
}

/**
 * The template as CloudFormation would see it for these parameter values: each Fn::If replaced by the
 * branch its condition selects, AWS::NoValue removed. cfn-lint 1.9.7 loses its place in the template
 * when an Fn::If branch is an object or holds another function (it then reports every later property),
 * so the scenarios are expanded here and cfn-lint checks each concrete one.
 */
export function expandConditions(template, parameters) {
  const { condition } = evaluator(template, parameters)
  const REMOVE = Symbol('AWS::NoValue')
  const expand = node => {
    if (Array.isArray(node)) return node.map(expand).filter(v => v !== REMOVE)
    if (!node || typeof node !== 'object') return node
    const keys = Object.keys(node)
    if (keys.length === 1 && keys[0] === 'Ref' && node.Ref === 'AWS::NoValue') return REMOVE
    if (keys.length === 1 && keys[0] === 'Fn::If') {
      const [name, whenTrue, whenFalse] = node['Fn::If']
      return expand(condition(name) ? whenTrue : whenFalse)
    }
    const out = {}
    for (const key of keys) {
      const value = expand(node[key])
      if (value !== REMOVE) out[key] = value
    }
    return out
  }
  const expanded = { ...template }
  for (const section of ['Resources', 'Outputs']) if (template[section]) expanded[section] = expand(template[section])
  return expanded
}

/** Pseudo parameters for resolveTemplate: a stack in us-east-1 of account 123456789012. */
export const PSEUDO_PARAMETERS = {
  'AWS::AccountId': '123456789012',
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::StackName': 'db-tasks',
  'AWS::URLSuffix': 'amazonaws.com'
}

/**
 * The resources and outputs a stack would get for these parameter values, with values computed: conditions
 * applied (resources whose Condition is false left out), Ref, Fn::Sub, Fn::Join, Fn::Split and Fn::Select
 * evaluated. What only exists once deployed stays a placeholder: a resource's Ref is `{Name}`, Fn::GetAtt
 * `{Name.Attribute}`. For tests that read policies as IAM would see them.
 */
export function resolveTemplate(template, parameters, pseudo = PSEUDO_PARAMETERS) {
  const { values, condition } = evaluator(template, parameters)
  const expanded = expandConditions(template, parameters)
  const resources = Object.fromEntries(
    Object.entries(expanded.Resources ?? {}).filter(([, resource]) => resource.Condition === undefined || condition(resource.Condition))
  )
  const ref = name => {
    if (name in pseudo) return pseudo[name]
    if (name in values) return values[name]
    if (name in (template.Resources ?? {})) return `{${name}}`
    throw new Error(`Ref to unknown ${name}`)
  }
  const substitute = (text, variables) =>
    text.replace(/\$\{([^}!]+)\}/g, (_, name) => {
      if (name in variables) return String(variables[name])
      if (name.includes('.')) return `{${name}}`
      return String(ref(name))
    })
  const resolve = node => {
    if (Array.isArray(node)) return node.map(resolve)
    if (!node || typeof node !== 'object') return node
    const keys = Object.keys(node)
    if (keys.length === 1) {
      const [fn] = keys
      const args = node[fn]
      switch (fn) {
        case 'Ref':
          return ref(args)
        case 'Fn::GetAtt':
          return `{${[args].flat().join('.')}}`
        case 'Fn::Sub': {
          const [text, variables] = typeof args === 'string' ? [args, {}] : args
          return substitute(text, Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolve(v)])))
        }
        case 'Fn::Join':
          return [resolve(args[1])].flat().join(args[0])
        case 'Fn::Split':
          return String(resolve(args[1])).split(args[0])
        case 'Fn::Select':
          return [resolve(args[1])].flat()[Number(resolve(args[0]))]
      }
    }
    return Object.fromEntries(keys.map(key => [key, resolve(node[key])]))
  }
  return { Resources: resolve(resources), Outputs: resolve(expanded.Outputs ?? {}) }
}
