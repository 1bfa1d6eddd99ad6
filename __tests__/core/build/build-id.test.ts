/** CodeBuild's build id format (src/core/build/build-id.ts): ids from AWS of another shape are never used nor quoted. */
import { MalformedAnswerError, errorText } from '../../../src/core/errors/aws-errors.js'
import { checkedBuild, isBuildId } from '../../../src/core/build/build-id.js'

const UUID = 'ae633bc7-380c-46ba-ad93-53b2911e578a'

describe('isBuildId', () => {
  it.each([`app-migrations:${UUID}`, `db:${UUID}`, `A_1-b:${UUID}`, `9lives:${UUID}`, `${'p'.repeat(255)}:${UUID}`])('accepts %s', id => {
    expect(isBuildId(id)).toBe(true)
  })

  it.each([
    ['a line break and a workflow command', `app:${UUID}\n::error::forged`],
    ['a workflow command before it', `::error::x\napp:${UUID}`],
    ['a carriage return', `app:${UUID}\r`],
    ['an upper-case UUID', `app:${UUID.toUpperCase()}`],
    ['a name of one character', `a:${UUID}`],
    ['a name starting with a dash', `-app:${UUID}`],
    ['a name of 256 characters', `${'p'.repeat(256)}:${UUID}`],
    ['a dot or a slash in the name', `a.b:${UUID}`],
    ['no UUID', 'app:ours'],
    ['a short UUID', `app:${UUID.slice(0, -1)}`],
    ['an ARN', `arn:aws:codebuild:us-east-1:123456789012:build/app:${UUID}`],
    ['nothing', ''],
    ['no string', undefined]
  ])('refuses %s', (_what, id) => {
    expect(isBuildId(id)).toBe(false)
  })
})

describe('checkedBuild', () => {
  it('passes a build with a CodeBuild id; a garbled one is a malformed answer that does not quote it', () => {
    const build = { id: `app:${UUID}`, buildNumber: 4 }
    expect(checkedBuild('StartBuild', build)).toBe(build)
    const error = (() => {
      try {
        checkedBuild('StartBuild', { id: `app:${UUID}\n::error::forged` })
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(MalformedAnswerError)
    expect(errorText(error)).toBe('MalformedAnswerError: StartBuild answered with a build id that is not of the form <project-name>:<uuid>')
    expect(() => checkedBuild('StartBuild', undefined)).toThrow('StartBuild answered with no build')
  })
})
