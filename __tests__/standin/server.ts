/**
 * HTTP transport of the stand-in: AWS JSON 1.1 over `POST /`, routed by `X-Amz-Target`, with fault injection
 * (seeded, per operation) and a record of every call.
 */
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { AwsError } from './errors.js'
import { unitFor } from './prng.js'
import type { FaultConfig, FaultKind, FaultPlan, RecordedCall, ServiceName } from './types.js'
import type { World } from './world.js'

const CONTENT_TYPE = 'application/x-amz-json-1.1'
const MAX_BODY_BYTES = 10 * 1024 * 1024

type Handler = (body: Record<string, unknown>) => Record<string, unknown>

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
  private readonly handlers: Record<ServiceName, Record<string, Handler>>

  constructor(world: World, options: ServerOptions) {
    this.world = world
    this.options = options
    this.faults = options.faults
    this.handlers = {
      codebuild: {
        StartBuild: b => world.startBuild(b),
        BatchGetBuilds: b => world.batchGetBuilds(b),
        StopBuild: b => world.stopBuild(b),
        BatchGetProjects: b => world.batchGetProjects(b),
        ListBuildsForProject: b => world.listBuildsForProject(b)
      },
      logs: {
        GetLogEvents: b => world.getLogEvents(b)
      }
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
    return (this.server.address() as AddressInfo).port
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
      this.onBody(req, res, Buffer.concat(chunks).toString('utf8'))
    })
  }

  private decide(operation: string): { kind: FaultKind; latencyMs: number } {
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
      ['empty', merged.empty]
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
    const service: ServiceName | 'unknown' = TARGET_PREFIX[target.slice(0, dot)] ?? 'unknown'
    const operation = dot >= 0 ? target.slice(dot + 1) : target || '(none)'

    let request: Record<string, unknown> = {}
    let parseError: string | undefined
    if (text.length > 0) {
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
      if (expired) error = new AwsError('ExpiredTokenException', 'The security token included in the request is expired', 400)
      else if (kind === 'throttle') error = new AwsError('ThrottlingException', custom ?? 'Rate exceeded', 400)
      else if (kind === 'internal') error = new AwsError('InternalFailure', custom, 500)
      else if (kind === 'unavailable')
        error = new AwsError('ServiceUnavailableException', custom ?? 'The service is unavailable. Please try again later.', 503)
      if (error && !expired) call.injected = kind as Exclude<FaultKind, 'ok'>
      if (!error && this.options.requireAuth && !auth) {
        error = new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 400)
      }
      if (!error && req.method !== 'POST') error = new AwsError('UnknownOperationException', undefined, 404)
      if (!error && parseError) error = new AwsError('SerializationException', parseError, 400)
      const handler = service === 'unknown' ? undefined : this.handlers[service][operation]
      if (!error && !handler) error = new AwsError('UnknownOperationException', undefined, 400)
      if (!error && handler) {
        try {
          payload = handler(request)
        } catch (e) {
          if (e instanceof AwsError) error = e
          else {
            process.stderr.write(`stand-in: ${operation} crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
            error = new AwsError('InternalFailure', undefined, 500)
          }
        }
      }
      const headers: Record<string, string> = { 'Content-Type': CONTENT_TYPE, 'x-amzn-RequestId': requestId }
      if (error) {
        status = error.status
        payload = error.body()
        headers['x-amzn-ErrorType'] = error.type
        call.errorType = error.type
        if (error.message !== error.type) call.errorMessage = error.message
      }
      call.status = status
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
      let out = JSON.stringify(payload ?? {})
      if (!error && (kind === 'garbled' || kind === 'empty' || kind === 'cut')) {
        call.injected = kind
        if (kind === 'garbled') out = `<html><body><h1>502 Bad Gateway</h1></body></html>${out.slice(0, 40)}`
        if (kind === 'empty') out = '{}'
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
