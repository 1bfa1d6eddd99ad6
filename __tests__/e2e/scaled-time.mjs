/**
 * Preloaded (`node --import`) into the action's process by the e2e runner when a test asks for scaled time:
 * Date, performance.now, setTimeout and setInterval run TIME_SCALE times faster, so that minutes of the action's
 * own waiting (give-up limits, retry windows, if-running waits) pass in seconds. The e2e tests run the stand-in
 * on the same scaled clock (its `timeScale`), and pass its `clockOrigin` as TIME_ORIGIN (real epoch ms): dates are
 * scaled around that moment, so the action and the stand-in agree on the time (a build's startTime is as far in
 * the past for both). Not patched, so in real time: socket timeouts (`socket.setTimeout`), AbortSignal.timeout,
 * setImmediate, and CPU time. Never used by `npm run bench`.
 */
const scale = Number(process.env.TIME_SCALE ?? '1')
if (Number.isFinite(scale) && scale > 0 && scale !== 1) {
  const RealDate = Date
  const realNow = RealDate.now.bind(RealDate)
  const origin = Number(process.env.TIME_ORIGIN)
  const dateOrigin = Number.isFinite(origin) && origin > 0 ? origin : realNow()
  const scaledNow = () => Math.round(dateOrigin + (realNow() - dateOrigin) * scale)
  class ScaledDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(scaledNow())
      else super(...args)
    }
    static now() {
      return scaledNow()
    }
  }
  globalThis.Date = ScaledDate

  const realPerfNow = performance.now.bind(performance)
  const perfOrigin = realPerfNow()
  Object.defineProperty(performance, 'now', { value: () => perfOrigin + (realPerfNow() - perfOrigin) * scale, configurable: true })

  const realSetTimeout = globalThis.setTimeout
  const realSetInterval = globalThis.setInterval
  globalThis.setTimeout = (fn, ms, ...args) => realSetTimeout(fn, Math.max(0, Number(ms) || 0) / scale, ...args)
  globalThis.setInterval = (fn, ms, ...args) => realSetInterval(fn, Math.max(1, Number(ms) || 0) / scale, ...args)
}
