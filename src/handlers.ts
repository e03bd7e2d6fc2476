/**
 * Handlers decide what delivering a payload to a subscriber means. The two
 * generic handlers run entirely inside the publish script (one request per
 * publish); a custom handler is any function that queues writes on the
 * {@linkcode HandlerBatch} it is given.
 *
 * @module
 */

import { InvalidArgumentError } from "./errors.ts";
import type { Subscriber } from "./subscriber.ts";
import { describe, requireFinite, requireKey } from "./validate.ts";

/** A value a batch command writes: strings as they are, finite numbers as `String(n)`. *
 * @example
 * ```ts
 * import { HandlerBatch } from "@redis-director/redis-director";
 *
 * new HandlerBatch().rpush("log", "text", 42); // 42 is written as "42"
 * ```
 */
export type BatchValue = string | number;

/** One recorded command: its name, the key it writes (if any) and its other arguments. *
 * @example
 * ```ts
 * import { HandlerBatch } from "@redis-director/redis-director";
 *
 * const tx = new HandlerBatch().sadd("inbox", "payload");
 * console.log(tx.commands); // [{ name: "sadd", key: "inbox", args: ["payload"] }]
 * ```
 */
export interface BatchCommand {
  /** The command, lower case, e.g. `"sadd"`. */
  readonly name: string;
  /** The key it writes; `undefined` for `publish`, whose first argument is a channel. */
  readonly key: string | undefined;
  /** The arguments after the key (or all of them for `publish`), as strings. */
  readonly args: readonly string[];
}

/**
 * The command batch (`tx`) a custom handler receives. Its methods have the
 * names and argument order of `@upstash/redis` and return the batch, so calls
 * chain. Nothing is sent while the handler runs: after every handler of a
 * publish has run, all their commands go to Redis in one request, applied
 * atomically and exactly once together with the payloads' release from
 * flight. If the handler throws, its commands are dropped and its payload
 * goes back to the queue.
 *
 * @example A custom handler
 * ```ts
 * import type { HandlerBatch, Subscriber } from "@redis-director/redis-director";
 *
 * function auditHandler(subscriber: Subscriber, payload: string, tx: HandlerBatch): void {
 *   tx.lpush(`${subscriber.name}:inbox`, payload).incrby("audit:delivered", 1);
 * }
 * ```
 */
export class HandlerBatch {
  readonly #commands: BatchCommand[] = [];

  /** The commands recorded so far, in order. */
  get commands(): readonly BatchCommand[] {
    return this.#commands;
  }

  /** `SADD key ...members`: adds members to a set. */
  sadd(key: string, member: BatchValue, ...members: BatchValue[]): this {
    return this.#record("sadd", key, [member, ...members]);
  }

  /** `LPUSH key ...elements`: pushes to the head of a list. */
  lpush(key: string, ...elements: BatchValue[]): this {
    return this.#record("lpush", key, elements, 1);
  }

  /** `RPUSH key ...elements`: pushes to the tail of a list. */
  rpush(key: string, ...elements: BatchValue[]): this {
    return this.#record("rpush", key, elements, 1);
  }

  /** `ZADD key score member ...`: adds or updates sorted-set members. */
  zadd(
    key: string,
    scoreMember: { score: number; member: BatchValue },
    ...scoreMembers: { score: number; member: BatchValue }[]
  ): this {
    const args = [scoreMember, ...scoreMembers].flatMap((entry) => {
      if (typeof entry !== "object" || entry === null) {
        throw new InvalidArgumentError(
          "zadd",
          `expected { score, member }, got ${describe(entry)}`,
        );
      }
      return [requireFinite("zadd score", entry.score), entry.member];
    });
    return this.#record("zadd", key, args);
  }

  /** `ZINCRBY key increment member`: adds to a sorted-set member's score. */
  zincrby(key: string, increment: number, member: BatchValue): this {
    return this.#record("zincrby", key, [requireFinite("zincrby increment", increment), member]);
  }

  /** `HSET key field value ...`: sets hash fields from an object. */
  hset(key: string, fields: Record<string, BatchValue>): this {
    return this.#record("hset", key, fieldsToArgs("hset", fields));
  }

  /** `HINCRBY key field increment`: adds to a hash field. */
  hincrby(key: string, field: string, increment: number): this {
    return this.#record("hincrby", key, [field, requireWhole("hincrby increment", increment)]);
  }

  /** `SET key value [EX seconds | PX milliseconds] [NX | XX]`: sets a string. */
  set(
    key: string,
    value: BatchValue,
    options?: { ex?: number; px?: number; nx?: boolean; xx?: boolean },
  ): this {
    const args: BatchValue[] = [value];
    if (options?.ex !== undefined) args.push("EX", requireWhole("set ex", options.ex));
    if (options?.px !== undefined) args.push("PX", requireWhole("set px", options.px));
    if (options?.nx) args.push("NX");
    if (options?.xx) args.push("XX");
    return this.#record("set", key, args);
  }

  /** `INCR key`: adds 1 to an integer string. */
  incr(key: string): this {
    return this.#record("incr", key, []);
  }

  /** `INCRBY key increment`: adds to an integer string. */
  incrby(key: string, increment: number): this {
    return this.#record("incrby", key, [requireWhole("incrby increment", increment)]);
  }

  /** `XADD key id field value ...`: appends a stream entry (`id` is usually `"*"`). */
  xadd(key: string, id: string, entries: Record<string, BatchValue>): this {
    return this.#record("xadd", key, [id, ...fieldsToArgs("xadd", entries)]);
  }

  /** `PUBLISH channel message`: publishes a Pub/Sub message. */
  publish(channel: string, message: BatchValue): this {
    if (typeof channel !== "string") {
      throw new InvalidArgumentError(
        "publish channel",
        `expected a string, got ${describe(channel)}`,
      );
    }
    this.#commands.push({ name: "publish", key: undefined, args: [channel, toValue(message)] });
    return this;
  }

  #record(name: string, key: string, values: BatchValue[], minValues = 0): this {
    requireKey(`${name} key`, key);
    if (values.length < minValues) {
      throw new InvalidArgumentError(name, `expected at least ${minValues} value(s)`);
    }
    this.#commands.push({ name, key, args: values.map(toValue) });
    return this;
  }
}

function toValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new InvalidArgumentError(
    "batch value",
    `values are strings or finite numbers, got ${
      describe(value)
    }; serialize objects with JSON.stringify`,
  );
}

function requireWhole(argument: string, value: unknown): number {
  if (!Number.isSafeInteger(value)) {
    throw new InvalidArgumentError(argument, `expected a whole number, got ${describe(value)}`);
  }
  return value as number;
}

function fieldsToArgs(name: string, fields: Record<string, BatchValue>): BatchValue[] {
  if (typeof fields !== "object" || fields === null || Object.keys(fields).length === 0) {
    throw new InvalidArgumentError(name, "expected an object with at least one field");
  }
  return Object.entries(fields).flat();
}

/**
 * A custom handler: called once per payload placed on its subscriber, with
 * the subscriber, the payload (always the stored string) and the batch to
 * queue writes on. It may be async; handlers of one publish run one after
 * another, in placement order.
 *
 * @example
 * ```ts
 * import type { Handler } from "@redis-director/redis-director";
 *
 * const toInbox: Handler = (subscriber, payload, tx) => {
 *   tx.lpush(`${subscriber.name}:inbox`, payload);
 * };
 * ```
 */
export type Handler = (
  subscriber: Subscriber,
  payload: string,
  tx: HandlerBatch,
) => void | Promise<void>;

/**
 * A generic handler: adds the payload to one key (a set or a list) and
 * changes the receiver's score by `addScore`. It runs inside the publish
 * script; called directly, it queues the same write on `tx`.
 *
 * @example
 * ```ts
 * import { genericSetHandler } from "@redis-director/redis-director";
 *
 * const handler = genericSetHandler("route_1:queue", -1);
 * console.log(handler.destinationType, handler.destination, handler.addScore); // "set" "route_1:queue" -1
 * ```
 */
export interface GenericHandler extends Handler {
  /** The destination's Redis type: `"set"` (SADD) or `"list"` (LPUSH). */
  readonly destinationType: "set" | "list";
  /** The destination key. */
  readonly destination: string;
  /** The score change per delivered payload (clamped to the subscriber's bounds). */
  readonly addScore: number;
}

/**
 * Whether `handler` is a generic handler (made by `genericSetHandler` or
 * `genericListHandler`), which the publish script runs itself.
 */
export function isGenericHandler(handler: Handler): handler is GenericHandler {
  const candidate = handler as Partial<GenericHandler>;
  return (candidate.destinationType === "set" || candidate.destinationType === "list") &&
    typeof candidate.destination === "string" && typeof candidate.addScore === "number";
}

function genericHandler(type: "set" | "list", key: string, addScore: number): GenericHandler {
  const destination = requireKey("handler key", key);
  requireFinite("addScore", addScore);
  const handler: Handler = (_subscriber, payload, tx) => {
    if (type === "set") tx.sadd(destination, payload);
    else tx.lpush(destination, payload);
  };
  return Object.assign(handler, { destinationType: type, destination, addScore });
}

/**
 * A handler that adds each payload to the set at `key` (SADD) and adds
 * `addScore` (default -1) to the receiver's score, clamped to its bounds.
 *
 * @param key the destination set's key
 * @param addScore the score change per delivered payload (default -1)
 * @throws {InvalidArgumentError} when `key` is empty or `addScore` is not finite
 *
 * @example
 * ```ts
 * import { genericSetHandler, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "app:scores", queueKey: "app:queue" });
 * pub.addSubscriber("route_1", { handler: genericSetHandler("route_1:queue", -1) });
 * ```
 */
export function genericSetHandler(key: string, addScore = -1): GenericHandler {
  return genericHandler("set", key, addScore);
}

/**
 * A handler that pushes each payload to the head of the list at `key`
 * (LPUSH) and adds `addScore` (default -1) to the receiver's score, clamped
 * to its bounds. Consumers read the oldest with RPOP.
 *
 * @param key the destination list's key
 * @param addScore the score change per delivered payload (default -1)
 * @throws {InvalidArgumentError} when `key` is empty or `addScore` is not finite
 *
 * @example
 * ```ts
 * import { genericListHandler, Publisher } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pub = new Publisher({ redis: Redis.fromEnv(), scoreKey: "app:scores", queueKey: "app:queue" });
 * pub.addSubscriber("worker_a", { handler: genericListHandler("worker_a:inbox", -1) });
 * ```
 */
export function genericListHandler(key: string, addScore = -1): GenericHandler {
  return genericHandler("list", key, addScore);
}
