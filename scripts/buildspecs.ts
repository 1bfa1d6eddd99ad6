// Generates buildspecs/<task>.yml from src/core/bundled-buildspec.ts.
//
//   tsx scripts/buildspecs.ts          rewrite buildspecs/*.yml
//   tsx scripts/buildspecs.ts --check  exit 1 when one is out of date
// npm run generate runs it with the other generators (scripts/generate.ts).
import { TASKS } from '../src/core/constants.js'
import { bundledBuildspecText } from '../src/core/bundled-buildspec.js'
import { IMAGE_MODE_BUILDSPEC, imageModeBuildspecText } from '../src/core/image-mode-buildspec.js'
import { type GeneratedFile, isMain, runGenerator } from './lib/generated.mjs'

/** The files this generator writes: one buildspec per task, and image mode's (run-in: build-environment). */
export function generatedFiles(): GeneratedFile[] {
  return [
    ...TASKS.map(task => ({ file: `buildspecs/${task}.yml`, text: bundledBuildspecText(task), source: 'src/core/bundled-buildspec.ts' })),
    { file: IMAGE_MODE_BUILDSPEC, text: imageModeBuildspecText(), source: 'src/core/image-mode-buildspec.ts' }
  ]
}

if (isMain(import.meta.url)) runGenerator(generatedFiles())
