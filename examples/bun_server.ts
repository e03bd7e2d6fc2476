/**
 * A Bun HTTP endpoint that an external scheduler calls to publish: a QStash
 * schedule, a Vercel cron job, or a system cron with `curl`.
 *
 * - `POST /publish[?count=N]` with `Authorization: Bearer <PUBLISH_SECRET>`
 *   publishes N payloads (default `DIRECTOR_PUBLISH_COUNT`, 100) in one
 *   Redis request and answers the publish report as JSON.
 * - `GET /status` with the same header answers `status()` as JSON.
 * - Anything without the right secret answers 401.
 *
 * ```sh
 * UPSTASH_REDIS_REST_URL=... UPSTASH_REDIS_REST_TOKEN=... PUBLISH_SECRET=... \
 *   PORT=3000 bun run examples/bun_server.ts
 * curl -X POST -H "Authorization: Bearer $PUBLISH_SECRET" "http://localhost:3000/publish?count=50"
 * ```
 *
 * The other variables (`DIRECTOR_QUEUE_KEY`, `DIRECTOR_SCORE_KEY`,
 * `DIRECTOR_SUBSCRIBERS`, ...) are described in `director_config.ts`.
 * `HOSTNAME` defaults to `0.0.0.0`, `PORT` to 3000 (0 picks a free port).
 *
 * @module
 */

import process from "node:process";
import { Redis } from "@upstash/redis";
import {
  bearerMatches,
  type DirectorEnv,
  json,
  parseCount,
  publisherFromEnv,
  requireEnv,
} from "./director_config.ts";

/** The slice of Bun's API this example uses (declared so `deno check` needs no Bun types). */
declare const Bun: {
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request) => Promise<Response>;
  }): { url: URL };
};

/**
 * Builds the request handler from the environment: the Redis client, the
 * publisher and the secret are created once, here.
 *
 * @throws {Error} when `UPSTASH_REDIS_REST_URL`, `UPSTASH_REDIS_REST_TOKEN`
 * or `PUBLISH_SECRET` is missing, or a `DIRECTOR_*` variable is malformed
 */
export function createHandler(env: DirectorEnv): (request: Request) => Promise<Response> {
  const secret = requireEnv(env, "PUBLISH_SECRET");
  const redis = new Redis({
    url: requireEnv(env, "UPSTASH_REDIS_REST_URL"),
    token: requireEnv(env, "UPSTASH_REDIS_REST_TOKEN"),
  });
  const { publisher, config } = publisherFromEnv(redis, env);

  return async (request) => {
    const url = new URL(request.url);
    const route = `${request.method} ${url.pathname}`;
    if (route !== "POST /publish" && route !== "GET /status") {
      return json({ error: "not found" }, 404);
    }
    if (!(await bearerMatches(request, secret))) return json({ error: "unauthorized" }, 401);
    try {
      if (route === "GET /status") return json(await publisher.status());
      let count: number;
      try {
        count = parseCount(url.searchParams.get("count"), config.publishCount);
      } catch (error) {
        return json({ error: `count: ${(error as Error).message}` }, 400);
      }
      return json(await publisher.publish(count));
    } catch (error) {
      // Behind the secret, so the caller (your scheduler's log) may see why.
      console.error(`${route} failed:`, error);
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      return json({ error: `${name}: ${message}` }, 500);
    }
  };
}

if (import.meta.main) {
  const server = Bun.serve({
    port: Number(process.env.PORT ?? 3000),
    hostname: process.env.HOSTNAME ?? "0.0.0.0",
    fetch: createHandler(process.env),
  });
  console.log(`redis-director listening on ${server.url}`);
}
