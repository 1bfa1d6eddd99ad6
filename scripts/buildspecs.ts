// Generates buildspecs/<task>.yml from scripts/buildspec-template.ts.
//
//   tsx scripts/buildspecs.ts          rewrite buildspecs/*.yml
//   tsx scripts/buildspecs.ts --check  exit 1 when one is out of date
// npm run generate runs it with the other generators (scripts/generate.ts).
import { TASKS } from '../src/core/support/constants.js'
import { bundledBuildspecText } from './buildspec-template.js'
import { type GeneratedFile, isMain, runGenerator } from './lib/generated.mjs'

/** The files this generator writes: one buildspec per task. */
export function generatedFiles(): GeneratedFile[] {
  return TASKS.map(task => ({ file: `buildspecs/${task}.yml`, text: bundledBuildspecText(task), source: 'scripts/buildspec-template.ts' }))
}

if (isMain(import.meta.url)) runGenerator(generatedFiles())
