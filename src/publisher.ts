/**
 * The publisher: a queue of payloads in Redis, the subscribers it feeds, and
 * the weighted-random (or max/min) publish that moves payloads from one to
 * the others in one HTTP request.
 *
 * @module
 */

import { InvalidArgumentError, NoSubscribersError, PublishError } from "./errors.ts";
import { type Handler, isGenericHandler } from "./handlers.ts";
import { callRecordKey, inflightIndexKey, inflightKey, RECORD_TTL_MS } from "./keys.ts";
import { cryptoRandom, type RandomSource, seededRandom, seedsFrom } from "./random.ts";
import {
  type DirectorRedis,
  runScripts,
  runScriptsSettled,
  type ScriptCall,
  scriptReply,
} from "./redis.ts";
import { type HeldPayload, readRelease, runHandlers } from "./release.ts";
import type {
  DirectorStatus,
  PublishFailure,
  PublishMode,
  PublishReport,
  RecoverReport,
  ScoreChange,
  StopReason,
  SubscriberStatus,
} from "./report.ts";
import { ENQUEUE, PUBLISH, READ_SCORES, RECOVER, RELEASE, STATUS } from "./scripts.ts";
import { type ScoreOptions, Subscriber, writeScores } from "./subscriber.ts";
import {
  exceedsBytes,
  LIMITS,
  requireBatchSize,
  requireClient,
  requireFinite,
  requireInteger,
  requireKey,
  requirePayload,
} from "./validate.ts";

/** Options of {@linkcode Publisher}. *
 * @example
 * ```ts
 * import { Publisher, type PublisherOptions } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const options: PublisherOptions = {
 *   redis: Redis.fromEnv(),
 *   scoreKey: "{app}:scores",
 *   queueKey: "{app}:queue",
 *   queue: "list",
 *   seed: 42,
 * };
 * const pub = new Publisher(options);
 * ```
 */
export interface PublisherOptions {
  /** The Redis client (e.g. `Redis.fromEnv()` from `@upstash/redis`). */
  redis: DirectorRedis;
  /** The sorted set holding every subscriber's score. */
  scoreKey: string;
  /** The queue of payloads. */
  queueKey: string;
  /**
   * The queue's Redis type: `"set"` (SADD in, random pop out; equal payloads
   * are kept once) or `"list"` (RPUSH in, LPOP out: first in, first out).
   * @default {"set"}
   */
  queue?: "set" | "list";
  /** A seed that makes every pick of this publisher reproducible (for tests). */
  seed?: number;
  /** A source of uniform numbers in [0, 1) to seed the picks with. @default {Web Crypto} */
  random?: RandomSource;
  /**
   * Most payloads one script call places; a larger publish is split into
   * several calls inside the same HTTP request, so Redis never runs one
   * script for long.
   * @default {10000}
   */
  maxPayloadsPerScript?: number;
}

/** Options of {@linkcode Publisher.addSubscriber}: the handler and the score settings. *
 * @example
 * ```ts
 * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" })
 *   .addSubscriber("a", { handler: genericSetHandler("a:queue"), defaultScore: 50, minScore: 1, maxScore: 200 });
 * ```
 */
export interface AddSubscriberOptions extends ScoreOptions {
  /** How payloads are delivered: `genericSetHandler`, `genericListHandler` or a custom function. */
  handler: Handler;
}

/** The subscriber part of a publish script call, built once per publish. */
interface Layout {
  readonly subscribers: readonly Subscriber[];
  readonly destinations: readonly string[];
  readonly args: readonly string[];
}

/**
 * Distributes payloads from one Redis queue to many subscribers by weighted
 * random choice (or to the highest or lowest score), with back pressure:
 * each delivery changes the receiver's score, and the subscriber side raises
 * it again when it has room.
 *
 * A publish with generic handlers is **one HTTP request**, whatever the
 * number of payloads and subscribers: one Lua script pops, reads the scores,
 * picks, delivers and writes the scores atomically. With custom handlers it
 * is at most two. Nothing is popped that is not placed, and a retried request
 * is recognised and not applied twice.
 *
 * @example Quick start
 * ```ts
 * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "app:scores", queueKey: "app:queue" });
 * pub.addSubscriber("route_1", { handler: genericSetHandler("route_1:queue", -1) })
 *   .addSubscriber("route_2", { handler: genericSetHandler("route_2:queue", -1), maxScore: 1000 });
 * await pub.addPayloads("a", "b", "c", 1, 2, 3);
 * const report = await pub.publish(4);
 * console.log(report.bySubscriber); // e.g. { route_1: 2, route_2: 2 }
 * ```
 */
export class Publisher {
  /** The Redis client. */
  readonly redis: DirectorRedis;
  /** The sorted set holding the scores. */
  readonly scoreKey: string;
  /** The queue of payloads. */
  readonly queueKey: string;
  /** The queue's Redis type. */
  readonly queueType: "set" | "list";
  readonly #random: RandomSource;
  readonly #perScript: number;
  readonly #subscribers = new Map<string, Subscriber>();

  /**
   * Creates a publisher. Nothing is sent to Redis.
   *
   * @throws {InvalidArgumentError} when a key is empty, the two keys are the
   * same, `queue` is neither "set" nor "list", `seed` is not a whole number,
   * `random` is not a function, both are given, or `maxPayloadsPerScript` is
   * out of range.
   */
  constructor(options: PublisherOptions) {
    this.redis = requireClient(options);
    this.scoreKey = requireKey("scoreKey", options.scoreKey);
    this.queueKey = requireKey("queueKey", options.queueKey);
    if (this.scoreKey === this.queueKey) {
      throw new InvalidArgumentError(
        "queueKey",
        "the queue and the scores need two different keys",
      );
    }
    const queue = options.queue ?? "set";
    if (queue !== "set" && queue !== "list") {
      throw new InvalidArgumentError("queue", `expected "set" or "list", got ${String(queue)}`);
    }
    this.queueType = queue;
    if (options.seed !== undefined && options.random !== undefined) {
      throw new InvalidArgumentError("seed", "give either seed or random, not both");
    }
    if (options.random !== undefined && typeof options.random !== "function") {
      throw new InvalidArgumentError("random", "expected a function returning numbers in [0, 1)");
    }
    this.#random = options.random ??
      (options.seed === undefined ? cryptoRandom : seededRandom(
        requireInteger("seed", options.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
      ));
    this.#perScript = requireInteger(
      "maxPayloadsPerScript",
      options.maxPayloadsPerScript ?? 10_000,
      1,
      LIMITS.maxBatchSize,
    );
  }

  /** The registered subscribers, in registration order. */
  get subscribers(): readonly Subscriber[] {
    return [...this.#subscribers.values()];
  }

  /**
   * Registers a subscriber named `name` (its member in the score sorted set)
   * and returns the publisher, so calls chain. A name registered again
   * replaces the earlier subscriber and keeps its place in the order.
   *
   * @throws {InvalidArgumentError} for an invalid name, handler or score
   * setting, a destination key equal to the queue or score key, or more than
   * `LIMITS.maxSubscribers` subscribers.
   *
   * @example
   * ```ts
   * import { genericListHandler, genericSetHandler, Publisher } from "@redis-director/redis-director";
   * import { Redis } from "@upstash/redis";
   *
   * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "app:scores", queueKey: "app:queue" });
   * pub.addSubscriber("route_1", { handler: genericSetHandler("route_1:queue"), defaultScore: 100, minScore: 1, maxScore: 100 })
   *   .addSubscriber("route_2", { handler: genericListHandler("route_2:queue"), defaultScore: 50, minScore: 0, maxScore: 1000 });
   * ```
   */
  addSubscriber(name: string, options: AddSubscriberOptions): this {
    if (typeof options !== "object" || options === null) {
      throw new InvalidArgumentError("options", "expected { handler, ...score options }");
    }
    return this.#register(
      new Subscriber({ ...options, redis: this.redis, scoreKey: this.scoreKey, scoreMember: name }),
    );
  }

  /**
   * Registers ready-made subscribers (each with a handler and this
   * publisher's score key) and returns the publisher.
   *
   * @throws {InvalidArgumentError} when one is not a `Subscriber`, has no
   * handler, uses another score key, or writes to the queue or score key.
   *
   * @example
   * ```ts
   * import { genericSetHandler, Publisher, Subscriber } from "@redis-director/redis-director";
   * import { Redis } from "@upstash/redis";
   *
   * const redis = Redis.fromEnv();
   * const pub = new Publisher({ redis, scoreKey: "app:scores", queueKey: "app:queue" });
   * pub.addSubscribers(
   *   new Subscriber({ redis, scoreKey: "app:scores", scoreMember: "a", handler: genericSetHandler("a:queue") }),
   *   new Subscriber({ redis, scoreKey: "app:scores", scoreMember: "b", handler: genericSetHandler("b:queue") }),
   * );
   * ```
   */
  addSubscribers(...subscribers: Subscriber[]): this {
    for (const subscriber of subscribers) {
      if (!(subscriber instanceof Subscriber)) {
        throw new InvalidArgumentError("subscribers", "expected Subscriber instances");
      }
      if (subscriber.scoreKey !== this.scoreKey) {
        throw new InvalidArgumentError(
          "subscribers",
          `subscriber "${subscriber.name}" uses score key "${subscriber.scoreKey}", ` +
            `the publisher uses "${this.scoreKey}"`,
        );
      }
    }
    for (const subscriber of subscribers) this.#register(subscriber);
    return this;
  }

  /**
   * The registered subscriber called `name`, or `undefined`.
   *
   * @example
   * ```ts
   * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
   * import { Redis } from "@upstash/redis";
   *
   * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" })
   *   .addSubscriber("a", { handler: genericSetHandler("a:queue") });
   * console.log(pub.getSubscriber("a")?.maxScore); // 100
   * ```
   */
  getSubscriber(name: string): Subscriber | undefined {
    return this.#subscribers.get(name);
  }

  /**
   * Sets every registered subscriber's score back to its default, in one
   * request (none when no subscriber is registered).
   *
   * @throws {WrongTypeError} when the score key is not a sorted set
   */
  async resetScores(): Promise<void> {
    const subscribers = this.subscribers;
    if (subscribers.length === 0) return;
    await writeScores(this.redis, this.scoreKey, subscribers.map((s) => [s.name, s.defaultScore]));
  }

  /**
   * Every registered subscriber's current score (the default where none is
   * stored), in one request.
   *
   * @returns scores by subscriber name
   * @throws {NoSubscribersError} when no subscriber is registered
   * @throws {WrongTypeError} when the score key is not a sorted set
   */
  async scores(): Promise<Record<string, number>> {
    const subscribers = this.#requireSubscribers();
    const { results } = await runScripts(this.redis, [
      { script: READ_SCORES, keys: [this.scoreKey], args: subscribers.map((s) => s.name) },
    ]);
    const stored = scriptReply(READ_SCORES.name, results[0]);
    return Object.fromEntries(
      subscribers.map((s, i) => [s.name, stored[i] === "" ? s.defaultScore : Number(stored[i])]),
    );
  }

  /**
   * One weighted random pick by the current scores (what `publish` does per
   * payload), or `undefined` when no subscriber has a score above 0. One
   * request; nothing is written.
   *
   * @throws {NoSubscribersError} when no subscriber is registered
   */
  async randomSubscriber(): Promise<Subscriber | undefined> {
    const scores = Object.values(await this.scores());
    const weights = scores.map((score) => (score > 0 ? score : 0));
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    if (total <= 0) return undefined;
    const target = this.#random() * total;
    let cumulative = 0;
    const index = weights.findIndex((weight) => weight > 0 && (cumulative += weight) > target);
    return this.subscribers[index === -1 ? weights.findLastIndex((w) => w > 0) : index];
  }

  /**
   * The subscriber with the highest score above 0 (the first registered wins
   * a tie), or `undefined` when none is above 0. One request.
   *
   * @throws {NoSubscribersError} when no subscriber is registered
   */
  subscriberMax(): Promise<Subscriber | undefined> {
    return this.#extreme((a, b) => a > b);
  }

  /**
   * The subscriber with the lowest score above 0 (the first registered wins
   * a tie), or `undefined` when none is above 0. One request.
   *
   * @throws {NoSubscribersError} when no subscriber is registered
   */
  subscriberMin(): Promise<Subscriber | undefined> {
    return this.#extreme((a, b) => a < b);
  }

  /**
   * The number of payloads waiting in the queue. One request.
   *
   * @throws {WrongTypeError} when the queue key is of another type
   */
  async queueSize(): Promise<number> {
    return (await this.#status([])).queueSize;
  }

  /**
   * A consistent snapshot, in one request: the queue size, the payloads in
   * flight, and per subscriber its score and its destination's size.
   *
   * @example
   * ```ts
   * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
   * import { Redis } from "@upstash/redis";
   *
   * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" })
   *   .addSubscriber("a", { handler: genericSetHandler("a:queue") });
   * const status = await pub.status();
   * console.log(status.queueSize, status.subscribers.a.score, status.subscribers.a.destinationSize);
   * ```
   */
  status(): Promise<DirectorStatus> {
    return this.#status(this.subscribers);
  }

  /**
   * Adds payloads to the queue in one request (up to `LIMITS.maxBatchSize`
   * payloads and `LIMITS.maxRequestBytes` bytes). Numbers are stored as
   * `String(n)`; a retried request adds them once. A set queue keeps equal
   * payloads once.
   *
   * @returns the number of payloads added (for a set queue, those not already in it)
   * @throws {InvalidArgumentError} for a payload that is not a string or a
   * finite number, one above `LIMITS.maxPayloadBytes`, or too many or too
   * large payloads in total; nothing is sent
   * @throws {WrongTypeError} when the queue key is of another type
   *
   * @example
   * ```ts
   * import { Publisher } from "@redis-director/redis-director";
   * import { Redis } from "@upstash/redis";
   *
   * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" });
   * await pub.addPayloads(...Array.from({ length: 1000 }, (_, i) => i));
   * await pub.addPayloads(JSON.stringify({ id: 1 }), "plain text");
   * ```
   */
  async addPayloads(...payloads: (string | number)[]): Promise<number> {
    if (payloads.length === 0) return 0;
    requireBatchSize("payloads.length", payloads.length);
    const values = payloads.map((payload, i) => requirePayload(`payloads[${i}]`, payload));
    if (exceedsBytes(values.join(""), LIMITS.maxRequestBytes)) {
      throw new InvalidArgumentError(
        "payloads",
        `together above ${LIMITS.maxRequestBytes} bytes; add them in several calls`,
      );
    }
    const id = crypto.randomUUID();
    const calls: ScriptCall[] = [];
    for (let first = 0; first < values.length; first += this.#perScript) {
      calls.push({
        script: ENQUEUE,
        keys: [this.queueKey, callRecordKey(this.queueKey, `${id}:${calls.length}`)],
        args: [
          this.queueType,
          String(RECORD_TTL_MS),
          ...values.slice(first, first + this.#perScript),
        ],
      });
    }
    const { results } = await runScripts(this.redis, calls);
    return results.reduce<number>(
      (sum, result) => sum + Number(scriptReply(ENQUEUE.name, result)[1]),
      0,
    );
  }

  /**
   * Places up to `count` payloads from the queue, each on a subscriber
   * picked at random with probability proportional to its score (scores at
   * or below 0 are not eligible). Each delivery applies the receiver's score
   * change, clamped to its bounds, before the next payload is placed.
   *
   * One HTTP request with generic handlers; at most two with custom ones.
   * When no subscriber is eligible nothing is popped
   * (`stoppedBy: "no-eligible-subscriber"`).
   *
   * @param count how many payloads, from 1 to `LIMITS.maxBatchSize` (default 1)
   * @returns what moved, per subscriber, and how many requests it took
   * @throws {InvalidArgumentError} for a bad `count`; nothing is sent
   * @throws {NoSubscribersError} when no subscriber is registered; nothing is sent
   * @throws {WrongTypeError} when a key holds the wrong Redis type; nothing moved
   *
   * @example
   * ```ts
   * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
   * import { Redis } from "@upstash/redis";
   *
   * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" })
   *   .addSubscriber("a", { handler: genericSetHandler("a:queue") })
   *   .addSubscriber("b", { handler: genericSetHandler("b:queue") });
   * const report = await pub.publish(100);
   * console.log(report.popped, report.bySubscriber, report.requests); // e.g. 100 { a: 50, b: 50 } 1
   * ```
   */
  publish(count = 1): Promise<PublishReport> {
    return this.#publish("random", count);
  }

  /**
   * Like `publish`, but each payload goes to the subscriber with the highest
   * current score above 0; a tie goes to the one registered first.
   *
   * @param count how many payloads, from 1 to `LIMITS.maxBatchSize` (default 1)
   * @throws {InvalidArgumentError} for a bad `count`; nothing is sent
   * @throws {NoSubscribersError} when no subscriber is registered; nothing is sent
   * @throws {WrongTypeError} when a key holds the wrong Redis type; nothing moved
   */
  publishMax(count = 1): Promise<PublishReport> {
    return this.#publish("max", count);
  }

  /**
   * Like `publish`, but each payload goes to the subscriber with the lowest
   * current score above 0; a tie goes to the one registered first.
   *
   * @param count how many payloads, from 1 to `LIMITS.maxBatchSize` (default 1)
   * @throws {InvalidArgumentError} for a bad `count`; nothing is sent
   * @throws {NoSubscribersError} when no subscriber is registered; nothing is sent
   * @throws {WrongTypeError} when a key holds the wrong Redis type; nothing moved
   */
  publishMin(count = 1): Promise<PublishReport> {
    return this.#publish("min", count);
  }

  /**
   * Puts back in the queue the payloads held for custom handlers by publishes
   * that started more than `olderThanMs` ago and never finished (their
   * process died between the two requests). Safe to run at any time, twice,
   * or alongside publishes: a publish that finishes later finds its payloads
   * gone and applies none of their writes. Run it from a cron with a margin
   * well above your handlers' run time. Times are the publishers' clocks.
   *
   * @param olderThanMs minimum age in milliseconds (default 60,000)
   * @throws {InvalidArgumentError} when `olderThanMs` is negative or not finite
   * @throws {WrongTypeError} when the queue key is of another type
   *
   * @example
   * ```ts
   * import { Publisher } from "@redis-director/redis-director";
   * import { Redis } from "@upstash/redis";
   *
   * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" });
   * const { payloads } = await pub.recover(5 * 60_000);
   * console.log(`${payloads} payloads back in the queue`);
   * ```
   */
  async recover(olderThanMs = 60_000): Promise<RecoverReport> {
    requireFinite("olderThanMs", olderThanMs);
    if (olderThanMs < 0) {
      throw new InvalidArgumentError("olderThanMs", "expected 0 or more milliseconds");
    }
    const batch = 1000;
    const cutoff = String(Date.now() - olderThanMs);
    let calls = 0, payloads = 0, requests = 0;
    for (let recovered = batch; recovered === batch;) {
      const record = callRecordKey(this.queueKey, crypto.randomUUID());
      const result = await runScripts(this.redis, [{
        script: RECOVER,
        keys: [this.queueKey, inflightKey(this.queueKey), inflightIndexKey(this.queueKey), record],
        args: [this.queueType, cutoff, String(batch), String(RECORD_TTL_MS)],
      }]);
      const reply = scriptReply(RECOVER.name, result.results[0]);
      recovered = Number(reply[1]);
      calls += recovered;
      payloads += Number(reply[2]);
      requests += result.requests;
    }
    return { calls, payloads, requests };
  }

  #register(subscriber: Subscriber): this {
    const handler = subscriber.handler;
    if (handler === undefined) {
      throw new InvalidArgumentError(
        "handler",
        `subscriber "${subscriber.name}" has no handler; give one to publish to it`,
      );
    }
    if (isGenericHandler(handler)) {
      if (this.#ownKeys().includes(handler.destination)) {
        throw new InvalidArgumentError(
          "handler key",
          `subscriber "${subscriber.name}" would write to "${handler.destination}", ` +
            `which the publisher uses itself; choose another key`,
        );
      }
    }
    if (
      !this.#subscribers.has(subscriber.name) &&
      this.#subscribers.size >= LIMITS.maxSubscribers
    ) {
      throw new InvalidArgumentError(
        "subscribers",
        `a publisher holds at most ${LIMITS.maxSubscribers} subscribers`,
      );
    }
    this.#subscribers.set(subscriber.name, subscriber);
    return this;
  }

  #requireSubscribers(): readonly Subscriber[] {
    const subscribers = this.subscribers;
    if (subscribers.length === 0) throw new NoSubscribersError();
    return subscribers;
  }

  async #extreme(better: (a: number, b: number) => boolean): Promise<Subscriber | undefined> {
    const scores = Object.values(await this.scores());
    let best = -1;
    scores.forEach((score, i) => {
      if (score > 0 && (best === -1 || better(score, scores[best]))) best = i;
    });
    return best === -1 ? undefined : this.subscribers[best];
  }

  /** The keys the publisher itself writes: queue, scores, in-flight hash and index. */
  #ownKeys(): string[] {
    return [
      this.queueKey,
      this.scoreKey,
      inflightKey(this.queueKey),
      inflightIndexKey(this.queueKey),
    ];
  }

  async #status(subscribers: readonly Subscriber[]): Promise<DirectorStatus> {
    const keys = this.#ownKeys();
    const args = [String(subscribers.length)];
    for (const subscriber of subscribers) {
      const handler = subscriber.handler!;
      args.push(
        subscriber.name,
        isGenericHandler(handler) ? String(keys.push(handler.destination)) : "0",
      );
    }
    const { results } = await runScripts(this.redis, [{ script: STATUS, keys, args }]);
    const reply = scriptReply(STATUS.name, results[0]);
    const byName: Record<string, SubscriberStatus> = {};
    subscribers.forEach((subscriber, i) => {
      const [score, size] = [reply[2 + 2 * i], reply[3 + 2 * i]];
      const handler = subscriber.handler!;
      byName[subscriber.name] = {
        score: score === "" ? subscriber.defaultScore : Number(score),
        stored: score !== "",
        destination: isGenericHandler(handler) ? handler.destination : null,
        destinationSize: size === "" ? null : Number(size),
      };
    });
    return { queueSize: Number(reply[0]), inFlight: Number(reply[1]), subscribers: byName };
  }

  #layout(): Layout {
    const subscribers = this.#requireSubscribers();
    const destinations: string[] = [];
    // Each destination key once: its type and its index in the script's KEYS.
    const known = new Map<string, { kind: string; index: number }>();
    const args: string[] = [];
    for (const subscriber of subscribers) {
      const handler = subscriber.handler!;
      let kind = "custom", index = 0;
      if (isGenericHandler(handler)) {
        kind = handler.destinationType;
        let entry = known.get(handler.destination);
        if (entry === undefined) {
          entry = { kind, index: 5 + destinations.push(handler.destination) };
          known.set(handler.destination, entry);
        } else if (entry.kind !== kind) {
          throw new InvalidArgumentError(
            "handler key",
            `"${handler.destination}" is used as a set and as a list by different subscribers`,
          );
        }
        index = entry.index;
      }
      args.push(
        subscriber.name,
        String(subscriber.defaultScore),
        String(subscriber.minScore),
        String(subscriber.maxScore),
        String(subscriber.scoreChange),
        kind,
        String(index),
      );
    }
    return { subscribers, destinations, args };
  }

  async #publish(mode: PublishMode, count: number): Promise<PublishReport> {
    const requested = requireBatchSize("count", count);
    const layout = this.#layout();
    const id = crypto.randomUUID();
    const calls: ScriptCall[] = [];
    for (let first = 0; first < requested; first += this.#perScript) {
      const callId = `${id}:${calls.length}`;
      const seeds = seedsFrom(this.#random);
      calls.push({
        script: PUBLISH,
        keys: [
          this.queueKey,
          this.scoreKey,
          callRecordKey(this.queueKey, callId),
          inflightKey(this.queueKey),
          inflightIndexKey(this.queueKey),
          ...layout.destinations,
        ],
        args: [
          mode,
          this.queueType,
          String(Math.min(this.#perScript, requested - first)),
          String(seeds[0]),
          String(seeds[1]),
          callId,
          String(Date.now()),
          String(RECORD_TTL_MS),
          String(layout.subscribers.length),
          ...layout.args,
        ],
      });
    }
    const placed = await runScriptsSettled(this.redis, calls);
    const tally = new Tally(layout.subscribers);
    const heldByCall: { callId: string; held: HeldPayload[] }[] = [];
    let failure: unknown;
    calls.forEach((_, i) => {
      try {
        if (placed.errors[i] !== undefined) throw placed.errors[i];
        const held = tally.addCall(scriptReply(PUBLISH.name, placed.results[i]));
        if (held.length > 0) heldByCall.push({ callId: `${id}:${i}`, held });
      } catch (error) {
        failure ??= error;
      }
    });
    let requests = placed.requests;
    if (heldByCall.length > 0) {
      const released = await this.#release(heldByCall, tally);
      requests += released.requests;
      failure ??= released.failure;
    }
    const report = tally.report({ id, mode, requested, requests });
    if (failure === undefined) return report;
    // Nothing moved: the plain error says it all. Otherwise the report goes with it.
    throw report.popped === 0 ? failure : new PublishError(report, failure);
  }

  /**
   * Runs the custom handlers, then the release request. The payloads of a
   * release call that fails stay in flight for `recover()`, and the first
   * failure is returned.
   */
  async #release(
    heldByCall: readonly { callId: string; held: HeldPayload[] }[],
    tally: Tally,
  ): Promise<{ requests: number; failure?: unknown }> {
    const handled = [];
    for (const { callId, held } of heldByCall) {
      handled.push(await runHandlers(this.queueKey, this.queueType, callId, held));
    }
    const released = await runScriptsSettled(this.redis, handled.map((h) => h.call));
    let failure: unknown;
    handled.forEach((h, i) => {
      try {
        if (released.errors[i] !== undefined) throw released.errors[i];
        const outcome = readRelease(h, scriptReply(RELEASE.name, released.results[i]));
        tally.release(h.held, outcome.returned, [...h.failures, ...outcome.failures]);
      } catch (error) {
        tally.keepInFlight(h.held);
        failure ??= error;
      }
    });
    return { requests: released.requests, failure };
  }
}

/** Adds up the replies of a publish's script calls into its report. */
class Tally {
  readonly #subscribers: readonly Subscriber[];
  readonly #delivered: number[];
  readonly #scores: ScoreChange[] = [];
  #popped = 0;
  #returned = 0;
  #inFlight = 0;
  #stoppedBy: StopReason = "count";
  readonly #failures: PublishFailure[] = [];

  constructor(subscribers: readonly Subscriber[]) {
    this.#subscribers = subscribers;
    this.#delivered = subscribers.map(() => 0);
  }

  /** Adds one publish call's reply; returns the payloads it held for custom handlers. */
  addCall(reply: readonly string[]): HeldPayload[] {
    const stoppedBy = reply[1] as StopReason;
    if (this.#stoppedBy === "count") this.#stoppedBy = stoppedBy;
    this.#popped += Number(reply[2]);
    reply[3].split(",").forEach((figures, i) => {
      const [delivered, before, after] = figures.split(" ");
      this.#delivered[i] += Number(delivered);
      this.#scores[i] = { before: this.#scores[i]?.before ?? Number(before), after: Number(after) };
    });
    const held: HeldPayload[] = [];
    for (let at = 5; at + 1 < reply.length; at += 2) {
      const index = Number(reply[at]) - 1;
      held.push({ subscriber: this.#subscribers[index], index, payload: reply[at + 1].slice(1) });
    }
    return held;
  }

  /** Applies a release: `returned` (indexes into `held`) went back to the queue. */
  release(
    held: readonly HeldPayload[],
    returned: readonly number[],
    failures: PublishFailure[],
  ): void {
    for (const index of returned) this.#delivered[held[index].index]--;
    this.#returned += returned.length;
    this.#failures.push(...failures);
  }

  /** Keeps `held` in flight: its release failed, so `recover()` will put it back. */
  keepInFlight(held: readonly HeldPayload[]): void {
    for (const { index } of held) this.#delivered[index]--;
    this.#inFlight += held.length;
  }

  report(base: Pick<PublishReport, "id" | "mode" | "requested" | "requests">): PublishReport {
    const names = this.#subscribers.map((s) => s.name);
    return {
      ...base,
      popped: this.#popped,
      delivered: this.#popped - this.#returned - this.#inFlight,
      returned: this.#returned,
      inFlight: this.#inFlight,
      bySubscriber: Object.fromEntries(names.map((name, i) => [name, this.#delivered[i]])),
      scores: Object.fromEntries(names.map((name, i) => [name, this.#scores[i]])),
      stoppedBy: this.#stoppedBy,
      failures: this.#failures,
    };
  }
}
