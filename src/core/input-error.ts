/** The error for a bad input: one line that names the input and says what was expected. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    detail: string
  ) {
    super(`Input '${input}' ${detail}`)
    this.name = 'InputError'
  }
}
