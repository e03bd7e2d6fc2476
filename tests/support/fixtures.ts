/**
 * Fixtures for the library's tests: a client, a key space of one's own that
 * is cleaned up afterwards, and readers of what Redis holds.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Redis } from "@upstash/redis";
import { ALL_SCRIPTS } from "../../src/scripts.ts";
import { cleanup, newRedis, uniquePrefix } from "./redis.ts";

/** A test's own key space on the suite's endpoint. */
export interface Space {
  /** A client with the library's default settings (auto-pipelining and JSON parsing on). */
  redis: Redis;
  /** A client that returns raw strings, for reading back exactly what Redis holds. */
  raw: Redis;
  /** `key("queue")` is `${prefix}:queue`. */
  key: (name: string) => string;
  /** Deletes every key of the space. */
  dispose: () => Promise<void>;
}

/** A fresh key space for `area`. */
export function space(area: string): Space {
  const redis = newRedis();
  const raw = newRedis({ automaticDeserialization: false, autoPipelining: false });
  const prefix = uniquePrefix(area);
  return {
    redis,
    raw,
    key: (name) => `${prefix}:${name}`,
    dispose: async () => {
      await cleanup(raw, prefix);
    },
  };
}

/** Every member of a set, or element of a list, at `key` as raw strings (sorted). */
export async function contents(raw: Redis, key: string): Promise<string[]> {
  const type = await raw.type(key);
  if (type === "set") return (await raw.smembers(key)).map(String).sort();
  if (type === "list") return (await raw.lrange(key, 0, -1)).map(String).sort();
  if (type === "hash") return (await raw.hvals(key)).map(String).sort();
  return [];
}

/** `n` distinct payloads: `${prefix}0` … `${prefix}${n - 1}`. */
export function range(n: number, prefix = "p"): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

/** A random source that returns `values` in order, then fails loudly. */
export function sequence(values: number[]): () => number {
  let next = 0;
  return () => {
    if (next >= values.length) throw new Error("sequence exhausted");
    return values[next++];
  };
}

/**
 * Loads every library script into Redis, so that request counts measured
 * afterwards do not depend on which test ran first (a fresh Redis answers a
 * script's first EVALSHA with NOSCRIPT, which costs one more request).
 */
export async function loadScripts(redis: Redis): Promise<void> {
  for (const script of ALL_SCRIPTS) {
    assert.equal(await redis.scriptLoad(script.source), await script.sha1());
  }
}
