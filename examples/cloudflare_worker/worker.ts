/**
 * A Cloudflare Worker that publishes on a Cron Trigger.
 *
 * - `scheduled`: every run of the cron in `wrangler.toml` publishes
 *   `DIRECTOR_PUBLISH_COUNT` payloads (default 100) in ONE subrequest to
 *   Upstash, and logs the report.
 * - `fetch`: `GET /status` with `Authorization: Bearer <STATUS_SECRET>`
 *   answers `status()` as JSON; 401 without it, 404 for other paths.
 *
 * The `DIRECTOR_*` variables are described in `../director_config.ts`.
 * This example imports the library by its path in this repository; in your
 * project import `@redis-director/redis-director` (`npx jsr add
 * @redis-director/redis-director`).
 *
 * @module
 */

import { Redis } from "@upstash/redis/cloudflare";
import type { PublishReport } from "../../mod.ts";
import { bearerMatches, json, publisherFromEnv } from "../director_config.ts";

/** The Worker's bindings: vars from `wrangler.toml`, secrets from `wrangler secret put`. */
export interface Env {
  /** The Upstash REST URL (a var or a secret). */
  UPSTASH_REDIS_REST_URL: string;
  /** The Upstash REST token (a secret). */
  UPSTASH_REDIS_REST_TOKEN: string;
  /** The bearer token `GET /status` requires (a secret); without it the route answers 401. */
  STATUS_SECRET?: string;
  /** The other `DIRECTOR_*` variables. */
  [name: string]: string | undefined;
}

/** The part of Cloudflare's `ScheduledController` this Worker reads. */
export interface ScheduledController {
  /** The cron expression that fired. */
  readonly cron: string;
  /** When the run was scheduled, in ms since the epoch. */
  readonly scheduledTime: number;
}

/** The part of Cloudflare's `ExecutionContext` this Worker uses. */
export interface ExecutionContext {
  /** Keeps the Worker alive until `promise` settles. */
  waitUntil(promise: Promise<unknown>): void;
}

/** Publishes once, as the environment describes; logs and returns the report. */
export async function publishOnce(env: Env): Promise<PublishReport> {
  const { publisher, config } = publisherFromEnv(Redis.fromEnv(env), env);
  const report = await publisher.publish(config.publishCount);
  console.log(
    `redis-director: published ${report.delivered}/${report.requested} ` +
      `(${report.stoppedBy}) in ${report.requests} request(s)`,
    JSON.stringify(report.bySubscriber),
  );
  return report;
}

/** The Worker: a `scheduled` handler that publishes and a `fetch` handler that reports status. */
const worker = {
  /** Runs on each Cron Trigger. */
  scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): void {
    ctx.waitUntil(publishOnce(env));
  },

  /** `GET /status` (with the bearer secret): the director's status as JSON. */
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "GET" || url.pathname !== "/status") {
      return json({ error: "not found" }, 404);
    }
    if (!(await bearerMatches(request, env.STATUS_SECRET ?? ""))) {
      return json({ error: "unauthorized" }, 401);
    }
    const { publisher } = publisherFromEnv(Redis.fromEnv(env), env);
    return json(await publisher.status());
  },
};

export default worker;
