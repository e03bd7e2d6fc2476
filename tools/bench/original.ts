/**
 * The original Python redis-director's request pattern, ported to TypeScript for comparison
 * only (never published). Written from the behaviour described in
 * `/work/shared/seed/SEMANTICS.md`; every Redis call is its own HTTP request (auto-pipelining
 * off, as the synchronous Python client sent them):
 *
 * - `publish(batch)`: one "random pop" script (SRANDMEMBER `batch`, then SREM each);
 * - then per payload: one ZSCORE per subscriber (a ZADD NX more where none is stored), a
 *   weighted random pick, and the handler: the clamped add-score script (EVAL) and the SADD.
 *
 * So a publish of `n` payloads to `S` subscribers costs `1 + n * (S + 2)` requests.
 *
 * @module
 */

import type { Redis } from "@upstash/redis";

/** SRANDMEMBER `ARGV[1]` members of `KEYS[1]`, then SREM each of them; returns them. */
const RANDOM_POP = `
local members = redis.call("SRANDMEMBER", KEYS[1], ARGV[1])
for _, member in ipairs(members) do redis.call("SREM", KEYS[1], member) end
return members
`;

/** Adds `ARGV[2]` to member `ARGV[1]` (default `ARGV[3]`), clamped to `[ARGV[4], ARGV[5]]`. */
const ADD_SCORE = `
local current = tonumber(redis.call("ZSCORE", KEYS[1], ARGV[1])) or tonumber(ARGV[3])
local updated = math.min(math.max(current + tonumber(ARGV[2]), tonumber(ARGV[4])), tonumber(ARGV[5]))
redis.call("ZADD", KEYS[1], updated, ARGV[1])
return tostring(updated)
`;

/** A subscriber of the original: a member of the score sorted set, with bounds and a handler. */
export class OriginalSubscriber {
  /**
   * A subscriber `member` of the sorted set `scoreKey`, whose payloads `handler` receives.
   * Scores are kept in `[minScore, maxScore]` by relative changes.
   */
  constructor(
    readonly redis: Redis,
    readonly scoreKey: string,
    readonly member: string,
    readonly handler: OriginalHandler,
    readonly defaultScore = 100,
    readonly minScore = 1,
    readonly maxScore = 100,
  ) {}

  /** Reads the score (ZSCORE); writes and returns the default where none is stored. */
  async score(): Promise<number> {
    const stored = await this.redis.zscore(this.scoreKey, this.member);
    if (stored !== null) return Number(stored);
    await this.redis.zadd(this.scoreKey, { nx: true }, {
      score: this.defaultScore,
      member: this.member,
    });
    return this.defaultScore;
  }

  /** Adds `delta` to the score, clamped to the bounds, in one script call (EVAL). */
  async addScore(delta: number): Promise<number> {
    const updated = await this.redis.eval(ADD_SCORE, [this.scoreKey], [
      this.member,
      String(delta),
      String(this.defaultScore),
      String(this.minScore),
      String(this.maxScore),
    ]);
    return Number(updated);
  }
}

/** A handler of the original: delivers one payload to one subscriber. */
export type OriginalHandler = (subscriber: OriginalSubscriber, payload: string) => Promise<void>;

/** The original's generic set handler: add `addScore` to the receiver, then SADD to `key`. */
export function originalSetHandler(redis: Redis, key: string, addScore = -1): OriginalHandler {
  return async (subscriber, payload) => {
    await subscriber.addScore(addScore);
    await redis.sadd(key, payload);
  };
}

/** The original's publisher: pops a batch, then places each payload on a weighted random pick. */
export class OriginalPublisher {
  readonly #subscribers: OriginalSubscriber[] = [];

  /** A publisher of the set `queueKey`, with the scores in `scoreKey`. */
  constructor(readonly redis: Redis, readonly queueKey: string) {}

  /** Registers a subscriber; returns the publisher so calls chain. */
  addSubscriber(subscriber: OriginalSubscriber): this {
    this.#subscribers.push(subscriber);
    return this;
  }

  /**
   * Pops up to `batchSize` payloads and hands each to a subscriber picked with probability
   * proportional to its current score, read anew for every payload.
   *
   * @returns the number of payloads placed
   * @throws {Error} when no subscriber has a score above 0 (after the pop, as the original did)
   */
  async publish(batchSize = 1): Promise<number> {
    const popped = await this.redis.eval(RANDOM_POP, [this.queueKey], [String(batchSize)]);
    const payloads = (popped as unknown[]).map(String);
    for (const payload of payloads) {
      const subscriber = await this.#randomSubscriber();
      await subscriber.handler(subscriber, payload);
    }
    return payloads.length;
  }

  async #randomSubscriber(): Promise<OriginalSubscriber> {
    const weights: number[] = [];
    for (const subscriber of this.#subscribers) {
      weights.push(Math.max(0, await subscriber.score()));
    }
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    if (total <= 0) throw new Error("no subscriber with a score above 0");
    let target = Math.random() * total;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] > 0 && (target -= weights[i]) < 0) return this.#subscribers[i];
    }
    return this.#subscribers[weights.findLastIndex((weight) => weight > 0)];
  }
}

/** Requests one original-style publish of `n` payloads to `subscribers` subscribers costs. */
export function originalRequests(n: number, subscribers: number): number {
  return 1 + n * (subscribers + 2);
}
