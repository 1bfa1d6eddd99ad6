// npm run generate: writes every generated file of the repository, each from its one source; with --check (npm run
// lint) only compares, prints a diff of each stale file and exits 1.
//
//   src/cli/flags.generated.ts   the CLI's flags, from action.yml's inputs            scripts/cli-flags.mjs
//   src/core/support/names.generated.ts  Inputs and Outputs, from action.yml                  scripts/action-names.mjs
//   README.md (generated parts)  inputs/outputs tables, embedded example workflows    scripts/readme-tables.mjs
//   buildspecs/<task>.yml        the bundled buildspecs, from scripts/buildspec-template.ts  scripts/buildspecs.ts
import { generatedFiles as names } from './action-names.mjs'
import { generatedFiles as buildspecs } from './buildspecs.js'
import { generatedFiles as flags } from './cli-flags.mjs'
import { writeOrCheck } from './lib/generated.mjs'
import { generatedFiles as readme } from './readme-tables.mjs'

const check = process.argv.includes('--check')
console.log(check ? 'generated files (npm run generate --check):' : 'generated files (npm run generate):')
process.exitCode = writeOrCheck([...flags(), ...names(), ...readme(), ...buildspecs()], { check })
