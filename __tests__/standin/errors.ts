/** An error answered in the AWS JSON 1.1 shape: `{"__type": type, "message": message}` plus `x-amzn-ErrorType`. */
export class AwsError extends Error {
  readonly type: string
  readonly status: number

  constructor(type: string, message: string | undefined, status = 400) {
    super(message ?? type)
    this.type = type
    this.status = status
    this.name = type
  }

  body(): Record<string, string> {
    return this.message === this.type ? { __type: this.type } : { __type: this.type, message: this.message }
  }
}

/** Coral-style validation messages: "1 validation error detected: Value 'x' at 'a.b' failed to satisfy ...". */
export function validationMessage(problems: readonly string[]): string {
  const n = problems.length
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${problems.join('; ')}`
}

export function quoteValue(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'string') return v
  return JSON.stringify(v)
}
