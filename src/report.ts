/**
 * What the publisher's calls return: the publish report, the status
 * snapshot and the recovery report.
 *
 * @module
 */

/** How a publish chooses the receiver of each payload. *
 * @example
 * ```ts
 * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" })
 *   .addSubscriber("a", { handler: genericSetHandler("a:queue") });
 * const report = await pub.publishMax(10);
 * console.log(report.mode); // "max"
 * ```
 */
export type PublishMode = "random" | "max" | "min";

/**
 * Why a publish placed fewer payloads than asked, or `"count"` when it placed
 * them all.
 *
 * @example
 * ```ts
 * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" })
 *   .addSubscriber("a", { handler: genericSetHandler("a:queue") });
 * const { stoppedBy } = await pub.publish(1000);
 * if (stoppedBy === "no-eligible-subscriber") console.log("every subscriber is full");
 * ```
 */
export type StopReason = "count" | "empty-queue" | "no-eligible-subscriber";

/** A payload whose custom handler failed, or whose writes failed in Redis. *
 * @example
 * ```ts
 * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" })
 *   .addSubscriber("a", { handler: genericSetHandler("a:queue") });
 * for (const failure of (await pub.publish(100)).failures) {
 *   console.error(failure.subscriber, failure.error, failure.returned ? "(back in the queue)" : "");
 * }
 * ```
 */
export interface PublishFailure {
  /** The subscriber the payload was placed on. */
  readonly subscriber: string;
  /** The payload. */
  readonly payload: string;
  /** What went wrong: the handler's error message or Redis's. */
  readonly error: string;
  /**
   * `true` when the payload went back to the queue (the handler threw, or a
   * key it writes has the wrong type: none of its writes were applied);
   * `false` when it counts as delivered but one of its commands failed in
   * Redis (the others were applied).
   */
  readonly returned: boolean;
}

/** A subscriber's score when a publish started and when it ended. *
 * @example
 * ```ts
 * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" })
 *   .addSubscriber("a", { handler: genericSetHandler("a:queue") });
 * const { before, after } = (await pub.publish(10)).scores.a;
 * ```
 */
export interface ScoreChange {
  /** The score before the first payload was placed. */
  readonly before: number;
  /** The score after the last payload was placed. */
  readonly after: number;
}

/**
 * What one `publish`, `publishMax` or `publishMin` did. It matches what Redis
 * holds afterwards: `popped === delivered + returned + inFlight`.
 *
 * @example
 * ```ts
 * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" })
 *   .addSubscriber("a", { handler: genericSetHandler("a:queue") });
 * const report = await pub.publish(100);
 * console.log(report.popped, report.delivered, report.returned, report.bySubscriber, report.requests);
 * ```
 */
export interface PublishReport {
  /** The publish id (also the prefix of its call records in Redis). */
  readonly id: string;
  /** How receivers were chosen. */
  readonly mode: PublishMode;
  /** The number of payloads asked for. */
  readonly requested: number;
  /** Payloads taken from the queue. */
  readonly popped: number;
  /** Payloads that reached their subscriber. */
  readonly delivered: number;
  /** Payloads put back in the queue (a custom handler threw, or `recover()` took them back). */
  readonly returned: number;
  /**
   * Payloads still held for custom handlers: 0 unless the second request
   * failed (then `publish` throws a `PublishError` carrying this report, and
   * `recover()` puts them back).
   */
  readonly inFlight: number;
  /** Payloads delivered per subscriber name (every registered subscriber is listed). */
  readonly bySubscriber: Readonly<Record<string, number>>;
  /** Each subscriber's score before and after the publish. */
  readonly scores: Readonly<Record<string, ScoreChange>>;
  /** Why the publish stopped. */
  readonly stoppedBy: StopReason;
  /** Payloads whose custom handler or writes failed. */
  readonly failures: readonly PublishFailure[];
  /** HTTP requests the publish sent: 1 with generic handlers only, at most 2 with custom ones (one more, once, if Redis had lost the scripts). */
  readonly requests: number;
}

/** A subscriber's part of a {@linkcode DirectorStatus}. *
 * @example
 * ```ts
 * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" })
 *   .addSubscriber("a", { handler: genericSetHandler("a:queue") });
 * const { score, destinationSize } = (await pub.status()).subscribers.a;
 * ```
 */
export interface SubscriberStatus {
  /** The current score (the default when none is stored). */
  readonly score: number;
  /** Whether a score is stored in Redis (otherwise `score` is the default). */
  readonly stored: boolean;
  /** The generic handler's destination key, or `null` for a custom handler. */
  readonly destination: string | null;
  /** The number of elements at the destination key, or `null` for a custom handler. */
  readonly destinationSize: number | null;
}

/** A consistent snapshot of a publisher's queue and subscribers, read in one request. *
 * @example
 * ```ts
 * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" })
 *   .addSubscriber("a", { handler: genericSetHandler("a:queue") });
 * const { queueSize, inFlight } = await pub.status();
 * ```
 */
export interface DirectorStatus {
  /** Payloads waiting in the queue. */
  readonly queueSize: number;
  /** Payloads held for custom handlers between a publish's two requests. */
  readonly inFlight: number;
  /** Per subscriber name: its score and its destination's size. */
  readonly subscribers: Readonly<Record<string, SubscriberStatus>>;
}

/** What `recover()` put back. *
 * @example
 * ```ts
 * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" })
 *   .addSubscriber("a", { handler: genericSetHandler("a:queue") });
 * const { calls, payloads } = await pub.recover(5 * 60_000);
 * ```
 */
export interface RecoverReport {
  /** Publish calls whose in-flight payloads were put back. */
  readonly calls: number;
  /** Payloads put back in the queue. */
  readonly payloads: number;
  /** HTTP requests sent. */
  readonly requests: number;
}
