/**
 * The configuration shared by the runtime examples (`bun_server.ts`,
 * `deno_cron.ts`, `cloudflare_worker/worker.ts`): a {@linkcode Publisher}
 * built from plain environment variables, and a constant-time bearer check.
 *
 * It uses web APIs only, so it runs on Deno, Bun, Node and Cloudflare
 * Workers alike. Each runtime example creates the Redis client its own way
 * and passes it in.
 *
 * | Variable | Default | Meaning |
 * |---|---|---|
 * | `UPSTASH_REDIS_REST_URL`, `UPSTASH_REDIS_REST_TOKEN` | (required) | the Upstash REST endpoint |
 * | `DIRECTOR_QUEUE_KEY` | `director:queue` | the queue of payloads |
 * | `DIRECTOR_QUEUE_TYPE` | `set` | `set` or `list` |
 * | `DIRECTOR_SCORE_KEY` | `director:scores` | the sorted set of scores |
 * | `DIRECTOR_SUBSCRIBERS` | `route_1=route_1:queue,route_2=route_2:queue` | `name=destination set` pairs |
 * | `DIRECTOR_PUBLISH_COUNT` | `100` | payloads per scheduled publish |
 *
 * The examples import the library by its path in this repository
 * (`../mod.ts`); in your project import `@redis-director/redis-director`.
 *
 * @module
 */

import { type DirectorRedis, genericSetHandler, LIMITS, Publisher } from "../mod.ts";

/** Environment variables, as `process.env`, `Deno.env.toObject()` or a Worker's `env` give them. */
export type DirectorEnv = Readonly<Record<string, string | undefined>>;

/** The defaults of the `DIRECTOR_*` variables. */
export const DEFAULTS = {
  queueKey: "director:queue",
  queueType: "set",
  scoreKey: "director:scores",
  subscribers: "route_1=route_1:queue,route_2=route_2:queue",
  publishCount: 100,
} as const;

/** A subscriber read from `DIRECTOR_SUBSCRIBERS`: its name and its destination set. */
export interface SubscriberConfig {
  /** The subscriber's name (its member in the score sorted set). */
  name: string;
  /** The set its payloads are added to. */
  destination: string;
}

/** The director settings read from the environment. */
export interface DirectorConfig {
  /** The queue key. */
  queueKey: string;
  /** The queue's Redis type. */
  queueType: "set" | "list";
  /** The score sorted set's key. */
  scoreKey: string;
  /** The subscribers, in order. */
  subscribers: SubscriberConfig[];
  /** Payloads per scheduled publish. */
  publishCount: number;
}

/**
 * Reads the `DIRECTOR_*` variables, applying the defaults.
 *
 * @throws {Error} when a variable is malformed (a subscriber without `=`, a
 * queue type other than `set`/`list`, a count that is not a whole number in
 * range)
 */
export function readConfig(env: DirectorEnv): DirectorConfig {
  const queueType = env.DIRECTOR_QUEUE_TYPE || DEFAULTS.queueType;
  if (queueType !== "set" && queueType !== "list") {
    throw new Error(`DIRECTOR_QUEUE_TYPE must be "set" or "list", got "${queueType}"`);
  }
  const subscribers = (env.DIRECTOR_SUBSCRIBERS || DEFAULTS.subscribers)
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      const at = entry.indexOf("=");
      if (at <= 0 || at === entry.length - 1) {
        throw new Error(`DIRECTOR_SUBSCRIBERS: expected "name=destination", got "${entry}"`);
      }
      return { name: entry.slice(0, at).trim(), destination: entry.slice(at + 1).trim() };
    });
  return {
    queueKey: env.DIRECTOR_QUEUE_KEY || DEFAULTS.queueKey,
    queueType,
    scoreKey: env.DIRECTOR_SCORE_KEY || DEFAULTS.scoreKey,
    subscribers,
    publishCount: parseCount(env.DIRECTOR_PUBLISH_COUNT, DEFAULTS.publishCount),
  };
}

/**
 * Parses a payload count: `fallback` when `value` is undefined or empty,
 * otherwise a whole number from 1 to `LIMITS.maxBatchSize`.
 *
 * @throws {Error} when `value` is not such a number
 */
export function parseCount(value: string | null | undefined, fallback: number): number {
  if (value === undefined || value === null || value === "") return fallback;
  const count = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(count) || count < 1 || count > LIMITS.maxBatchSize) {
    throw new Error(`expected a whole number from 1 to ${LIMITS.maxBatchSize}, got "${value}"`);
  }
  return count;
}

/**
 * Builds the {@linkcode Publisher} the environment describes, on `redis`.
 * Nothing is sent to Redis.
 *
 * @example
 * ```ts
 * import { Redis } from "@upstash/redis";
 * import { publisherFromEnv } from "./director_config.ts";
 *
 * const env = { DIRECTOR_SUBSCRIBERS: "a=a:inbox,b=b:inbox" };
 * const { publisher, config } = publisherFromEnv(Redis.fromEnv(), env);
 * await publisher.publish(config.publishCount);
 * ```
 */
export function publisherFromEnv(
  redis: DirectorRedis,
  env: DirectorEnv,
): { publisher: Publisher; config: DirectorConfig } {
  const config = readConfig(env);
  const publisher = new Publisher({
    redis,
    queueKey: config.queueKey,
    queue: config.queueType,
    scoreKey: config.scoreKey,
  });
  for (const { name, destination } of config.subscribers) {
    publisher.addSubscriber(name, { handler: genericSetHandler(destination, -1) });
  }
  return { publisher, config };
}

/**
 * Returns the value of variable `name`.
 *
 * @throws {Error} when it is missing or empty
 */
export function requireEnv(env: DirectorEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set`);
  return value;
}

const encoder = new TextEncoder();

/**
 * Whether `request` carries `Authorization: Bearer <secret>`. Both sides are
 * hashed with SHA-256 and the digests compared in full, so the time taken
 * does not depend on how much of the secret matched, nor on its length.
 * An empty `secret` never matches.
 */
export async function bearerMatches(request: Request, secret: string): Promise<boolean> {
  const header = request.headers.get("authorization") ?? "";
  const given = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(secret)),
  ]);
  const x = new Uint8Array(a), y = new Uint8Array(b);
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= x[i] ^ y[i];
  return difference === 0 && secret !== "" && header.startsWith("Bearer ");
}

/** A JSON response with `status`. */
export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}
