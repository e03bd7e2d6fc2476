/**
 * Publishes every minute with `Deno.cron`, on Deno Deploy or any `deno`
 * process.
 *
 * ```sh
 * UPSTASH_REDIS_REST_URL=... UPSTASH_REDIS_REST_TOKEN=... \
 *   deno run --unstable-cron --allow-net --allow-env examples/deno_cron.ts
 * ```
 *
 * - `--unstable-cron` is needed outside Deno Deploy; Deno Deploy picks up
 *   crons registered at the top level of the entry module when it deploys.
 * - Deno never overlaps runs of the same cron: a run that takes longer than
 *   a minute delays the next one instead of running beside it.
 * - A run that throws is logged and retried by Deno (`backoffSchedule`); a
 *   retried publish is a new publish of the payloads still queued, so nothing
 *   is delivered twice.
 *
 * The `DIRECTOR_*` variables are described in `director_config.ts`;
 * `DIRECTOR_CRON` overrides the schedule (default `* * * * *`).
 *
 * @module
 */

import { Redis } from "@upstash/redis";
import type { PublishReport } from "../mod.ts";
import { type DirectorEnv, publisherFromEnv, requireEnv } from "./director_config.ts";

/** The cron's name, unique per Deno Deploy project. */
export const CRON_NAME = "redis-director publish";

/**
 * Builds the cron job from the environment: the Redis client and the
 * publisher are created once; each call publishes `DIRECTOR_PUBLISH_COUNT`
 * payloads (one request), logs one line and returns the report.
 *
 * @throws {Error} when `UPSTASH_REDIS_REST_URL` or `UPSTASH_REDIS_REST_TOKEN`
 * is missing, or a `DIRECTOR_*` variable is malformed
 */
export function createPublishJob(env: DirectorEnv): () => Promise<PublishReport> {
  const redis = new Redis({
    url: requireEnv(env, "UPSTASH_REDIS_REST_URL"),
    token: requireEnv(env, "UPSTASH_REDIS_REST_TOKEN"),
  });
  const { publisher, config } = publisherFromEnv(redis, env);
  return async () => {
    const report = await publisher.publish(config.publishCount);
    console.log(
      `[${CRON_NAME}] ${report.delivered}/${report.requested} delivered ` +
        `(${report.stoppedBy}, ${report.requests} request(s))`,
      JSON.stringify(report.bySubscriber),
    );
    return report;
  };
}

if (import.meta.main) {
  if (typeof Deno.cron !== "function") {
    console.error("Deno.cron is unavailable: run with --unstable-cron (not needed on Deno Deploy)");
    Deno.exit(1);
  }
  const schedule = Deno.env.get("DIRECTOR_CRON") || "* * * * *";
  const job = createPublishJob(Deno.env.toObject());
  Deno.cron(CRON_NAME, schedule, async () => {
    await job();
  });
  console.log(`registered cron "${CRON_NAME}" (${schedule})`);
}
