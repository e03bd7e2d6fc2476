/**
 * The benchmark's environment: a throw-away redis-server with the local Upstash-compatible
 * endpoint in front of it (or the endpoint named by `UPSTASH_REDIS_REST_URL` /
 * `UPSTASH_REDIS_REST_TOKEN`), a direct RESP connection for the floor and for filling queues,
 * and a request counter that never trusts the code under test.
 *
 * @module
 */

import { Redis } from "@upstash/redis";
import { createClient } from "redis";
import { type RedisServer, startRedisServer } from "../redis_server.ts";
import { startUpstashLocal, type UpstashLocal } from "../upstash_local.ts";

/** A direct node-redis (RESP) connection. */
export type RespClient = ReturnType<typeof createClient>;

/** HTTP requests and Redis commands served so far, as counted outside the code under test. */
export interface Counts {
  /** HTTP requests to the REST endpoint. */
  requests: number;
  /** Redis commands run for them (`NaN` when the endpoint does not say). */
  commands: number;
}

/** Everything a benchmark case needs. */
export interface BenchEnv {
  /** `"local"`: our redis-server + endpoint; `"remote"`: the endpoint from the environment. */
  readonly mode: "local" | "remote";
  /** The REST endpoint's base URL and token. */
  readonly rest: { readonly url: string; readonly token: string };
  /** A direct RESP connection to a local redis-server (the floor; in local mode also the data). */
  readonly resp: RespClient;
  /** An `@upstash/redis` client as an application would create it. */
  newRedis(options?: { autoPipelining?: boolean; deserialize?: boolean }): Redis;
  /** The requests and commands served so far. */
  counts(): Counts;
  /** Sets the injected round-trip latency (local mode only). */
  setLatency(ms: number): void;
  /** Adds `payloads` to the set at `key`, outside the measurement. */
  fillSet(key: string, payloads: readonly string[]): Promise<void>;
  /** Stores `score` for each of `members` in the sorted set at `key`, outside the measurement. */
  seedScores(key: string, members: readonly string[], score: number): Promise<void>;
  /** Deletes every key under `prefix` (local mode: the whole throw-away database). */
  clear(prefix: string): Promise<void>;
  /** Starts recording top-level command durations in the local redis-server's SLOWLOG. */
  startServerClock(): Promise<void>;
  /**
   * The summed SLOWLOG durations (ms) of the top-level commands since `startServerClock`,
   * excluding the clock's own commands. Commands run inside scripts are not counted twice.
   * `NaN` in remote mode.
   */
  serverMs(): Promise<number>;
  /** The redis-server version behind the floor. */
  redisVersion(): Promise<string>;
  /** Stops everything this environment started. */
  close(): Promise<void>;
}

/** Starts the environment: local unless both Upstash variables are set. */
export async function startEnv(): Promise<BenchEnv> {
  const server = await startRedisServer();
  const resp = createClient({ url: server.url });
  resp.on("error", () => {});
  await resp.connect();
  const url = Deno.env.get("UPSTASH_REDIS_REST_URL");
  const token = Deno.env.get("UPSTASH_REDIS_REST_TOKEN");
  if (url && token) return remoteEnv(server, resp, { url: url.replace(/\/+$/, ""), token });
  const endpoint = await startUpstashLocal({ redisUrl: server.url, quiet: true });
  return localEnv(server, resp, endpoint);
}

function clientFactory(rest: { url: string; token: string }): BenchEnv["newRedis"] {
  return (options = {}) =>
    new Redis({
      url: rest.url,
      token: rest.token,
      enableTelemetry: false,
      enableAutoPipelining: options.autoPipelining ?? true,
      automaticDeserialization: options.deserialize ?? true,
    });
}

function localEnv(server: RedisServer, resp: RespClient, endpoint: UpstashLocal): BenchEnv {
  const rest = { url: endpoint.url, token: endpoint.token };
  return {
    mode: "local",
    rest,
    resp,
    newRedis: clientFactory(rest),
    counts: () => {
      const stats = endpoint.stats();
      return { requests: stats.requests, commands: stats.commands };
    },
    setLatency: (ms) => endpoint.setLatency(ms),
    fillSet: (key, payloads) => respFill(resp, key, payloads),
    seedScores: async (key, members, score) =>
      void await resp.sendCommand(["ZADD", key, ...members.flatMap((m) => [String(score), m])]),
    clear: async () => void await resp.sendCommand(["FLUSHDB"]),
    startServerClock: () => startSlowlog(resp),
    serverMs: () => slowlogMs(resp),
    redisVersion: () => respVersion(resp),
    close: async () => {
      await endpoint.close();
      resp.destroy();
      await server.stop();
    },
  };
}

function remoteEnv(
  server: RedisServer,
  resp: RespClient,
  rest: { url: string; token: string },
): BenchEnv {
  const counter = countFetches(rest.url);
  const newRedis = clientFactory(rest);
  const admin = newRedis({ autoPipelining: false });
  return {
    mode: "remote",
    rest,
    resp,
    newRedis,
    counts: () => ({ requests: counter.count(), commands: Number.NaN }),
    setLatency: (ms) => {
      if (ms !== 0) throw new Error("latency injection needs the local endpoint");
    },
    fillSet: async (key, payloads) => {
      await respFill(resp, key, payloads);
      await restFill(admin, key, payloads);
    },
    seedScores: async (key, members, score) => {
      await resp.sendCommand(["ZADD", key, ...members.flatMap((m) => [String(score), m])]);
      const [first, ...rest] = members.map((member) => ({ score, member }));
      await admin.zadd(key, first, ...rest);
    },
    clear: async (prefix) => {
      await resp.sendCommand(["FLUSHDB"]);
      await unlinkPrefix(admin, prefix);
    },
    startServerClock: () => Promise.resolve(),
    serverMs: () => Promise.resolve(Number.NaN),
    redisVersion: () => respVersion(resp),
    close: async () => {
      counter.restore();
      resp.destroy();
      await server.stop();
    },
  };
}

/** Counts the `fetch` calls to `baseUrl` made by this process (the remote mode's counter). */
function countFetches(baseUrl: string): { count(): number; restore(): void } {
  const original = globalThis.fetch;
  let count = 0;
  globalThis.fetch = (input, init) => {
    const target = input instanceof Request ? input.url : String(input);
    if (target.startsWith(baseUrl)) count++;
    return original(input, init);
  };
  return { count: () => count, restore: () => void (globalThis.fetch = original) };
}

async function respFill(resp: RespClient, key: string, payloads: readonly string[]): Promise<void> {
  const sends = [];
  for (let first = 0; first < payloads.length; first += 1000) {
    sends.push(resp.sendCommand(["SADD", key, ...payloads.slice(first, first + 1000)]));
  }
  await Promise.all(sends);
}

async function restFill(redis: Redis, key: string, payloads: readonly string[]): Promise<void> {
  for (let first = 0; first < payloads.length; first += 10_000) {
    const pipeline = redis.pipeline();
    const chunk = payloads.slice(first, first + 10_000);
    for (let at = 0; at < chunk.length; at += 1000) {
      const [head, ...rest] = chunk.slice(at, at + 1000);
      pipeline.sadd(key, head, ...rest);
    }
    await pipeline.exec();
  }
}

async function unlinkPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, { match: `${prefix}*`, count: 1000 });
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = String(next);
  } while (cursor !== "0");
}

const CLOCK_COMMANDS = new Set(["slowlog", "config", "info", "flushdb"]);

/** Logs every top-level command (threshold 0) from now on, in an emptied SLOWLOG. */
async function startSlowlog(resp: RespClient): Promise<void> {
  await resp.sendCommand([
    "CONFIG",
    "SET",
    "slowlog-log-slower-than",
    "0",
    "slowlog-max-len",
    "100000",
  ]);
  await resp.sendCommand(["SLOWLOG", "RESET"]);
}

/**
 * Sums the durations in the SLOWLOG, in ms, of top-level commands only: commands run inside a
 * script are logged too, from the client address "?:0", and are part of the script's time.
 */
async function slowlogMs(resp: RespClient): Promise<number> {
  const entries = await resp.sendCommand(["SLOWLOG", "GET", "-1"]) as unknown as unknown[][];
  let micros = 0;
  for (const entry of entries) {
    const name = String((entry[3] as unknown[])[0]).toLowerCase();
    const nested = String(entry[4]) === "?:0";
    if (!nested && !CLOCK_COMMANDS.has(name)) micros += Number(entry[2]);
  }
  return micros / 1000;
}

async function respVersion(resp: RespClient): Promise<string> {
  const info = String(await resp.sendCommand(["INFO", "server"]));
  return /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
}
