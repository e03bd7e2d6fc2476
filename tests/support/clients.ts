/**
 * Client wrappers that imitate what the network does to a real client:
 * a request whose response was lost and is sent again, and a process that
 * dies after its first request. They wrap a real `@upstash/redis` client, so
 * every command still reaches the real Redis.
 *
 * @module
 */

import type { Redis } from "@upstash/redis";
import type { DirectorRedis, ScriptPipeline } from "../../mod.ts";

type Queued = { method: "evalsha" | "scriptLoad"; args: unknown[] };

/** A pipeline that records its commands, so a wrapper can send them as it likes. */
class RecordingPipeline implements ScriptPipeline {
  readonly queued: Queued[] = [];
  constructor(
    readonly send: (queued: Queued[]) => Promise<{ result?: unknown; error?: string }[]>,
  ) {}
  evalsha(sha1: string, keys: string[], args: string[]): this {
    this.queued.push({ method: "evalsha", args: [sha1, keys, args] });
    return this;
  }
  scriptLoad(script: string): this {
    this.queued.push({ method: "scriptLoad", args: [script] });
    return this;
  }
  exec(_options: { keepErrors: true }): Promise<{ result?: unknown; error?: string }[]> {
    return this.send(this.queued);
  }
}

function replay(redis: Redis, queued: Queued[]): Promise<{ result?: unknown; error?: string }[]> {
  const pipeline = redis.pipeline();
  for (const { method, args } of queued) {
    if (method === "evalsha") pipeline.evalsha(...(args as [string, string[], string[]]));
    else pipeline.scriptLoad(args[0] as string);
  }
  return pipeline.exec({ keepErrors: true });
}

/**
 * A client whose every request is executed twice, the caller getting only the
 * second answer: what `@upstash/redis` does when a response is lost and it
 * retries. `sent` counts HTTP requests.
 */
export function retryingClient(redis: Redis): DirectorRedis & { sent: number } {
  const client = {
    sent: 0,
    pipeline: () =>
      new RecordingPipeline(async (queued) => {
        client.sent += 2;
        await replay(redis, queued);
        return replay(redis, queued);
      }),
  };
  return client;
}

/**
 * A client that lets `allowed` requests through and fails every later one
 * before sending it: a process that died between its requests.
 */
export function dyingClient(redis: Redis, allowed: number): DirectorRedis {
  let left = allowed;
  return {
    pipeline: () =>
      new RecordingPipeline((queued) => {
        if (left-- <= 0) return Promise.reject(new Error("process died"));
        return replay(redis, queued);
      }),
  };
}

/**
 * A client that sends its first `allowed` requests and answers every later
 * one, without sending it, with an error item per command: Redis refusing
 * each call (as it would a script error).
 */
export function refusingClient(redis: Redis, allowed: number): DirectorRedis {
  let left = allowed;
  return {
    pipeline: () =>
      new RecordingPipeline((queued) => {
        if (left-- > 0) return replay(redis, queued);
        return Promise.resolve(queued.map(() => ({ error: "ERR refused by the test" })));
      }),
  };
}
