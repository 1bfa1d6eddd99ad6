/**
 * README.md stays true to action.yml, the example workflows and the CloudFormation template:
 * generated tables and embedded workflows are current, every input is explained, every reference to
 * the action uses the one placeholder, and the AWS setup shown matches the template.
 */
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { ECR_HOST_ERE } from '../src/core/plan/image.js'
import {
  ACTION_PLACEHOLDER,
  actionReferences,
  actionStepProblems,
  embeddedExamples,
  inputsTable,
  lineDiff,
  parseAction,
  renderReadme,
  replaceBetween
} from '../scripts/readme-tables.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8')

const readme = read('README.md')
const actionYaml = read('action.yml')
const action = parseAction(actionYaml)
const exampleNames = readdirSync(path.join(root, 'examples/workflows'))
  .filter(name => /\.ya?ml$/.test(name))
  .sort()
const examples: Record<string, string> = Object.fromEntries(exampleNames.map(name => [name, read(`examples/workflows/${name}`)]))

/** The README without its generated parts: what a person wrote. */
function handWritten(text: string): string {
  return text.replace(/<!-- ([\w.:-]+):start -->[\s\S]*?<!-- \1:end -->/g, '')
}

/** `name` in code (`name`, `name: …`) or as a YAML key: not a plain word, nor part of a longer name (secret-env-vars). */
const mentions = (text: string, name: string): boolean => {
  const n = name.replace(/-/g, '\\-')
  return new RegExp(`\`${n}(?:\`|: )|^\\s*${n}:`, 'm').test(text)
}

describe('README generated parts', () => {
  test('the inputs/outputs tables and embedded workflows match action.yml and examples/workflows (npm run docs)', () => {
    const expected = renderReadme(readme, actionYaml, examples)
    if (expected !== readme) throw new Error(`README.md is out of date; run npm run docs\n${lineDiff(readme, expected)}`)
  })

  test('embeds every example workflow', () => {
    expect(embeddedExamples(readme).sort()).toEqual(exampleNames)
    expect(exampleNames).toEqual(expect.arrayContaining(['deploy.yml', 'manual-seed.yml', 'migration-gate.yml']))
  })

  test('the inputs table has one row per input with its required flag and default', () => {
    const table = inputsTable(actionYaml)
    for (const [name, input] of Object.entries(action.inputs)) {
      const row = table.split('\n').find(line => line.startsWith(`| \`${name}\` |`))
      expect(row).toBeDefined()
      expect(row).toContain(input.required === true ? '| yes |' : '| no |')
      if (input.default !== undefined && input.default !== '') expect(row).toContain(`\`${input.default}\``)
    }
  })

  test('drift is reported as a diff, and missing markers as an error', () => {
    const drifted = readme.replace('| `task` |', '| `tasks` |')
    expect(drifted).not.toBe(readme)
    const diff = lineDiff(drifted, renderReadme(drifted, actionYaml, examples))
    expect(diff).toMatch(/^-\| `tasks` \|/m)
    expect(diff).toMatch(/^\+\| `task` \|/m)
    expect(() => replaceBetween('no markers here', 'inputs', 'x')).toThrow(/inputs:start/)
  })

  test('table cells escape pipes and angle brackets', () => {
    const table = inputsTable('inputs:\n  a:\n    description: "x | y <z>"\n    required: false\n    default: "1"\n')
    expect(table).toContain('| `a` | x \\| y &lt;z&gt; | no | `1` |')
  })
})

describe('README covers the contract', () => {
  const prose = handWritten(readme)

  test.each(Object.keys(action.inputs))('input %s is explained outside the generated table', name => {
    expect(mentions(prose, name)).toBe(true)
  })

  test.each(Object.keys(action.outputs))('output %s is explained outside the generated table', name => {
    expect(mentions(prose, name)).toBe(true)
  })

  test('has the sections the docs promise', () => {
    for (const heading of [
      '## Getting started',
      '## Demo',
      '## Quick start',
      '## Inputs',
      '## Outputs',
      '## AWS setup',
      '## Troubleshooting',
      '## Performance',
      '## Development',
      '## Versioning'
    ]) {
      expect(readme).toContain(`\n${heading}\n`)
    }
    expect(readme).toContain('npm ci\nnpm run demo\n')
  })
})

describe('references to the action', () => {
  test('every uses: of the action in the README and the examples is the placeholder', () => {
    const references = [readme, ...Object.values(examples)].flatMap(text => actionReferences(text))
    expect(references.length).toBeGreaterThan(0)
    expect([...new Set(references)]).toEqual([ACTION_PLACEHOLDER])
  })

  test.each(exampleNames)('%s uses the action with valid inputs', name => {
    expect(actionReferences(examples[name] as string)).toContain(ACTION_PLACEHOLDER)
    expect(actionStepProblems(examples[name] as string, actionYaml, name)).toEqual([])
  })

  test('a step with another reference, an unknown input or a missing required input is caught', () => {
    const workflow = [
      'on: push',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: someone/codebuild-vpc-task-action@main',
      '        with:',
      '          project-name: p',
      '          taks: migrate'
    ].join('\n')
    const problems = actionStepProblems(workflow, actionYaml, 'w.yml')
    expect(problems).toEqual([
      `w.yml: jobs.a.steps[0]: uses someone/codebuild-vpc-task-action@main, expected ${ACTION_PLACEHOLDER}`,
      "w.yml: jobs.a.steps[0]: input 'taks' is not in action.yml",
      "w.yml: jobs.a.steps[0]: required input 'task' is missing"
    ])
  })
})

describe('AWS setup in the README matches infra/codebuild-vpc-task.yml', () => {
  // Intrinsic-function tags (!Ref, !Sub, …) are read as their plain values: enough to see names and lists.
  const template = parse(read('infra/codebuild-vpc-task.yml'), { logLevel: 'silent' }) as {
    Parameters: Record<string, { Default?: unknown }>
    Resources: Record<string, { Properties?: Record<string, unknown> }>
  }

  test('the deploy command sets every parameter that has no default', () => {
    const command = /aws cloudformation deploy[\s\S]*?\n```/.exec(readme)?.[0] ?? ''
    expect(command).toContain('--capabilities CAPABILITY_NAMED_IAM')
    for (const [name, parameter] of Object.entries(template.Parameters)) {
      if (parameter.Default === undefined) expect(command).toMatch(new RegExp(`\\b${name}=`))
    }
  })

  test("the OIDC role's policy shown is the template's, and holds exactly the calls the action makes", () => {
    const role = template.Resources.GitHubActionsRole?.Properties as {
      Policies: Array<{ PolicyDocument: { Statement: Array<{ Action: string | string[] }> } }>
    }
    const templateActions = role.Policies.flatMap(p => p.PolicyDocument.Statement.flatMap(s => [s.Action].flat())).sort()
    const json = /```json\n([\s\S]*?)```/.exec(readme)?.[1] ?? '{}'
    const shown = (JSON.parse(json) as { Statement: Array<{ Action: string | string[] }> }).Statement.flatMap(s => [s.Action].flat()).sort()
    expect(shown).toEqual(templateActions)
    // StartBuild: the same overrides absent, in the README and the template.
    type Statement = { Action: string | string[]; Condition?: { Null?: Record<string, string> } }
    const startOf = (statements: Statement[]) => statements.find(st => [st.Action].flat().includes('codebuild:StartBuild'))?.Condition?.Null
    const templateNull = startOf(role.Policies.flatMap(p => p.PolicyDocument.Statement as Statement[]))
    expect(startOf((JSON.parse(json) as { Statement: Statement[] }).Statement)).toEqual(templateNull)
    expect(Object.keys(templateNull ?? {})).toEqual(
      expect.arrayContaining([
        'codebuild:serviceRole',
        'codebuild:environment.privilegedMode',
        'codebuild:environment.image',
        'codebuild:logsConfig'
      ])
    )
    expect(Object.keys(templateNull ?? {})).not.toContain('codebuild:source.buildspec')
    expect(templateActions).toEqual(
      [
        'codebuild:BatchGetBuilds',
        'codebuild:BatchGetProjects',
        'codebuild:ListBuildsForProject',
        'codebuild:StartBuild',
        'codebuild:StopBuild',
        'logs:GetLogEvents'
      ].sort()
    )
  })

  test('least privilege by default: required OIDC subjects without wildcards, logs retained, egress limited with endpoints', () => {
    const subjects = template.Parameters.GitHubSubjects as { Default?: unknown; Type?: string; AllowedPattern?: string }
    expect(subjects.Default).toBeUndefined()
    expect(subjects.Type).toBe('CommaDelimitedList')
    expect(subjects.AllowedPattern).not.toMatch(/\*/)
    for (const sample of ['environment:production', 'ref:refs/heads/main', 'pull_request'])
      expect(sample).toMatch(new RegExp(`^(?:${subjects.AllowedPattern})$`))
    for (const sample of ['*', 'environment:*', 'ref:refs/heads/*', 'repo:other/repo:*'])
      expect(sample).not.toMatch(new RegExp(`^(?:${subjects.AllowedPattern})$`))
    const text = read('infra/codebuild-vpc-task.yml')
    expect(text).toMatch(
      /BuildLogGroup:\n\s+Type: AWS::Logs::LogGroup\n(?:\s+#.*\n)?\s+DeletionPolicy: Retain\n\s+UpdateReplacePolicy: Retain/
    )
    // 0.0.0.0/0 only on the branch without endpoints (of the build's security group and the plan project's).
    const natBranches =
      /- CreateEndpoints\n\s+- Description: HTTPS to the VPC interface endpoints[^\n]*\n(?:\s+\w+: [^\n]+\n)*?\s+DestinationSecurityGroupId: !Ref EndpointSecurityGroup\n\s+- Description: HTTPS to AWS through NAT[^\n]*\n(?:\s+\w+: [^\n]+\n)*?\s+CidrIp: 0\.0\.0\.0\/0/g
    expect(text.match(natBranches)).toHaveLength(2)
    expect(text.match(/CidrIp: 0\.0\.0\.0\/0/g)).toHaveLength(2)
    for (const workflow of ['deploy.yml', 'migration-gate.yml'])
      expect(read(`examples/workflows/${workflow}`)).toMatch(/environment: production/)
    expect(readme).toContain('GitHubSubjects=environment:production')
    // The project's own buildspec (builds started by hand) logs in by the same ECR rule as the action.
    expect(text).toContain(`ecr='${ECR_HOST_ERE}'`)
  })
})
