/**
 * Seeded, order-independent pseudo-randomness.
 *
 * Every random decision of the stand-in is drawn from a stream keyed by (seed, purpose, ...ids), e.g.
 * ('fault', 'GetLogEvents', 17) for the 17th GetLogEvents call. Two runs with the same seed therefore make the
 * same decisions even when calls of different operations interleave differently (the child process is real-time).
 */

/** 32-bit FNV-1a over the parts, joined by a separator that cannot occur in numbers. */
export function hash32(...parts: Array<string | number>): number {
  let h = 0x811c9dc5
  const s = parts.join('\u0001')
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  // final avalanche (murmur3 fmix32) so that nearby keys give unrelated streams
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** mulberry32: small, fast, good enough for test decisions. */
export class Prng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** Uniform in [0, 1). Bound to its generator, so `new Prng(seed).next` can stand for `Math.random`. */
  readonly next = (): number => {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  hex(digits: number): string {
    let out = ''
    for (let i = 0; i < digits; i++) out += '0123456789abcdef'.charAt(this.int(0, 15))
    return out
  }

  /** A version-4-shaped UUID (lower case), as CodeBuild uses in build ids. */
  uuid(): string {
    const variant = '89ab'.charAt(this.int(0, 3))
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${variant}${this.hex(3)}-${this.hex(12)}`
  }
}

/** A PRNG stream for one purpose: `prngFor(seed, 'build', 'my-project', 3)`. */
export function prngFor(seed: number, ...key: Array<string | number>): Prng {
  return new Prng(hash32(seed, ...key))
}

/** One uniform draw in [0, 1) for a key, without keeping a stream. */
export function unitFor(seed: number, ...key: Array<string | number>): number {
  return prngFor(seed, ...key).next()
}
