import { describe, expect, it } from '@jest/globals'
import { cutText, defuse, inline, isWorkflowCommand, tailText, wellFormed } from '../../../src/core/support/text.js'

describe('defuse: nothing the runner would take as a workflow command', () => {
  it.each([
    ['::add-mask::x', '» ::add-mask::x'],
    ['  \t::error::x', '»   \t::error::x'],
    ['##[add-mask]x', '# #[add-mask]x'],
    ['Rate exceeded ##[add-mask]secret and ##[error]y', 'Rate exceeded # #[add-mask]secret and # #[error]y'],
    ['###[group]x', '## #[group]x'],
    ['a :: b', 'a :: b'],
    ['plain text', 'plain text']
  ])('%j → %j', (line, shown) => {
    expect(defuse(line)).toBe(shown)
    expect(isWorkflowCommand(defuse(line))).toBe(false)
  })

  it('recognises both forms as the runner does', () => {
    expect(isWorkflowCommand('  ::warning::x')).toBe(true)
    expect(isWorkflowCommand('text ##[debug]x')).toBe(true)
    expect(isWorkflowCommand('text :: x')).toBe(false)
  })

  it('inline flattens, then defuses: a line break cannot start a command, nor can a cut', () => {
    expect(inline('ok\n::add-mask::x')).toBe('ok ::add-mask::x')
    expect(inline('\n  ::add-mask::x')).toBe('» ::add-mask::x')
    expect(inline('x ##[error]y')).toBe('x # #[error]y')
    for (let max = 2; max < 12; max++) expect(isWorkflowCommand(inline('a ##[error]b ##[add-mask]c', max))).toBe(false)
  })
})

describe('cuts never split a surrogate pair', () => {
  const emoji = '🚀'.repeat(10)
  it('inline, cutText and tailText keep whole characters', () => {
    for (let max = 2; max < 20; max++) {
      for (const out of [inline(emoji, max), cutText(emoji, max), tailText(emoji, max)]) expect(out).toBe(wellFormed(out))
    }
  })
})
