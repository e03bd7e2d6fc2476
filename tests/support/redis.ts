/**
 * Shared fixtures for the test suite. They run under Deno and Bun alike.
 *
 * The suite talks to Redis only through an Upstash REST endpoint named by
 * `UPSTASH_REDIS_REST_URL` and `UPSTASH_REDIS_REST_TOKEN`. `deno task test` (or
 * `deno task test:bun`) sets both, starting a local endpoint in front of a throw-away
 * redis-server when they are not already set.
 *
 * @module
 */

import process from "node:process";
import { Redis } from "@upstash/redis";
import type { EndpointStats } from "../../tools/upstash_local.ts";

/** Counters served by the local endpoint at `GET /__stats`. */
export type { EndpointStats } from "../../tools/upstash_local.ts";
/**
 * Returns the REST endpoint the suite runs against.
 *
 * @throws {Error} if either environment variable is missing.
 */
export function restEnv(): { url: string; token: string } {
  const url = process.env.UPSTASH_REDIS_REST_URL;
  const token = process.env.UPSTASH_REDIS_REST_TOKEN;
  if (!url || !token) {
    throw new Error(
      "UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN are not set. Run the suite with " +
        "`deno task test` (or `deno task test:bun`): it starts a local endpoint for you.",
    );
  }
  return { url: url.replace(/\/+$/, ""), token };
}

/** Options for {@linkcode newRedis}. */
export interface NewRedisOptions {
  /** Batch commands issued in the same tick into one `/pipeline` request. @default true */
  autoPipelining?: boolean;
  /** JSON-parse results, as `@upstash/redis` does by default. @default true */
  automaticDeserialization?: boolean;
}

/** Creates an `@upstash/redis` client for the suite's endpoint, telemetry off. */
export function newRedis(options: NewRedisOptions = {}): Redis {
  const { url, token } = restEnv();
  return new Redis({
    url,
    token,
    enableTelemetry: false,
    enableAutoPipelining: options.autoPipelining ?? true,
    automaticDeserialization: options.automaticDeserialization ?? true,
  });
}

/**
 * Returns a key prefix unique to this call, e.g. `test:scores:9f86d081e8a1`. Build keys as
 * `${prefix}:name` and pass the prefix to {@linkcode cleanup} afterwards.
 */
export function uniquePrefix(area: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `test:${area}:${hex}`;
}

/** Deletes every key starting with `prefix` (SCAN + UNLINK); returns how many were deleted. */
export async function cleanup(redis: Redis, prefix: string): Promise<number> {
  const match = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
  let deleted = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, { match, count: 1000 });
    if (keys.length > 0) deleted += await redis.unlink(...keys);
    cursor = String(next);
  } while (cursor !== "0");
  return deleted;
}

/**
 * Reads the local endpoint's counters from `GET /__stats`. Returns null when the endpoint does
 * not have that route (a real Upstash database answers 404).
 */
export async function readStats(): Promise<EndpointStats | null> {
  const { url, token } = restEnv();
  const response = await fetch(`${url}/__stats`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = await response.text();
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`GET /__stats answered ${response.status}: ${body}`);
  return JSON.parse(body) as EndpointStats;
}

/**
 * Runs `fn` and reports how many HTTP requests and Redis commands the endpoint served meanwhile.
 * Exact because tests run one at a time.
 *
 * @throws {Error} if the endpoint is not the local one (no `/__stats`).
 */
export async function countRequests<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; requests: number; commands: number }> {
  const before = await requireStats();
  const value = await fn();
  const after = await requireStats();
  return {
    value,
    requests: after.requests - before.requests,
    commands: after.commands - before.commands,
  };
}

async function requireStats(): Promise<EndpointStats> {
  const stats = await readStats();
  if (stats === null) {
    throw new Error("countRequests() needs the local endpoint (tools/upstash_local.ts)");
  }
  return stats;
}
