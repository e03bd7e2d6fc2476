/**
 * Where a publish's randomness comes from. The weighted picks themselves run
 * inside the publish script with L'Ecuyer's combined generator, seeded from
 * the client: Lua's `math.random` is never used (Upstash does not document
 * it), and a seed makes a publish reproducible.
 *
 * @module
 */

/** A source of uniform numbers in [0, 1), like `Math.random`. *
 * @example
 * ```ts
 * import { Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * // Any () => number in [0, 1) seeds the picks; Math.random works too.
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q", random: Math.random });
 * ```
 */
export type RandomSource = () => number;

/** Moduli of L'Ecuyer's (1988) combined generator; the products stay exact in doubles. */
const M1 = 2147483563;
const M2 = 2147483399;

/** The generator's two seeds, each in its valid range (1..M-1). */
export type GeneratorSeeds = readonly [number, number];

/**
 * L'Ecuyer's combined multiplicative generator: the exact twin of the one in
 * the publish script (`uniform()`), so tests can predict its picks.
 */
export class CombinedGenerator {
  #s1: number;
  #s2: number;

  /** A generator started from `seeds` (as `seedsFrom` returns them). */
  constructor(seeds: GeneratorSeeds) {
    [this.#s1, this.#s2] = seeds;
  }

  /** The next number, uniform in (0, 1). */
  next(): number {
    this.#s1 = (40014 * this.#s1) % M1;
    this.#s2 = (40692 * this.#s2) % M2;
    let z = this.#s1 - this.#s2;
    if (z < 1) z += M1 - 1;
    return z / M1;
  }
}

/** Two generator seeds drawn from `random`. */
export function seedsFrom(random: RandomSource): GeneratorSeeds {
  return [1 + Math.floor(random() * (M1 - 1)), 1 + Math.floor(random() * (M2 - 1))];
}

/** A reproducible `RandomSource` for an integer seed (its own combined generator). */
export function seededRandom(seed: number): RandomSource {
  const generator = new CombinedGenerator([
    1 + Math.abs(seed % (M1 - 1)),
    1 + Math.abs(Math.floor(seed / (M1 - 1)) % (M2 - 1)),
  ]);
  return () => generator.next();
}

/** A `RandomSource` backed by Web Crypto (the default). */
export function cryptoRandom(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] / 2 ** 32;
}
