/**
 * The narrow part of `@upstash/redis` that redis-director uses, and the one
 * way it talks to Redis: a pipeline of `EVALSHA` calls sent as one HTTP
 * request, with a `SCRIPT LOAD` retry when Redis has lost the scripts.
 *
 * @module
 */

import { RedisRequestError, WrongTypeError } from "./errors.ts";
import { ALL_SCRIPTS, type LuaScript } from "./scripts.ts";

/**
 * The pipeline methods redis-director calls. `@upstash/redis` pipelines
 * (from `redis.pipeline()`) satisfy it.
 *
 * @example
 * ```ts
 * import type { ScriptPipeline } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const pipeline: ScriptPipeline = Redis.fromEnv().pipeline();
 * ```
 */
export interface ScriptPipeline {
  /** Queues `EVALSHA sha1 numkeys ...keys ...args`. */
  evalsha(sha1: string, keys: string[], args: string[]): unknown;
  /** Queues `SCRIPT LOAD script`. */
  scriptLoad(script: string): unknown;
  /** Sends the queued commands as one request; one `{ result }` or `{ error }` per command. */
  exec(options: { keepErrors: true }): Promise<{ result?: unknown; error?: string }[]>;
}

/**
 * The Redis client redis-director needs: anything with a `pipeline()` method
 * like `@upstash/redis`'s `Redis` (from `@upstash/redis`,
 * `@upstash/redis/cloudflare` or `@upstash/redis/fastly`). Pass your own
 * client instance; redis-director never creates one.
 *
 * @example
 * ```ts
 * import type { DirectorRedis } from "@redis-director/redis-director";
 * import { Redis } from "@upstash/redis";
 *
 * const redis: DirectorRedis = Redis.fromEnv();
 * ```
 */
export interface DirectorRedis {
  /** Starts a command pipeline (one HTTP request when executed). */
  pipeline(): ScriptPipeline;
}

/** One script call: the script, its keys (all of them) and its arguments. */
export interface ScriptCall {
  /** The Lua script to run. */
  script: LuaScript;
  /** Every key the script touches, in the order the script expects. */
  keys: string[];
  /** The script's arguments, as strings. */
  args: string[];
}

/** What one batch of script calls returned, and how many HTTP requests it took. */
export interface ScriptResults {
  /** One raw script result per call, in order. */
  results: unknown[];
  /** HTTP requests sent (1, or 2 when Redis had lost the scripts). */
  requests: number;
}

/** Like {@linkcode ScriptResults}, with the error of each call that failed. */
export interface SettledScriptResults extends ScriptResults {
  /** Per call: the error Redis answered it with, or `undefined` when it succeeded. */
  errors: (RedisRequestError | undefined)[];
}

const NOSCRIPT = /noscript/i;

/**
 * Runs `calls` in order as one pipelined request of `EVALSHA`s. Calls that
 * Redis answers with NOSCRIPT (its script cache was flushed or restarted) are
 * sent again in a second request that first loads every library script. Every
 * script of this library is safe to run again (each call carries an id), so a
 * resend never applies anything twice.
 *
 * @throws {RedisRequestError} when Redis answers a call with another error, or
 * the request fails.
 */
export async function runScripts(
  redis: DirectorRedis,
  calls: readonly ScriptCall[],
): Promise<ScriptResults> {
  const settled = await runScriptsSettled(redis, calls);
  const failed = settled.errors.find((error) => error !== undefined);
  if (failed !== undefined) throw failed;
  return settled;
}

/**
 * Like {@linkcode runScripts}, but never throws: each call that failed, by
 * Redis's answer or because its request failed, has its error in `errors`,
 * and the results of the others stay available. `requests` counts every
 * request sent, failed ones included.
 */
export async function runScriptsSettled(
  redis: DirectorRedis,
  calls: readonly ScriptCall[],
): Promise<SettledScriptResults> {
  const results: unknown[] = new Array(calls.length);
  const errors: (RedisRequestError | undefined)[] = new Array(calls.length);
  let pending = calls.map((_, index) => index);
  let requests = 0;
  for (let attempt = 0; pending.length > 0; attempt++) {
    const pipeline = redis.pipeline();
    // A resend first loads every script of the library (Redis lost its
    // cache), so the calls that follow do not meet NOSCRIPT again.
    const loads = attempt === 0 ? [] : ALL_SCRIPTS;
    for (const script of loads) pipeline.scriptLoad(script.source);
    for (const index of pending) {
      const call = calls[index];
      pipeline.evalsha(await call.script.sha1(), call.keys, call.args);
    }
    requests++;
    let replies;
    try {
      replies = await execPipeline(pipeline);
    } catch (error) {
      // The request failed: every call still pending failed with it.
      for (const index of pending) errors[index] = error as RedisRequestError;
      break;
    }
    const missing: number[] = [];
    pending.forEach((index, position) => {
      const reply = replies[loads.length + position];
      if (reply?.error === undefined) {
        results[index] = reply?.result;
      } else if (NOSCRIPT.test(reply.error) && attempt === 0) {
        missing.push(index);
      } else {
        errors[index] = new RedisRequestError(`${calls[index].script.name}: ${reply.error}`);
      }
    });
    pending = missing;
  }
  return { results, errors, requests };
}

async function execPipeline(
  pipeline: ScriptPipeline,
): Promise<{ result?: unknown; error?: string }[]> {
  try {
    return await pipeline.exec({ keepErrors: true });
  } catch (error) {
    throw requestFailure(error);
  }
}

/** What `@upstash/redis` appends to a failed request's message: the whole request body. */
const REQUEST_ECHO = /, command was: [\s\S]*$/;

/**
 * A failed request as a `RedisRequestError` whose message and cause never
 * carry the request body (payloads can be large or private).
 */
function requestFailure(error: unknown): RedisRequestError {
  const message = (error instanceof Error ? error.message : String(error)).replace(
    REQUEST_ECHO,
    "",
  );
  const cause = new Error(message);
  cause.name = error instanceof Error ? error.name : "Error";
  return new RedisRequestError(message, { cause });
}

/**
 * A script's reply as an array of strings (the client may have parsed some
 * items as numbers; they are turned back into text).
 *
 * @throws {WrongTypeError} when the script refused a key of the wrong type.
 * @throws {RedisRequestError} when the reply is not an array.
 */
export function scriptReply(name: string, result: unknown): string[] {
  if (!Array.isArray(result)) {
    throw new RedisRequestError(`${name}: unexpected reply ${JSON.stringify(result)}`);
  }
  const reply = result.map((item) => (item === null ? "" : String(item)));
  if (reply[0] === "wrongtype") throw new WrongTypeError(reply[1], reply[2], reply[3]);
  return reply;
}
