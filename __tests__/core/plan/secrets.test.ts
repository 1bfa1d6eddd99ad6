import {
  MASK,
  isSecretName,
  isSecretValue,
  looksSecret,
  redactDeep,
  redactText,
  redactor,
  registrable,
  secretParts,
  secretsOf,
  urlPasswords,
  valuesToRegister
} from '../../../src/core/plan/secrets.js'
import { planOf } from '../../fixtures/inputs.js'

const GH = `ghp_${'Ab1'.repeat(12)}`
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----'

describe('isSecretName', () => {
  it.each([
    'DB_PASS',
    'DB_PASSWORD',
    'MYSQL_PWD',
    'PGPASS',
    'PASSPHRASE',
    'API_KEY',
    'GITHUB_TOKEN',
    'CLIENT_SECRET',
    'AWS_CREDENTIALS',
    'BASIC_AUTH',
    'PRIVATE_PEM',
    'TLS_CERT',
    'SENTRY_DSN',
    'PASSWORD_SALT',
    'DATABASE_URL',
    'session_cookie'
  ])('%s is a secret name', name => {
    expect(isSecretName(name)).toBe(true)
  })
  it.each(['LOG_LEVEL', 'DB_HOST', 'PORT', 'REGION', 'TENANT', 'NOTE', 'COMMIT_MESSAGE'])('%s is not', name => {
    expect(isSecretName(name)).toBe(false)
  })
})

describe('isSecretValue', () => {
  it.each([
    ['a GitHub classic token', GH],
    ['a GitHub fine-grained token', `github_pat_${'11ABCDEFG0'.repeat(4)}`],
    ['a GitHub OAuth / app / refresh token', `gho_${'x1Y2'.repeat(9)}`],
    ['a GitHub server token', `ghs_${'x1Y2'.repeat(9)}`],
    ['a Slack token', 'xoxb-1234567890-abcdefghij'],
    ['a Stripe live key', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'],
    ['a Stripe restricted key', 'rk_live_4eC39HqLyjWDarjtT1zdp7dc'],
    ['an AWS access key id', 'AKIAIOSFODNN7EXAMPLE'],
    ['an AWS temporary key id', 'ASIAIOSFODNN7EXAMPLE'],
    ['a JWT', JWT],
    ['a PEM block', PEM],
    ['a URL with a password', 'postgres://admin:s3cret@db.internal:5432/app'],
    ['a URL with a password only', 'redis://:pw@cache:6379'],
    ['a password holding /', 'postgres://app:pa/ss@db/x'],
    ['a password holding @ and :', 'mysql://app:p@ss:w@db:3306/x'],
    ['any scheme', 'amqps://guest:guest-pw@rabbit/vhost'],
    ['a token inside a sentence', `use ${GH} for the API`]
  ])('%s', (_what, value) => {
    expect(isSecretValue(value)).toBe(true)
  })

  it.each([
    '5432',
    'true',
    'us-east-1',
    'debug',
    'https://example.com/path',
    'https://user@example.com/x',
    'postgres://db.internal:5432/app',
    'skip_live_tests',
    'AKIA-not-a-key',
    'Fix eyJ typo'
  ])('%s is not', value => {
    expect(isSecretValue(value)).toBe(false)
  })
})

describe('urlPasswords and redactText', () => {
  it('takes the whole password, whatever characters it holds', () => {
    expect(urlPasswords('redis://:pw@host')).toEqual(['pw'])
    expect(urlPasswords('postgres://app:pa/ss:w#rd@db:5432/x and https://u:v@h')).toEqual(['pa/ss:w#rd', 'v'])
  })
  it('replaces every secret-looking part of a text by ***', () => {
    expect(redactText(`psql postgres://app:pa/ss@db/x --token ${GH}`)).toBe(`psql postgres://app:${MASK}@db/x --token ${MASK}`)
    expect(redactText(`key:\n${PEM}\nend`)).toBe(`key:\n${MASK}\nend`)
    expect(redactText('nothing to hide on port 5432')).toBe('nothing to hide on port 5432')
  })
})

describe('the secret shapes issue 22 found shown in clear', () => {
  // Built from pieces so that no scanner takes this file's examples for real tokens.
  const glpat = ['glpat', 'xYz12AbC34dEf56GhI78jk'].join('-')
  const openai = ['sk', 'proj', 'Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56'].join('-')
  const google = 'AIza' + 'SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q'
  const npmToken = 'npm_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'
  const slack = 'https://hooks.slack.com/services/' + 'T0000AAAA/B0000BBBB/abcdEFGHijklMNOPqrstUVWX'
  it.each([
    [
      'jdbc:postgresql://db:5432/app?user=app&password=Sup3r-S3cret&ssl=true',
      'jdbc:postgresql://db:5432/app?user=app&password=***&ssl=true'
    ],
    ['FATAL: could not connect to app_user:Sup3r-S3cret-Pw@db.internal:5432', 'FATAL: could not connect to app_user:***@db.internal:5432'],
    [
      "psql 'host=db.internal port=5432 user=app password=Sup3r-S3cret dbname=app'",
      "psql 'host=db.internal port=5432 user=app password=*** dbname=app'"
    ],
    ["host=db password='two words' user=app", "host=db password='***' user=app"],
    ['export DB_PASSWORD=hunter2hunter2', 'export DB_PASSWORD=***'],
    ['//registry.npmjs.org/:_authToken=abc123def456ghi', '//registry.npmjs.org/:_authToken=***'],
    [
      'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=bXlrZXk9PQ==;EndpointSuffix=core.windows.net',
      'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=***;EndpointSuffix=core.windows.net'
    ],
    [
      'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=c2VjcmV0',
      'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=***'
    ],
    [`token ${glpat} and ${openai}`, 'token *** and ***'],
    [`key=${google}`, 'key=***'],
    [`npm ${npmToken}`, 'npm ***'],
    [`POST ${slack}`, 'POST ***']
  ])('%s', (text, shown) => {
    expect(redactText(text)).toBe(shown)
    expect(isSecretValue(text)).toBe(true)
  })
  it.each([
    'git@github.com:acme/app.git',
    'at 12:30@noon',
    'see https://example.com/a:b@c',
    'time=12:00:01 host=db user=app',
    'listening on 0.0.0.0:5432'
  ])('leaves %s alone', text => expect(redactText(text)).toBe(text))
})

describe('looksSecret', () => {
  it.each([
    ['DB_PASSWORD', 'x', true],
    ['DATABASE_URL', 'x', true],
    ['STRIPE_API_KEY', 'x', true],
    ['BYPASS_CACHE', 'true', true],
    ['ANY', 'postgres://admin:s3cret@db.internal:5432/app', true],
    ['ANY', JWT, true],
    ['LOG_LEVEL', 'debug', false],
    ['DB_HOST', 'db.internal', false],
    ['DB_PORT', '5432', false],
    ['AWS_REGION_NAME', 'us-east-1', false],
    ['ANY', 'https://example.com/path', false]
  ])('%s=%s → %s', (name, value, expected) => {
    expect(looksSecret(name, value)).toBe(expected)
  })
})

describe('registrable', () => {
  it.each(['true', 'FALSE', '5432', '3.14', 'us-east-1', 'eu-central-2', 'abc', ''])('%j is not registered with the runner', value => {
    expect(registrable(value)).toBe(false)
  })
  it.each(['hunter2', 'pw-999', 'pg-pass-22', GH, 'correct horse battery'])('%j is', value => {
    expect(registrable(value)).toBe(true)
  })
  it('registers a URL and its password, and each line of a multi-line secret', () => {
    expect(valuesToRegister('postgres://app:s3cr3t-pw@db/x')).toEqual(['postgres://app:s3cr3t-pw@db/x', 's3cr3t-pw'])
    expect(valuesToRegister('true')).toEqual([])
    expect(valuesToRegister('first-line\nsecond-line')).toEqual(['first-line\nsecond-line', 'first-line', 'second-line'])
    expect(secretParts('redis://:pw@h')).toEqual(['pw'])
  })
})

describe('secretsOf', () => {
  const plan = planOf

  it('registers secret values, never trivial ones, and warns once per variable', () => {
    const found = secretsOf(plan({ 'env-vars': 'BYPASS_CACHE=true\nDB_PASS=hunter2-x\nDB_PORT=5432\nLOG_LEVEL=debug' }))
    expect(found.register).toEqual(['hunter2-x'])
    expect(found.warnings.map(w => w.split('.')[0])).toEqual([
      'env-vars: BYPASS_CACHE looks like a secret',
      'env-vars: DB_PASS looks like a secret'
    ])
  })

  it('registers a secret-looking literal of the command and warns about it', () => {
    const found = secretsOf(plan({ command: `deploy --token ${GH}` }))
    expect(found.register).toEqual([GH])
    expect(found.warnings).toEqual([expect.stringMatching(/^command: holds a secret-looking value/)])
  })
})

describe('redactor and redactDeep: one redaction for every channel', () => {
  it('masks the registered values (longest first), then every secret-looking part', () => {
    const redact = redactor(['hunter2-db', 'hunter2-db-long', ''])
    expect(redact('pw hunter2-db-long and hunter2-db, url postgres://u:pw9@h/x')).toBe('pw *** and ***, url postgres://u:***@h/x')
    expect(redact('nothing here')).toBe('nothing here')
  })
  it('copies plain data with every string redacted, dates and numbers kept', () => {
    const at = new Date(0)
    const data = { a: 'password=x1y2z3', n: 3, at, list: ['ok', { deep: 'u:pw@db.internal' }], none: undefined }
    const out = redactDeep(data, redactText)
    expect(out).toEqual({ a: 'password=***', n: 3, at, list: ['ok', { deep: 'u:***@db.internal' }], none: undefined })
    expect(out.at).toBe(at)
    expect(data.a).toBe('password=x1y2z3')
  })
})
