/** The execution's token: one per execution of the step, the same for all its tries (src/core/build/execution.ts). */
import { EXECUTION_MARK_LENGTH, executionMark, newExecutionToken } from '../../../src/core/build/execution.js'

describe('newExecutionToken', () => {
  it('is 40 lowercase hex characters, a new one for every execution', () => {
    const tokens = Array.from({ length: 200 }, () => newExecutionToken())
    for (const t of tokens) expect(t).toMatch(/^[0-9a-f]{40}$/)
    expect(new Set(tokens).size).toBe(tokens.length)
    // The marks that go into snapshot names differ too.
    expect(new Set(tokens.map(executionMark)).size).toBe(tokens.length)
  })

  it('is made of the random bytes it is given, nothing else (no run identity: every leg of a matrix shares that)', () => {
    const bytes = (size: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => i * 13)
    expect(newExecutionToken(bytes)).toBe(Buffer.from(bytes(20)).toString('hex'))
    expect(() => newExecutionToken(() => new Uint8Array(3))).toThrow(/20 random bytes/)
  })
})

describe('executionMark', () => {
  it("is the token's first characters, lowercase letters and digits only", () => {
    expect(executionMark('0123456789abcdef0123456789abcdef01234567')).toBe('01234567')
    expect(executionMark('AB-cd_EF-0123')).toBe('abcdef01')
    expect(executionMark('abc')).toBe('abc')
    expect(EXECUTION_MARK_LENGTH).toBe(8)
    expect(() => executionMark('--')).toThrow()
  })
})
