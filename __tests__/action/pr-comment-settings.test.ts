import { describe, expect, it } from '@jest/globals'
import { readPrCommentSettings } from '../../src/action/pr-comment-settings.js'
import { InputError } from '../../src/core/errors/index.js'

const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? ''

describe('the pull-request comment’s inputs', () => {
  it('auto with a token: enabled, with the key', () => {
    expect(readPrCommentSettings(reader({ 'github-token': 'ghs_x', 'pr-comment-key': 'eu-1' }))).toEqual({
      enabled: true,
      key: 'eu-1',
      token: 'ghs_x'
    })
  })

  it('never, or no token: off', () => {
    expect(readPrCommentSettings(reader({ 'pr-comment': 'never', 'github-token': 'ghs_x' }))).toEqual({ enabled: false })
    expect(readPrCommentSettings(reader({}))).toEqual({ enabled: false })
  })

  it('refuses a key that is not short and plain, and an unknown mode, naming the input', () => {
    expect(() => readPrCommentSettings(reader({ 'pr-comment-key': 'a -->', 'github-token': 't' }))).toThrow(InputError)
    expect(() => readPrCommentSettings(reader({ 'pr-comment-key': 'a -->', 'github-token': 't' }))).toThrow(/pr-comment-key/)
    expect(() => readPrCommentSettings(reader({ 'pr-comment': 'always' }))).toThrow(/pr-comment.*auto, never.*'always'/)
  })
})
