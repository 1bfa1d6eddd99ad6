/**
 * The generators' library (scripts/lib/generated.mjs) and the names generated from action.yml
 * (scripts/action-names.mjs → src/core/support/names.generated.ts).
 */
import { describe, expect, it } from '@jest/globals'
import { constantKey, generatedFiles, renderNames } from '../scripts/action-names.mjs'
import { writeOrCheck } from '../scripts/lib/generated.mjs'
import { Inputs, Outputs } from '../src/core/support/constants.js'

describe('names from action.yml', () => {
  it('names each input and output after it, in PascalCase', () => {
    expect(constantKey('if-running-timeout-minutes')).toBe('IfRunningTimeoutMinutes')
    expect(() => constantKey('Not_Kebab')).toThrow(/not a kebab-case name/)
    const text = renderNames('inputs:\n  db-identifier: {}\n  wait: {}\noutputs:\n  build-id: {}\n')
    expect(text).toContain("export const Inputs = {\n  DbIdentifier: 'db-identifier',\n  Wait: 'wait'\n} as const")
    expect(text).toContain("export const Outputs = {\n  BuildId: 'build-id'\n} as const")
  })

  it('src/core/support/names.generated.ts is up to date, and constants.ts exports its names', () => {
    const log: string[] = []
    expect(writeOrCheck(generatedFiles(), { check: true, log: line => log.push(line) })).toBe(0)
    expect(Inputs.BackupMaxAgeMinutes).toBe('backup-max-age-minutes')
    expect(Outputs.TaskExitCode).toBe('task-exit-code')
  })

  it('a stale file fails the check with a diff, and is not written', () => {
    const names = generatedFiles()[0]!
    const log: string[] = []
    const stale = { ...names, text: names.text.replace("'dry-run'", "'dry-runs'") }
    expect(writeOrCheck([stale], { check: true, log: line => log.push(line) })).toBe(1)
    const shown = log.join('\n')
    expect(shown).toMatch(/STALE +src\/core\/support\/names\.generated\.ts: out of date with action\.yml/)
    expect(shown).toContain("-  DryRun: 'dry-run',")
    expect(shown).toContain("+  DryRun: 'dry-runs',")
    expect(writeOrCheck(generatedFiles(), { check: true, log: () => undefined })).toBe(0)
  })
})
