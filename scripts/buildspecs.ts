// Generates buildspecs/<task>.yml from src/core/bundled-buildspec.ts.
//
//   tsx scripts/buildspecs.ts          rewrite buildspecs/*.yml
//   tsx scripts/buildspecs.ts --check  exit 1 when one is out of date
// npm run generate runs it with the other generators (scripts/generate.ts).
import { TASKS } from '../src/core/constants.js'
import { bundledBuildspecText } from '../src/core/bundled-buildspec.js'
import { type GeneratedFile, isMain, runGenerator } from './lib/generated.mjs'

/** The files this generator writes: one buildspec per task. */
export function generatedFiles(): GeneratedFile[] {
  return TASKS.map(task => ({ file: `buildspecs/${task}.yml`, text: bundledBuildspecText(task), source: 'src/core/bundled-buildspec.ts' }))
}

if (isMain(import.meta.url)) runGenerator(generatedFiles())
