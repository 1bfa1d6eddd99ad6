/**
 * Preloaded (`node --import`) into the action's process by the e2e runner when a test asks for scaled time:
 * Date, performance.now, setTimeout and setInterval run TIME_SCALE times faster, so that minutes of the action's
 * own waiting (give-up limits, retry windows, if-running waits) pass in seconds. Only the action's process is
 * scaled; the stand-in keeps real time. Never used by `npm run bench`.
 */
const scale = Number(process.env.TIME_SCALE ?? '1')
if (Number.isFinite(scale) && scale > 0 && scale !== 1) {
  const RealDate = Date
  const realNow = RealDate.now.bind(RealDate)
  const dateOrigin = realNow()
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
