import { LogTail, mayHaveMore } from '../src/core/logs.js'
import { FakeClient, awsError } from './fixtures/fake-aws.js'
import { FakeStream } from './fixtures/fake-stream.js'

function setup(now = () => 1_000_000) {
  const stream = new FakeStream(now)
  const client = new FakeClient({ GetLogEvents: stream.getLogEvents })
  const seen: string[] = []
  const tail = new LogTail(client.logs, '/aws/codebuild/p', 'uuid', events => seen.push(...events.map(e => e.message ?? '')))
  return { stream, client, seen, tail }
}

describe('LogTail', () => {
  it('reports a stream that does not exist yet without failing', async () => {
    const { stream, tail } = setup()
    stream.exists = false
    expect(await tail.drain()).toEqual({ events: 0, calls: 1, notFound: true })
  })

  it('follows full pages without pause until caught up, every event once and in order', async () => {
    const { stream, client, seen, tail } = setup()
    for (let i = 0; i < 25_000; i++) stream.add(`line ${i}`, 1000 + i)
    const result = await tail.drain()
    expect(result.events).toBe(25_000)
    expect(seen).toEqual(Array.from({ length: 25_000 }, (_, i) => `line ${i}\n`))
    // 10,000 + 10,000 + 5,000: the short last page ends the drain without a confirming call.
    expect(client.count('GetLogEvents')).toBe(3)
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

describe('mayHaveMore', () => {
  it('is true for a full page by count or bytes, false for a short page', () => {
    expect(mayHaveMore(Array.from({ length: 10_000 }, () => ({ message: 'x' })))).toBe(true)
    expect(mayHaveMore([{ message: 'x'.repeat(900_000) }])).toBe(true)
    expect(mayHaveMore([{ message: 'x' }])).toBe(false)
    expect(mayHaveMore([])).toBe(true)
  })
})
