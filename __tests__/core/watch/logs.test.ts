import { FOLLOW_EVENTS, LogTail } from '../../../src/core/watch/logs.js'
import { FakeClient, awsError } from '../../fixtures/fake-aws.js'
import { FakeStream } from '../../fixtures/fake-stream.js'

function setup(now = () => 1_000_000) {
  const stream = new FakeStream(now)
  const client = new FakeClient({ GetLogEvents: stream.getLogEvents })
  const seen: string[] = []
  const tail = new LogTail(client.logs, '/aws/codebuild/p', 'uuid', events => seen.push(...events.map(e => e.message ?? '')), now)
  return { stream, client, seen, tail }
}

describe('LogTail', () => {
  it('reports a stream that does not exist yet without failing', async () => {
    const { stream, tail } = setup()
    stream.exists = false
    expect(await tail.drain()).toEqual({ events: 0, calls: 1, notFound: true, reachedEnd: false })
  })

  it('follows busy pages without pause until caught up, every event once and in order', async () => {
    const { stream, client, seen, tail } = setup()
    for (let i = 0; i < 25_000; i++) stream.add(`line ${i}`, 1000 + i)
    const result = await tail.drain()
    expect(result.events).toBe(25_000)
    expect(seen).toEqual(Array.from({ length: 25_000 }, (_, i) => `line ${i}\n`))
    // 10,000 + 10,000 + 5,000 + an empty page that ends the drain.
    expect(client.count('GetLogEvents')).toBe(4)
    expect(client.calls[0]?.input).toMatchObject({ logGroupName: '/aws/codebuild/p', logStreamName: 'uuid', startFromHead: true })
    expect(client.calls[1]?.input.nextToken).toBe('f/00000000000000010000')
  })

  it('follows pages cut by the 1 MB limit (one 250 KB line after another)', async () => {
    const { stream, seen, tail } = setup()
    const big = 'x'.repeat(250_000)
    for (let i = 0; i < 9; i++) stream.add(`${i}${big}`, 1000 + i)
    await tail.drain()
    expect(seen.map(s => s[0])).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8'])
  })

  it('events of 1 MB (the PutLogEvents limit, with the 26-byte overhead) come through whole, one a page', async () => {
    const { stream, seen, tail } = setup()
    const big = 'x'.repeat(1_048_576 - 26 - 2)
    for (let i = 0; i < 3; i++) stream.add(`${i}${big}`, 1000 + i)
    stream.add('after', 1010)
    await tail.drain()
    expect(seen.map(s => [s[0], s.length])).toEqual([
      ['0', 1_048_550],
      ['1', 1_048_550],
      ['2', 1_048_550],
      ['a', 6]
    ])
  })

  it('resumes from its token: nothing repeated, new events only', async () => {
    let now = 1_000
    const { stream, seen, tail } = setup(() => now)
    stream.add('a', 100)
    stream.add('b', 900, 500) // readable at 1400
    await tail.drain()
    expect(seen).toEqual(['a\n'])
    expect((await tail.drain()).events).toBe(0)
    now = 1_500
    stream.add('c', 1_450)
    await tail.drain()
    expect(seen).toEqual(['a\n', 'b\n', 'c\n'])
    expect(tail.maxIngestionLagMs).toBe(500)
  })

  it('lets errors through to the caller, keeping its place', async () => {
    const { stream, client, seen, tail } = setup()
    stream.add('a', 1)
    await tail.drain()
    stream.add('b', 2)
    const original = stream.getLogEvents
    let fail = true
    ;(client as unknown as { handlers: Record<string, unknown> }).handlers.GetLogEvents = (input: { nextToken?: string }) => {
      if (fail) {
        fail = false
        throw awsError('ThrottlingException', 400, 'Rate exceeded')
      }
      return original(input)
    }
    await expect(tail.drain()).rejects.toThrow('Rate exceeded')
    await tail.drain()
    expect(seen).toEqual(['a\n', 'b\n'])
  })
})

describe('LogTail under real paging', () => {
  it('reads every event once, in order, on partial pages of varying size, some below the follow threshold', async () => {
    let now = 10_000
    const { stream, seen, tail } = setup(() => now)
    const sizes = [280, 3, 251, 1, 99, 300]
    let k = 0
    stream.pageEvents = () => sizes[k++ % sizes.length] as number
    stream.newTokens = true
    for (let i = 0; i < 3_000; i++) stream.add(`line ${i}`, 1_000 + i)
    let polls = 0
    while (seen.length < 3_000 && polls < 200) {
      await tail.drain()
      now += 1_000
      polls++
    }
    expect(seen).toEqual(Array.from({ length: 3_000 }, (_, i) => `line ${i}\n`))
    // Small fresh pages wait for the next poll; old pages (a backlog) and busy ones are followed at once.
    expect(polls).toBeLessThan(20)
  })

  it('an empty page with a new token ends a drain: one call per idle poll, and the new token goes on from the same place', async () => {
    let now = 10_000
    const { stream, client, seen, tail } = setup(() => now)
    stream.newTokens = true
    stream.add('a', 9_000)
    await tail.drain()
    const before = client.count('GetLogEvents')
    for (let i = 0; i < 10; i++) await tail.drain()
    expect(client.count('GetLogEvents') - before).toBe(10)
    const tokens = client.calls.slice(-10).map(c => c.input.nextToken)
    expect(new Set(tokens).size).toBe(10)
    stream.add('b', 10_000)
    now = 10_500
    await tail.drain()
    expect(seen).toEqual(['a\n', 'b\n'])
  })

  it('a short page left behind at the previous answer is followed at once; a fresh one ends the drain', async () => {
    let now = 100_000
    const { stream, client, tail } = setup(() => now)
    stream.pageEvents = 10
    for (let i = 0; i < 30; i++) stream.add(`old ${i}`, 90_000 + i)
    await tail.drain()
    // Nothing answered before: the first short page ends the drain.
    expect(client.count('GetLogEvents')).toBe(1)
    now = 101_000
    for (let i = 0; i < 30; i++) stream.add(`fresh ${i}`, 100_500)
    await tail.drain()
    // Every page was readable at the answer before it (the old ones at the first drain's, the fresh ones at the page
    // before): a backlog, followed to its end, an empty page.
    expect(client.count('GetLogEvents')).toBe(1 + 2 + 3 + 1)
    // Fresh lines, not yet in at the last answer: one page, the drain ends there.
    now = 102_000
    stream.add('newest', 101_900)
    await tail.drain()
    expect(client.count('GetLogEvents')).toBe(8)
  })

  it('output that resumes after a pause is not a backlog: one call', async () => {
    let now = 100_000
    const { stream, client, tail } = setup(() => now)
    stream.add('before', 99_000)
    await tail.drain()
    now = 105_000
    stream.add('after', 101_000)
    await tail.drain()
    expect(client.count('GetLogEvents')).toBe(2)
  })

  it('a busy page (>= FOLLOW_EVENTS) is followed at once', async () => {
    const { stream, client, tail } = setup()
    stream.pageEvents = FOLLOW_EVENTS
    for (let i = 0; i < FOLLOW_EVENTS * 2 + 5; i++) stream.add(`l ${i}`, 999_999)
    await tail.drain()
    expect(client.count('GetLogEvents')).toBe(3)
  })

  it('after the end: reads to the stream end under endTime, where the same token comes back', async () => {
    const now = 50_000
    const { stream, client, seen, tail } = setup(() => now)
    stream.newTokens = true
    stream.pageEvents = 7
    for (let i = 0; i < 20; i++) stream.add(`l ${i}`, 40_000 + i)
    const first = await tail.drain(undefined, { endTime: 45_000 })
    expect(first.reachedEnd).toBe(false)
    expect(seen).toHaveLength(20)
    stream.ended = true
    const last = await tail.drain(undefined, { endTime: 45_000 })
    expect(last.reachedEnd).toBe(true)
    expect(client.calls.at(-1)?.input.endTime).toBe(45_000)
  })

  it('stops following when told to', async () => {
    const { stream, client, tail } = setup()
    for (let i = 0; i < 1_000; i++) stream.add(`l ${i}`, 1_000)
    stream.pageEvents = FOLLOW_EVENTS
    let calls = 0
    await tail.drain(undefined, { stop: () => ++calls >= 2 })
    expect(client.count('GetLogEvents')).toBe(2)
  })
})
