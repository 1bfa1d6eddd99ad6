#!/usr/bin/env node
// Keeps README.md in step with action.yml and the example workflows.
//
//   node scripts/readme-tables.mjs          rewrite the generated parts of README.md
//   node scripts/readme-tables.mjs --check  exit 1, with a diff, when README.md is out of date
// npm run generate runs it with the other generators (scripts/generate.ts).
//
// Generated parts sit between markers:
//   <!-- inputs:start --> … <!-- inputs:end -->        table of action.yml's inputs
//   <!-- outputs:start --> … <!-- outputs:end -->      table of action.yml's outputs
//   <!-- example:NAME.yml:start --> … <!-- example:NAME.yml:end -->
//                                                     examples/workflows/NAME.yml, verbatim, as a yaml block
// The functions below are pure (text in, text out) so that tests can use them without touching files.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { ROOT, isMain, lineDiff, readRepoFile, runGenerator } from './lib/generated.mjs'

export { lineDiff }

/** How the README and the examples refer to this action. */
export const ACTION_PLACEHOLDER = 'your-org/codebuild-vpc-task-action@v1'

/** Text for a markdown table cell: one line, pipes and angle brackets escaped. */
function cell(text) {
  return String(text).replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function defaultCell(input) {
  if (input.default === undefined || input.default === null) return ''
  const value = String(input.default)
  return value === '' ? "`''`" : '`' + value + '`'
}

/** The parsed action.yml; throws when it has no inputs or outputs mapping. */
export function parseAction(actionYamlText) {
  const action = parse(actionYamlText)
  if (!action || typeof action !== 'object') throw new Error('action.yml is not a YAML mapping')
  return { inputs: action.inputs ?? {}, outputs: action.outputs ?? {} }
}

export function inputsTable(actionYamlText) {
  const { inputs } = parseAction(actionYamlText)
  const rows = Object.entries(inputs).map(
    ([name, input]) =>
      `| \`${name}\` | ${cell(input.description ?? '')} | ${input.required === true ? 'yes' : 'no'} | ${defaultCell(input)} |`
  )
  return ['| Input | Description | Required | Default |', '| --- | --- | --- | --- |', ...rows].join('\n')
}

export function outputsTable(actionYamlText) {
  const { outputs } = parseAction(actionYamlText)
  const rows = Object.entries(outputs).map(([name, output]) => `| \`${name}\` | ${cell(output.description ?? '')} |`)
  return ['| Output | Description |', '| --- | --- |', ...rows].join('\n')
}

export function exampleBlock(workflowText) {
  return '```yaml\n' + workflowText.replace(/\n*$/, '\n') + '```'
}

const escapeRegExp = text => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Replaces what sits between `<!-- key:start -->` and `<!-- key:end -->`; throws when a marker is missing. */
export function replaceBetween(text, key, content) {
  const start = `<!-- ${key}:start -->`
  const end = `<!-- ${key}:end -->`
  const re = new RegExp(`${escapeRegExp(start)}[\\s\\S]*?${escapeRegExp(end)}`)
  if (!re.test(text)) throw new Error(`README.md has no ${start} … ${end} markers`)
  return text.replace(re, () => `${start}\n${content}\n${end}`)
}

/** Names of the example workflows the README embeds (from its `<!-- example:NAME:start -->` markers). */
export function embeddedExamples(readmeText) {
  return [...readmeText.matchAll(/<!-- example:([\w.-]+):start -->/g)].map(m => m[1])
}

/**
 * README.md as it should be. `examples` maps a workflow file name to its text; every example the README
 * embeds must be there.
 */
export function renderReadme(readmeText, actionYamlText, examples = {}) {
  let text = replaceBetween(readmeText, 'inputs', inputsTable(actionYamlText))
  text = replaceBetween(text, 'outputs', outputsTable(actionYamlText))
  for (const name of embeddedExamples(text)) {
    if (!(name in examples)) throw new Error(`README.md embeds example ${name}, which is not in examples/workflows/`)
    text = replaceBetween(text, `example:${name}`, exampleBlock(examples[name]))
  }
  return text
}

/** `uses:` values in a workflow or markdown text that refer to this action (by repo name or as `./`). */
export function actionReferences(text) {
  return [...text.matchAll(/^\s*(?:-\s+)?uses:\s*['"]?([^\s'"#]+)/gm)]
    .map(m => m[1])
    .filter(uses => uses === './' || uses === '.' || /codebuild-vpc-task/.test(uses) || uses === ACTION_PLACEHOLDER)
}

/**
 * Problems with the steps of a workflow that use this action: a `uses:` other than the placeholder, a
 * `with:` key that is not an input of action.yml, a required input that is missing. `allowed`: the
 * references accepted (the repository's own workflows also run the action as `./`).
 */
export function actionStepProblems(workflowText, actionYamlText, file = 'workflow', allowed = [ACTION_PLACEHOLDER]) {
  const { inputs } = parseAction(actionYamlText)
  const required = Object.entries(inputs)
    .filter(([, input]) => input.required === true)
    .map(([name]) => name)
  const workflow = parse(workflowText) ?? {}
  const problems = []
  for (const [jobId, job] of Object.entries(workflow.jobs ?? {})) {
    for (const [index, step] of (job?.steps ?? []).entries()) {
      const uses = typeof step?.uses === 'string' ? step.uses : ''
      if (!actionReferences(`uses: ${uses}`).length) continue
      const where = `${file}: jobs.${jobId}.steps[${index}]`
      if (!allowed.includes(uses)) problems.push(`${where}: uses ${uses}, expected ${allowed.join(' or ')}`)
      const given = Object.keys(step.with ?? {})
      for (const key of given) if (!(key in inputs)) problems.push(`${where}: input '${key}' is not in action.yml`)
      for (const key of required) if (!given.includes(key)) problems.push(`${where}: required input '${key}' is missing`)
    }
  }
  return problems
}

// ------------------------------------------------------------------------------------------ CLI

/** The repository's example workflows, by file name. */
export function exampleWorkflows() {
  const dir = join('examples', 'workflows')
  return Object.fromEntries(
    readdirSync(join(ROOT, dir))
      .filter(name => /\.ya?ml$/.test(name))
      .sort()
      .map(name => [name, readRepoFile(join(dir, name))])
  )
}

/** The file this generator writes: README.md with its generated parts from action.yml and examples/workflows. */
export function generatedFiles() {
  const text = renderReadme(readRepoFile('README.md'), readRepoFile('action.yml'), exampleWorkflows())
  return [{ file: 'README.md', text, source: 'action.yml and examples/workflows' }]
}

if (isMain(import.meta.url)) runGenerator(generatedFiles())
