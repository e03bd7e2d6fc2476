/**
 * The Deno cron example (`examples/deno_cron.ts`): its job publishes as configured, and the
 * script registers its cron when run with `--unstable-cron`. Deno-only by nature: `Deno.cron`
 * does not exist in Bun, so under `bun test` the whole file is skipped.
 *
 * @module
 */

import assert from "node:assert/strict";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import type { Redis } from "@upstash/redis";
import { createPublishJob, CRON_NAME } from "../examples/deno_cron.ts";
import { cleanup, newRedis, restEnv, uniquePrefix } from "./support/redis.ts";
import { runChild, startChild } from "./support/spawn.ts";

// Skipped under Bun: Deno.cron and `deno run --unstable-cron` are Deno-only; Bun has no
// equivalent API. (describe.skip, so that bun test reports the tests as skipped.)
const describeOnDeno = process.versions.bun ? describe.skip : describe;

describeOnDeno("Deno cron example", () => {
  const prefix = uniquePrefix("deno-cron");
  const keys = { queue: `${prefix}:queue`, scores: `${prefix}:scores` };
  let redis: Redis;
  let env: Record<string, string>;

  before(() => {
    redis = newRedis();
    const { url, token } = restEnv();
    env = {
      UPSTASH_REDIS_REST_URL: url,
      UPSTASH_REDIS_REST_TOKEN: token,
      UPSTASH_DISABLE_TELEMETRY: "1",
      DIRECTOR_QUEUE_KEY: keys.queue,
      DIRECTOR_QUEUE_TYPE: "list",
      DIRECTOR_SCORE_KEY: keys.scores,
      DIRECTOR_SUBSCRIBERS: `one=${prefix}:one,two=${prefix}:two`,
      DIRECTOR_PUBLISH_COUNT: "7",
    };
  });

  after(async () => {
    if (redis) await cleanup(redis, prefix);
  });

  it("the job publishes DIRECTOR_PUBLISH_COUNT payloads per run until the queue is empty", async () => {
    await redis.rpush(keys.queue, ...Array.from({ length: 10 }, (_, i) => `job-${i}`));
    await redis.zadd(keys.scores, { score: 0, member: "two" });
    const job = createPublishJob(env);

    const first = await job();
    assert.equal(first.requested, 7);
    assert.deepEqual(first.bySubscriber, { one: 7, two: 0 }, "score 0 gets nothing");
    assert.equal(await redis.llen(keys.queue), 3);
    assert.deepEqual(
      (await redis.smembers(`${prefix}:one`)).map(String).sort(),
      Array.from({ length: 7 }, (_, i) => `job-${i}`).sort(),
      "a list queue is first in, first out",
    );

    const second = await job();
    assert.equal(second.popped, 3);
    assert.equal(second.stoppedBy, "empty-queue");
    assert.equal(await redis.scard(`${prefix}:one`), 10);
  });

  it("the job factory refuses a missing Upstash variable or a malformed DIRECTOR_SUBSCRIBERS", () => {
    assert.throws(() => createPublishJob({}), /UPSTASH_REDIS_REST_URL is not set/);
    assert.throws(
      () => createPublishJob({ ...env, DIRECTOR_SUBSCRIBERS: "no-destination" }),
      /expected "name=destination"/,
    );
  });

  it("`deno run --unstable-cron` registers the cron and keeps running", async () => {
    const child = startChild(process.execPath, [
      "run",
      "--unstable-cron",
      "--allow-net",
      "--allow-env",
      "examples/deno_cron.ts",
    ], env);
    try {
      await child.waitFor(new RegExp(`registered cron "${CRON_NAME}" \\(\\* \\* \\* \\* \\*\\)`));
      // Still alive a moment later: the registered cron keeps the process running.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(child.process.exitCode, null, child.stderr());
    } finally {
      await child.stop();
    }
  });

  it("without --unstable-cron the script exits 1 and names the flag", async () => {
    const { code, stderr } = await runChild(process.execPath, [
      "run",
      "--allow-net",
      "--allow-env",
      "examples/deno_cron.ts",
    ], env);
    assert.equal(code, 1);
    assert.match(stderr, /run with --unstable-cron/);
  });
});
