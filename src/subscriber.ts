/**
 * The subscriber side: one member of the score sorted set, with its bounds,
 * and the handler a publisher uses to deliver to it.
 *
 * @module
 */

import { InvalidArgumentError } from "./errors.ts";
import { type Handler, isGenericHandler } from "./handlers.ts";
import { callRecordKey, RECORD_TTL_MS } from "./keys.ts";
import { type DirectorRedis, runScripts, scriptReply } from "./redis.ts";
import { ADD_SCORE, READ_SCORES, WRITE_SCORES } from "./scripts.ts";
import { requireClient, requireFinite, requireKey, requireScoreBounds } from "./validate.ts";

/** What a subscriber's score starts at and where every relative change keeps it. *
 * @example
 * ```ts
 * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" })
 *   .addSubscriber("a", { handler: genericSetHandler("a:queue"), defaultScore: 10, minScore: 0, maxScore: 20, scoreChange: -2 });
 * ```
 */
export interface ScoreOptions {
  /** The score a subscriber has while none is stored, and after `resetScore()`. @default {100} */
  defaultScore?: number;
  /** The lowest score a relative change can leave. @default {1} */
  minScore?: number;
  /** The highest score a relative change can leave. @default {100} */
  maxScore?: number;
  /**
   * The score change per payload delivered to this subscriber, applied (and
   * clamped) before the next payload of the same publish is placed.
   * @default {the generic handler's addScore, or 0 for a custom handler}
   */
  scoreChange?: number;
}

/** Options of {@linkcode Subscriber}. *
 * @example
 * ```ts
 * import { Subscriber, type SubscriberOptions } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const options: SubscriberOptions = { redis: Redis.fromEnv(), scoreKey: "s", scoreMember: "a", maxScore: 500 };
 * const sub = new Subscriber(options);
 * ```
 */
export interface SubscriberOptions extends ScoreOptions {
  /** The Redis client (e.g. `Redis.fromEnv()` from `@upstash/redis`). */
  redis: DirectorRedis;
  /** The sorted set holding every subscriber's score. */
  scoreKey: string;
  /** This subscriber's member name in the sorted set (its name). */
  scoreMember: string;
  /** How a publisher delivers payloads to this subscriber. Needed only to publish. */
  handler?: Handler;
}

/**
 * A subscriber: its score (a weight in the publisher's random pick) and the
 * handler that receives its payloads. Publishers create them with
 * `addSubscriber`; the subscriber side creates its own to raise its score
 * when it has room (a back-pressure loop).
 *
 * Every method is one HTTP request.
 *
 * @example The subscriber side
 * ```ts
 * import { Subscriber } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const sub = new Subscriber({
 *   redis: Redis.fromEnv(),
 *   scoreKey: "app:scores",
 *   scoreMember: "route_1",
 *   defaultScore: 100,
 *   minScore: 1,
 *   maxScore: 100,
 * });
 * await sub.addScore(10); // clamped to [1, 100]
 * await sub.setScore(500); // ignores the bounds
 * await sub.resetScore(); // back to 100
 * console.log(await sub.getScore());
 * ```
 */
export class Subscriber {
  /** The Redis client. */
  readonly redis: DirectorRedis;
  /** The sorted set holding the scores. */
  readonly scoreKey: string;
  /** This subscriber's member name in the sorted set. */
  readonly scoreMember: string;
  /** The score used while none is stored, and by `resetScore()`. */
  readonly defaultScore: number;
  /** The lowest score a relative change can leave. */
  readonly minScore: number;
  /** The highest score a relative change can leave. */
  readonly maxScore: number;
  /** The score change per delivered payload (see {@linkcode ScoreOptions.scoreChange}). */
  readonly scoreChange: number;
  /** The handler, if one was given. */
  readonly handler: Handler | undefined;

  /**
   * Creates a subscriber. Nothing is sent to Redis.
   *
   * @throws {InvalidArgumentError} when a key or name is empty, a score is
   * not finite, `minScore > maxScore`, `defaultScore` lies outside them, or
   * `handler` is not a function.
   */
  constructor(options: SubscriberOptions) {
    this.redis = requireClient(options);
    this.scoreKey = requireKey("scoreKey", options.scoreKey);
    this.scoreMember = requireKey("scoreMember", options.scoreMember);
    const bounds = requireScoreBounds(
      options.defaultScore ?? 100,
      options.minScore ?? 1,
      options.maxScore ?? 100,
    );
    this.defaultScore = bounds.defaultScore;
    this.minScore = bounds.minScore;
    this.maxScore = bounds.maxScore;
    if (options.handler !== undefined && typeof options.handler !== "function") {
      throw new InvalidArgumentError(
        "handler",
        "expected a function (subscriber, payload, tx) or genericSetHandler/genericListHandler",
      );
    }
    this.handler = options.handler;
    const handlerChange = this.handler && isGenericHandler(this.handler)
      ? this.handler.addScore
      : 0;
    this.scoreChange = requireFinite("scoreChange", options.scoreChange ?? handlerChange);
  }

  /** The subscriber's name: its member in the score sorted set. */
  get name(): string {
    return this.scoreMember;
  }

  /**
   * Reads the score; a subscriber with no stored score has its default.
   * Writes nothing.
   *
   * @returns the score
   * @throws {WrongTypeError} when the score key is not a sorted set
   */
  async getScore(): Promise<number> {
    const { results } = await runScripts(this.redis, [
      { script: READ_SCORES, keys: [this.scoreKey], args: [this.scoreMember] },
    ]);
    const [stored] = scriptReply(READ_SCORES.name, results[0]);
    return stored === "" ? this.defaultScore : Number(stored);
  }

  /**
   * Adds `delta` to the score (or to the default when none is stored),
   * clamped to `[minScore, maxScore]`, atomically. A retried request is
   * applied once.
   *
   * @param delta the change, any finite number (negative lowers the score)
   * @returns the new score
   * @throws {InvalidArgumentError} when `delta` is not finite
   * @throws {WrongTypeError} when the score key is not a sorted set
   */
  async addScore(delta: number): Promise<number> {
    requireFinite("delta", delta);
    const record = callRecordKey(this.scoreKey, crypto.randomUUID());
    const { results } = await runScripts(this.redis, [{
      script: ADD_SCORE,
      keys: [this.scoreKey, record],
      args: [
        this.scoreMember,
        String(delta),
        String(this.defaultScore),
        String(this.minScore),
        String(this.maxScore),
        String(RECORD_TTL_MS),
      ],
    }]);
    return Number(scriptReply(ADD_SCORE.name, results[0])[1]);
  }

  /**
   * Sets the score to `value` as given, ignoring the bounds; creates the
   * member when it has no score yet.
   *
   * @param value the new score, any finite number
   * @returns the new score
   * @throws {InvalidArgumentError} when `value` is not finite
   * @throws {WrongTypeError} when the score key is not a sorted set
   */
  async setScore(value: number): Promise<number> {
    requireFinite("value", value);
    await writeScores(this.redis, this.scoreKey, [[this.scoreMember, value]]);
    return value;
  }

  /**
   * Sets the score back to `defaultScore`.
   *
   * @returns the default score
   * @throws {WrongTypeError} when the score key is not a sorted set
   */
  resetScore(): Promise<number> {
    return this.setScore(this.defaultScore);
  }
}

/**
 * Writes `[member, score]` pairs to the sorted set at `scoreKey` in one
 * request, as given.
 *
 * @throws {WrongTypeError} when the key is not a sorted set
 */
export async function writeScores(
  redis: DirectorRedis,
  scoreKey: string,
  pairs: readonly (readonly [string, number])[],
): Promise<void> {
  const args = pairs.flatMap(([member, score]) => [String(score), member]);
  const { results } = await runScripts(redis, [{ script: WRITE_SCORES, keys: [scoreKey], args }]);
  scriptReply(WRITE_SCORES.name, results[0]);
}
