import { verifyBackups } from '../../../src/core/backup/backup.js'
import {
  FLAG_NAMES,
  INPUT_NAMES,
  InputError,
  PreflightError,
  ProjectBusyError,
  StartUnknownError,
  classify,
  credentialsExpired,
  stopFailure
} from '../../../src/core/errors/errors.js'
import { parsePlan } from '../../../src/core/plan/inputs.js'
import { secretsOf } from '../../../src/core/plan/secrets.js'
import { BASE_INPUTS, context, reader } from '../../fixtures/inputs.js'
import { ordersDb } from '../../fixtures/database.js'

const expired = Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredTokenException' })
const live = new AbortController().signal
const aborted = AbortSignal.abort()

describe('classify: one classification for both front ends', () => {
  it('sorts each error a front end reacts to', () => {
    expect(classify(new InputError('region', "must be an AWS region such as us-east-1, got 'x'"), live, FLAG_NAMES)).toEqual({
      kind: 'input',
      message: "--region: must be an AWS region such as us-east-1, got 'x'"
    })
    expect(classify(new InputError('region', 'is required'), live, INPUT_NAMES).message).toBe("Input 'region' is required")
    expect(classify(new PreflightError('not found'), live, FLAG_NAMES)).toEqual({ kind: 'precondition', message: 'not found' })
    expect(classify(new ProjectBusyError('busy'), aborted, FLAG_NAMES)).toEqual({ kind: 'precondition', message: 'busy' })
    expect(classify(new StartUnknownError('app', 'tok', new Error('lost')), live, FLAG_NAMES).kind).toBe('start-unknown')
    expect(classify(new Error('whatever'), aborted, FLAG_NAMES)).toEqual({
      kind: 'cancelled',
      message: 'Cancelled before a build was started.'
    })
    expect(classify(expired, live, FLAG_NAMES)).toEqual({
      kind: 'aws',
      message:
        'The AWS credentials have expired (ExpiredTokenException: The security token included in the request is expired). Nothing was started.'
    })
    expect(classify(new Error('boom'), live, FLAG_NAMES)).toEqual({ kind: 'unexpected', message: 'Unexpected error: Error: boom' })
  })

  it('phrases expired credentials once, wherever they are the reason', () => {
    expect(credentialsExpired(expired)).toBe(
      'The AWS credentials have expired (ExpiredTokenException: The security token included in the request is expired)'
    )
    expect(stopFailure(expired)).toBe(credentialsExpired(expired))
    expect(stopFailure(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }))).toBe(
      'AccessDeniedException: not authorized'
    )
  })
})

describe('settings named as the front end writes them', () => {
  const now = Date.UTC(2025, 5, 1, 12, 0, 0)
  const db = ordersDb(new Date(now - 60 * 60_000))

  it('the backup check: backup-max-age-minutes in the action, --backup-max-age-minutes in the CLI', () => {
    expect(verifyBackups(db, now, 15).fix).toMatch(/raise backup-max-age-minutes, or use backup: snapshot /)
    const cli = verifyBackups(db, now, 15, FLAG_NAMES)
    expect(cli.found).toMatch(/older than --backup-max-age-minutes \(15\)/)
    expect(cli.fix).toMatch(/raise --backup-max-age-minutes, or use --backup=snapshot /)
  })

  it('a bad input and a warning about a secret-looking variable, in the CLI', () => {
    const read = reader({ ...BASE_INPUTS, backup: 'snapshot' })
    try {
      parsePlan(read, context({ names: FLAG_NAMES }))
      throw new Error('expected an InputError')
    } catch (error) {
      expect((error as InputError).describe(FLAG_NAMES)).toMatch(/^--db-identifier: is required with --backup=snapshot: /)
    }
    const plan = parsePlan(reader({ ...BASE_INPUTS, 'env-vars': 'API_TOKEN=abcdefgh12345678' }), context({ names: FLAG_NAMES }))
    expect(secretsOf(plan).warnings[0]).toMatch(
      /^--env-vars: API_TOKEN looks like a secret\. .*move it to --secret-env-vars \(Secrets Manager\) or --parameter-env-vars\.$/
    )
  })
})
