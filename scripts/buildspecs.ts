// Generates buildspecs/<task>.yml from scripts/buildspec-template.ts.
//
//   tsx scripts/buildspecs.ts          rewrite buildspecs/*.yml
//   tsx scripts/buildspecs.ts --check  exit 1 when one is out of date
// npm run generate runs it with the other generators (scripts/generate.ts).
import { TASKS } from '../src/core/support/constants.js'
import { bundledBuildspecText } from './buildspec-template.js'
import { IMAGE_MODE_BUILDSPEC, imageModeBuildspecText } from './image-mode-buildspec.js'
import { type GeneratedFile, isMain, runGenerator } from './lib/generated.mjs'

/** The files this generator writes: one buildspec per task, and image mode's (run-in: build-environment). */
export function generatedFiles(): GeneratedFile[] {
  return [
    ...TASKS.map(task => ({ file: `buildspecs/${task}.yml`, text: bundledBuildspecText(task), source: 'scripts/buildspec-template.ts' })),
    { file: IMAGE_MODE_BUILDSPEC, text: imageModeBuildspecText(), source: 'scripts/image-mode-buildspec.ts' }
  ]
}

if (isMain(import.meta.url)) runGenerator(generatedFiles())
