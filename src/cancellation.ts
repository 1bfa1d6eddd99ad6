/** The runner cancels a step with SIGINT, then SIGTERM, then kills it: the first signal aborts the work. */

export interface Cancellation {
  signal: AbortSignal
  dispose(): void
}

export function cancelOnSignals(onSignal: (name: NodeJS.Signals) => void, signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): Cancellation {
  const controller = new AbortController()
  const handler = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) return
    onSignal(name)
    controller.abort(new CancelledError(name))
  }
  for (const s of signals) process.on(s, handler)
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of signals) process.off(s, handler)
    }
  }
}

export class CancelledError extends Error {
  override name = 'CancelledError'
  constructor(readonly signalName: string) {
    super(`the step was cancelled (${signalName})`)
  }
}
