/**
 * The pull-request comment's inputs (pr-comment, pr-comment-key, github-token): the action's alone, read when the
 * plan is (before anything starts in AWS), so a bad key is refused like any other input.
 */
import { Inputs } from '../core/support/index.js'
import { InputError } from '../core/errors/index.js'
import type { InputReader } from '../core/plan/index.js'

export type PrCommentSettings = { enabled: false } | { enabled: true; key: string; token: string }

const PR_COMMENT = ['auto', 'never'] as const

/** A key tells matrix legs apart in the comment's marker: kept short and plain. */
const PR_COMMENT_KEY = /^[A-Za-z0-9._-]{0,64}$/

export function readPrCommentSettings(read: InputReader): PrCommentSettings {
  const mode = read(Inputs.PrComment) || 'auto'
  if (!(PR_COMMENT as readonly string[]).includes(mode))
    throw new InputError(Inputs.PrComment, `must be one of ${PR_COMMENT.join(', ')}, got '${mode}'`)
  if (mode === 'never') return { enabled: false }
  const key = read(Inputs.PrCommentKey)
  if (!PR_COMMENT_KEY.test(key))
    throw new InputError(Inputs.PrCommentKey, `must be up to 64 letters, digits, '.', '_' or '-', got '${key}'`)
  const token = read(Inputs.GithubToken)
  return token === '' ? { enabled: false } : { enabled: true, key, token }
}
