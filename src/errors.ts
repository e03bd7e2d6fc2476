/**
 * The error classes redis-director throws. Each has a stable `name`, so callers
 * can branch on `error.name` or `instanceof` across bundles.
 *
 * @module
 */

import type { PublishReport } from "./report.ts";

/**
 * Base class of every error thrown by redis-director.
 *
 * @example Catch any redis-director error
 * ```ts
 * import { DirectorError, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" });
 * try {
 *   await pub.publish(10); // no subscriber registered yet
 * } catch (error) {
 *   if (error instanceof DirectorError) console.error(error.name, error.message);
 * }
 * ```
 */
export class DirectorError extends Error {
  /** Creates the error; `options.cause` keeps the underlying error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DirectorError";
  }
}

/**
 * A publish failed after it had moved payloads: one of its script calls, or
 * its second request (custom handlers), failed. `report` says exactly what
 * moved, so nothing is unaccounted for; payloads it counts as `inFlight` go
 * back to the queue with `recover()`. A publish that fails before moving
 * anything throws the underlying error instead.
 *
 * @example
 * ```ts
 * import { genericSetHandler, PublishError, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "s", queueKey: "q" })
 *   .addSubscriber("a", { handler: genericSetHandler("a:queue") });
 * try {
 *   await pub.publish(100);
 * } catch (error) {
 *   if (error instanceof PublishError) console.error(error.report.delivered, error.report.inFlight);
 * }
 * ```
 */
export class PublishError extends DirectorError {
  /** What the publish moved before it failed. */
  readonly report: PublishReport;

  /** Creates the error for `report`; `cause` is the failure. */
  constructor(report: PublishReport, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const hint = report.inFlight > 0
      ? `; ${report.inFlight} payloads are in flight: run recover() to put them back in the queue`
      : "";
    super(
      `Publish ${report.id} stopped after moving ${report.popped} payloads: ${reason}${hint}`,
      { cause },
    );
    this.name = "PublishError";
    this.report = report;
  }
}

/**
 * An option or argument is invalid. Thrown before any request is sent, so
 * nothing was read or written.
 *
 * @example
 * ```ts
 * import { InvalidArgumentError, Subscriber } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * try {
 *   new Subscriber({ redis: Redis.fromEnv(), scoreKey: "s", scoreMember: "a", minScore: 5, maxScore: 1 });
 * } catch (error) {
 *   if (error instanceof InvalidArgumentError) console.error(error.argument, error.message);
 * }
 * ```
 */
export class InvalidArgumentError extends DirectorError {
  /** The name of the offending option or argument, e.g. `"minScore"`. */
  readonly argument: string;

  /** Creates the error for `argument` with a message that says what to pass instead. */
  constructor(argument: string, message: string) {
    super(`Invalid ${argument}: ${message}`);
    this.name = "InvalidArgumentError";
    this.argument = argument;
  }
}

/**
 * `publish()` (or another call that needs subscribers) was called on a
 * publisher with no subscriber registered. Thrown before any request.
 *
 * @example
 * ```ts
 * import { NoSubscribersError } from "@redis-director/redis-director";
 *
 * const error = new NoSubscribersError();
 * console.log(error.name); // "NoSubscribersError"
 * ```
 */
export class NoSubscribersError extends DirectorError {
  /** Creates the error. */
  constructor() {
    super("No subscriber is registered: call addSubscriber() or addSubscribers() first");
    this.name = "NoSubscribersError";
  }
}

/**
 * A key holds a Redis type other than the one redis-director needs (the
 * queue, the score key or a destination). Raised by the script before it pops
 * or writes anything, so nothing moved.
 *
 * @example
 * ```ts
 * import { WrongTypeError } from "@redis-director/redis-director";
 *
 * const error = new WrongTypeError("route_1:queue", "string", "set");
 * console.log(error.key, error.actual, error.expected);
 * ```
 */
export class WrongTypeError extends DirectorError {
  /** The key that holds the wrong type. */
  readonly key: string;
  /** The Redis type the key holds (as `TYPE` names it). */
  readonly actual: string;
  /** The Redis type redis-director needs there. */
  readonly expected: string;

  /** Creates the error for `key`, which holds `actual` where `expected` is needed. */
  constructor(key: string, actual: string, expected: string) {
    super(
      `Key "${key}" holds a ${actual} but redis-director needs a ${expected} there: ` +
        `delete or rename the key, or use another key name`,
    );
    this.name = "WrongTypeError";
    this.key = key;
    this.actual = actual;
    this.expected = expected;
  }
}

/**
 * Redis (or the REST endpoint) answered a request with an error that
 * redis-director cannot handle itself. The message carries Redis's own text.
 *
 * @example
 * ```ts
 * import { RedisRequestError } from "@redis-director/redis-director";
 *
 * const error = new RedisRequestError("ERR something failed");
 * console.log(error.name, error.message);
 * ```
 */
export class RedisRequestError extends DirectorError {
  /** Creates the error; `cause` keeps the client's original error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(`Redis request failed: ${message}`, options);
    this.name = "RedisRequestError";
  }
}
