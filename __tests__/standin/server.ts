/**
 * HTTP transport of the stand-in: AWS JSON 1.1 over `POST /`, routed by `X-Amz-Target` (CodeBuild, CloudWatch Logs),
 * and the AWS Query protocol (form-encoded `Action=…&Version=…` bodies, XML answers) for RDS, with fault injection
 * (seeded, per operation) and a record of every call.
 */
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { AwsError } from './errors.js'
import { GitHubStandIn } from './github.js'
import { unitFor } from './prng.js'
import { RDS_VERSION, RDS_XMLNS } from './rds.js'
import type { Rds } from './rds.js'
import type { FaultConfig, FaultKind, FaultPlan, RecordedCall, ServiceName } from './types.js'
import type { World } from './world.js'

const CONTENT_TYPE = 'application/x-amz-json-1.1'
const MAX_BODY_BYTES = 10 * 1024 * 1024

type Handler = (body: Record<string, unknown>) => Record<string, unknown>
/** A Query-protocol operation: the form parameters in, the inner XML of `<Action>Result` out. */
type QueryHandler = (params: URLSearchParams) => string

const FORM = /^application\/x-www-form-urlencoded\b/i

function xmlText(text: string): string {
  return text.replace(/[&<>]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] as string)
}

const TARGET_PREFIX: Record<string, ServiceName> = {
  CodeBuild_20161006: 'codebuild',
  Logs_20140328: 'logs'
}

export interface ServerOptions {
  host: string
  port: number
  seed: number
  faults: FaultPlan
  requireAuth: boolean
  quotas: Record<string, { perSecond: number; burst?: number }>
}

export class StandInServer {
  readonly calls: RecordedCall[] = []
  private readonly server: http.Server
  private readonly world: World
  private readonly options: ServerOptions
  private faults: FaultPlan
  private readonly perOperation = new Map<string, number>()
  private arrivals = 0
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly listeners = new Set<(call: RecordedCall) => void>()
  private closed = false
  private readonly handlers: Record<Exclude<ServiceName, 'rds'>, Record<string, Handler>>
  private readonly queryHandlers: Record<string, QueryHandler>
  /** The GitHub REST calls of the pull-request comment, on the same port. */
  readonly github = new GitHubStandIn(() => this.baseUrl)
  private baseUrl = ''

  constructor(world: World, options: ServerOptions, rds: Rds) {
    this.world = world
    this.options = options
    this.faults = options.faults
    this.handlers = {
      codebuild: {
        StartBuild: b => world.startBuild(b),
        BatchGetBuilds: b => world.batchGetBuilds(b),
        StopBuild: b => world.stopBuild(b),
        BatchGetProjects: b => world.batchGetProjects(b),
        BatchGetFleets: b => world.fleets.batchGetFleets(b),
        ListBuildsForProject: b => world.listBuildsForProject(b)
      },
      logs: {
        GetLogEvents: b => world.getLogEvents(b)
      }
    }
    this.queryHandlers = {
      DescribeDBInstances: p => rds.describeDBInstances(p),
      DescribeDBClusters: p => rds.describeDBClusters(p),
      CreateDBSnapshot: p => rds.createDBSnapshot(p),
      CreateDBClusterSnapshot: p => rds.createDBClusterSnapshot(p),
      DescribeDBSnapshots: p => rds.describeDBSnapshots(p),
      DescribeDBClusterSnapshots: p => rds.describeDBClusterSnapshots(p)
    }
    this.server = http.createServer((req, res) => this.onRequest(req, res))
    this.server.keepAliveTimeout = 5_000
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    const port = (this.server.address() as AddressInfo).port
    this.baseUrl = `http://${this.options.host}:${port}`
    return port
  }

  setFaults(plan: FaultPlan): void {
    this.faults = plan
  }

  onCall(listener: (call: RecordedCall) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    await new Promise<void>(resolve => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  // ------------------------------------------------------------------------------------------------------------

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY_BYTES) {
        req.socket.destroy()
        return
      }
      chunks.push(c)
    })
    req.on('end', () => {
      if (this.closed) {
        req.socket.destroy()
        return
      }
      const text = Buffer.concat(chunks).toString('utf8')
      if (this.github.handle(req, res, text)) return
      this.onBody(req, res, text)
    })
  }

  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  /** Takes a token from the operation's account-wide bucket; false when it is empty (the quota is exhausted). */
  private withinQuota(operation: string): boolean {
    const quota = this.options.quotas[operation]
    if (!quota) return true
    const burst = quota.burst ?? quota.perSecond
    const now = this.world.now()
    const bucket = this.buckets.get(operation) ?? { tokens: burst, at: now }
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * quota.perSecond)
    bucket.at = now
    this.buckets.set(operation, bucket)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  private decide(operation: string): { kind: FaultKind; latencyMs: number } {
    if (!this.withinQuota(operation)) return { kind: 'throttle', latencyMs: 0 }
    const n = this.perOperation.get(operation) ?? 0
    this.perOperation.set(operation, n + 1)
    const g = this.arrivals++
    const global: FaultConfig = this.faults['*'] ?? {}
    const own: FaultConfig = this.faults[operation] ?? {}
    const merged: FaultConfig = { ...global, ...own }
    const seed = this.options.seed

    let latencyMs = 0
    const lat = merged.latencyMs
    if (typeof lat === 'number') latencyMs = lat
    else if (Array.isArray(lat)) latencyMs = lat[0] + unitFor(seed, 'latency', operation, n) * (lat[1] - lat[0])

    const fromOwn = own.sequence?.[n]
    if (fromOwn !== undefined) return { kind: fromOwn, latencyMs }
    const fromGlobal = global.sequence?.[g]
    if (fromGlobal !== undefined) return { kind: fromGlobal, latencyMs }

    const u = unitFor(seed, 'fault', operation, n)
    let edge = 0
    const kinds: Array<[Exclude<FaultKind, 'ok'>, number | undefined]> = [
      ['throttle', merged.throttle],
      ['internal', merged.internal],
      ['unavailable', merged.unavailable],
      ['reset', merged.reset],
      ['lost', merged.lost],
      ['hang', merged.hang],
      ['garbled', merged.garbled],
      ['cut', merged.cut],
      ['empty', merged.empty],
      ['garbledId', merged.garbledId]
    ]
    for (const [kind, fraction] of kinds) {
      edge += fraction ?? 0
      if (u < edge) return { kind, latencyMs }
    }
    return { kind: 'ok', latencyMs }
  }

  private onBody(req: http.IncomingMessage, res: http.ServerResponse, text: string): void {
    const at = this.world.now()
    const seq = this.seqCounter++
    const requestId = randomUUID()
    const target = String(req.headers['x-amz-target'] ?? '')
    const dot = target.indexOf('.')
    // RDS speaks the Query protocol: no X-Amz-Target, a form body naming the operation in Action.
    const query = !target && FORM.test(String(req.headers['content-type'] ?? '')) ? new URLSearchParams(text) : undefined
    const service: ServiceName | 'unknown' = query ? 'rds' : (TARGET_PREFIX[target.slice(0, dot)] ?? 'unknown')
    const operation = query ? query.get('Action') || '(none)' : dot >= 0 ? target.slice(dot + 1) : target || '(none)'

    let request: Record<string, unknown> = {}
    let parseError: string | undefined
    if (query) {
      request = Object.fromEntries(query)
      if (query.get('Version') !== RDS_VERSION)
        parseError = `Could not find operation ${operation} for version ${query.get('Version') ?? 'NO_VERSION_SPECIFIED'}`
    } else if (text.length > 0) {
      try {
        const parsed: unknown = JSON.parse(text)
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) request = parsed as Record<string, unknown>
        else parseError = 'Start of structure or map found where not expected.'
      } catch {
        request = { $raw: text }
        parseError = 'Unexpected character found in the request body.'
      }
    }

    const auth = String(req.headers['authorization'] ?? '')
    const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth)
    const call: RecordedCall = { seq, at, answeredAt: at, service, operation, request, status: 0, requestId }
    if (scope) {
      call.accessKeyId = scope[1]
      call.signedRegion = scope[2]
      call.signedService = scope[3]
    }

    const { kind, latencyMs } = this.decide(operation)
    const expiredFrom = this.faults[operation]?.expiredFromMs ?? this.faults['*']?.expiredFromMs
    const expired = expiredFrom !== undefined && at >= expiredFrom
    const answer = (): void => {
      if (this.closed) {
        req.socket.destroy()
        return
      }
      if (kind === 'reset') {
        call.injected = 'reset'
        req.socket.destroy()
        this.record(call)
        return
      }
      let status = 200
      let payload: Record<string, unknown> | undefined
      let error: AwsError | undefined
      const custom = this.faults[operation]?.message ?? this.faults['*']?.message
      // The Query protocol's names for the same answers: ExpiredToken, Throttling, ServiceUnavailable.
      if (expired)
        error = new AwsError(query ? 'ExpiredToken' : 'ExpiredTokenException', 'The security token included in the request is expired', 400)
      else if (kind === 'throttle') error = new AwsError(query ? 'Throttling' : 'ThrottlingException', custom ?? 'Rate exceeded', 400)
      else if (kind === 'internal') error = new AwsError('InternalFailure', custom, 500)
      else if (kind === 'unavailable')
        error = new AwsError(
          query ? 'ServiceUnavailable' : 'ServiceUnavailableException',
          custom ?? 'The service is unavailable. Please try again later.',
          503
        )
      if (error && !expired) call.injected = kind as Exclude<FaultKind, 'ok'>
      if (!error && this.options.requireAuth && !auth) {
        error = new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 400)
      }
      if (!error && req.method !== 'POST') error = new AwsError('UnknownOperationException', undefined, 404)
      if (!error && parseError) error = new AwsError(query ? 'InvalidAction' : 'SerializationException', parseError, 400)
      const queryHandler = query ? this.queryHandlers[operation] : undefined
      const handler = service === 'unknown' || service === 'rds' ? undefined : this.handlers[service][operation]
      if (!error && !handler && !queryHandler)
        error = query
          ? new AwsError('InvalidAction', `The action ${operation} is not valid for this web service.`, 400)
          : new AwsError('UnknownOperationException', undefined, 400)
      if (!error && (handler || queryHandler)) {
        try {
          payload = queryHandler && query ? { $xml: queryHandler(query) } : (handler as Handler)(request)
        } catch (e) {
          if (e instanceof AwsError) error = e
          else {
            process.stderr.write(`stand-in: ${operation} crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
            error = new AwsError('InternalFailure', undefined, 500)
          }
        }
      }
      const headers: Record<string, string> = { 'Content-Type': query ? 'text/xml' : CONTENT_TYPE, 'x-amzn-RequestId': requestId }
      if (error) {
        status = error.status
        payload = error.body()
        if (!query) headers['x-amzn-ErrorType'] = error.type
        call.errorType = error.type
        if (error.message !== error.type) call.errorMessage = error.message
      }
      call.status = status
      if (!error && Array.isArray(payload?.['events'])) call.events = (payload['events'] as unknown[]).length
      if (kind === 'hang' && !expired) {
        // Processed, then never answered: the socket stays open until the client abandons it or the stand-in closes.
        call.injected = 'hang'
        this.record(call)
        return
      }
      if (kind === 'lost') {
        // Processed (state changed, answer computed), but the client never gets the answer.
        call.injected = 'lost'
        req.socket.destroy()
        this.record(call)
        return
      }
      let out = query ? queryAnswer(operation, requestId, payload, error) : JSON.stringify(payload ?? {})
      if (!error && !query && kind === 'garbledId') {
        call.injected = kind
        out = JSON.stringify(garbleIds(payload ?? {}))
      }
      if (!error && (kind === 'garbled' || kind === 'empty' || kind === 'cut')) {
        call.injected = kind
        if (kind === 'garbled') out = `<html><body><h1>502 Bad Gateway</h1></body></html>${out.slice(0, 40)}`
        if (kind === 'empty') out = query ? queryAnswer(operation, requestId, { $xml: '' }, undefined) : '{}'
      }
      headers['Content-Length'] = String(Buffer.byteLength(out, 'utf8'))
      res.writeHead(status, headers)
      if (call.injected === 'cut') {
        // Half the body, then the connection goes: the client sees a premature close.
        res.write(out.slice(0, Math.floor(out.length / 2)))
        setImmediate(() => res.socket?.destroy())
        this.record(call)
        return
      }
      res.end(out)
      this.record(call)
    }

    if (latencyMs > 0) {
      // Answered `latencyMs` after arrival on the stand-in's clock, never earlier: a timer can fire up to 1 ms early
      // (libuv's clock has millisecond steps), which a scaled clock would make `timeScale` ms.
      const due = at + latencyMs
      const wait = (): void => {
        const remaining = due - this.world.now()
        if (remaining <= 0) {
          answer()
          return
        }
        const timer = setTimeout(() => {
          this.timers.delete(timer)
          wait()
        }, remaining / this.world.timeScale)
        this.timers.add(timer)
      }
      wait()
    } else {
      answer()
    }
  }

  private seqCounter = 0

  private record(call: RecordedCall): void {
    call.answeredAt = this.world.now()
    this.calls.push(call)
    for (const l of this.listeners) l(call)
  }
}

/**
 * A Query-protocol answer: `<ActionResponse xmlns><ActionResult>…</ActionResult><ResponseMetadata>` on success;
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>` on error (Type Sender for 4xx,
 * Receiver for 5xx).
 */
function queryAnswer(
  operation: string,
  requestId: string,
  payload: Record<string, unknown> | undefined,
  error: AwsError | undefined
): string {
  if (error) {
    const message = error.message === error.type ? '' : `<Message>${xmlText(error.message)}</Message>`
    return (
      `<ErrorResponse xmlns="${RDS_XMLNS}"><Error><Type>${error.status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
      `<Code>${xmlText(error.type)}</Code>${message}</Error><RequestId>${requestId}</RequestId></ErrorResponse>`
    )
  }
  const inner = typeof payload?.$xml === 'string' ? payload.$xml : ''
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${operation}Response xmlns="${RDS_XMLNS}"><${operation}Result>${inner}</${operation}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`
  )
}

/** What the `garbledId` fault appends to every build id of an answer: a line break and a workflow command. */
export const GARBLED_ID_SUFFIX = '\n::error::garbled build id'

/** The answer with every build id garbled: `build.id`, `builds[].id` and `ids[]` (CodeBuild's shapes that hold them). */
function garbleIds(payload: Record<string, unknown>): Record<string, unknown> {
  const garble = (b: unknown): unknown =>
    typeof b === 'object' && b !== null && typeof (b as { id?: unknown }).id === 'string'
      ? { ...b, id: `${(b as { id: string }).id}${GARBLED_ID_SUFFIX}` }
      : b
  const out: Record<string, unknown> = { ...payload }
  if (out.build) out.build = garble(out.build)
  if (Array.isArray(out.builds)) out.builds = out.builds.map(garble)
  if (Array.isArray(out.ids)) out.ids = (out.ids as unknown[]).map(id => (typeof id === 'string' ? `${id}${GARBLED_ID_SUFFIX}` : id))
  return out
}
