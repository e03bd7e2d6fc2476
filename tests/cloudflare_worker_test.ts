/**
 * The Cloudflare Worker example (`examples/cloudflare_worker/worker.ts`), bundled with esbuild as
 * wrangler would and run in Miniflare 4 (workerd) against the suite's Upstash endpoint: a cron
 * run publishes in ONE subrequest and moves payloads as the scores say; `GET /status` reports it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { fetch as mfFetch, Miniflare, type Request as MfRequest } from "miniflare";
import type { Redis } from "@upstash/redis";
import type { DirectorStatus } from "../mod.ts";
import { cleanup, newRedis, readStats, restEnv, uniquePrefix } from "./support/redis.ts";

const WORKER = fileURLToPath(new URL("../examples/cloudflare_worker/worker.ts", import.meta.url));
const CRON = "*/1 * * * *";

/** The part of the worker's Fetcher used here (miniflare's types need @cloudflare/workers-types). */
interface ScheduledFetcher {
  scheduled(options: { cron: string }): Promise<{ outcome: string }>;
}

/** Bundles the worker for workerd: ESM, the `workerd`/`worker`/`browser` export conditions. */
async function bundleWorker(): Promise<string> {
  const result = await build({
    entryPoints: [WORKER],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser"],
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

describe("Cloudflare Worker example in Miniflare", () => {
  const prefix = uniquePrefix("cf-worker");
  const keys = {
    queue: `${prefix}:queue`,
    scores: `${prefix}:scores`,
    heavy: `${prefix}:heavy`,
    light: `${prefix}:light`,
    off: `${prefix}:off`,
  };
  const secret = `status-${crypto.randomUUID()}`;
  const payloads = Array.from({ length: 40 }, (_, i) => `job-${i}`);
  const outbound: string[] = [];
  let redis: Redis;
  let mf: Miniflare;

  before(async () => {
    redis = newRedis();
    const { url, token } = restEnv();
    mf = new Miniflare({
      modules: true,
      script: await bundleWorker(),
      compatibilityDate: "2025-01-01",
      cf: false,
      bindings: {
        UPSTASH_REDIS_REST_URL: url,
        UPSTASH_REDIS_REST_TOKEN: token,
        UPSTASH_DISABLE_TELEMETRY: "1",
        STATUS_SECRET: secret,
        DIRECTOR_QUEUE_KEY: keys.queue,
        DIRECTOR_SCORE_KEY: keys.scores,
        DIRECTOR_SUBSCRIBERS: `heavy=${keys.heavy},light=${keys.light},off=${keys.off}`,
        DIRECTOR_PUBLISH_COUNT: "25",
      },
      // Every subrequest the worker makes passes here, so the test can count them.
      outboundService: (request: MfRequest) => {
        outbound.push(`${request.method} ${new URL(request.url).pathname}`);
        return mfFetch(request);
      },
    });
    await mf.ready;
    // Warm-up on the empty queue: a Redis that has not seen the library's scripts yet answers
    // NOSCRIPT, and the library spends one more request, once, to load them. The measured runs
    // below then show the steady state.
    const warmUp = await (await mf.getWorker() as unknown as ScheduledFetcher).scheduled({
      cron: CRON,
    });
    assert.equal(warmUp.outcome, "ok");
    const status = await mf.dispatchFetch("http://worker.test/status", {
      headers: { authorization: `Bearer ${secret}` },
    });
    assert.equal(status.status, 200);
    await status.arrayBuffer();
    assert.ok(outbound.length <= 4, `warm-up took ${outbound.length} subrequests`);
  });

  after(async () => {
    await mf?.dispose();
    if (redis) await cleanup(redis, prefix);
  });

  it("a cron run publishes DIRECTOR_PUBLISH_COUNT payloads by score, in one subrequest", async () => {
    await redis.sadd(keys.queue, payloads[0], ...payloads.slice(1));
    await redis.zadd(
      keys.scores,
      { score: 100, member: "heavy" },
      { score: 50, member: "light" },
      { score: 0, member: "off" },
    );
    outbound.length = 0;
    const statsBefore = await readStats();

    const worker = await mf.getWorker() as unknown as ScheduledFetcher;
    const result = await worker.scheduled({ cron: CRON });

    const statsAfter = await readStats();
    assert.equal(result.outcome, "ok");
    assert.deepEqual(outbound, ["POST /pipeline"], "the publish is one subrequest");
    if (statsBefore && statsAfter) {
      assert.equal(statsAfter.requests - statsBefore.requests, 1, "one request at the endpoint");
    }

    const [queue, heavy, light, off] = await Promise.all(
      [keys.queue, keys.heavy, keys.light, keys.off].map((key) => redis.smembers(key)),
    );
    assert.equal(off.length, 0, "a subscriber at score 0 gets nothing");
    assert.equal(heavy.length + light.length, 25);
    assert.equal(queue.length, 15);
    assert.ok(heavy.length > 0, "the heavier subscriber received payloads");
    const all = [...queue, ...heavy, ...light, ...off].map(String).sort();
    assert.deepEqual(all, [...payloads].sort(), "every payload is in exactly one place");

    const scores = await redis.zrange<string[]>(keys.scores, 0, -1, { withScores: true });
    const byName = Object.fromEntries(
      Array.from(
        { length: scores.length / 2 },
        (_, i) => [scores[2 * i], Number(scores[2 * i + 1])],
      ),
    );
    assert.deepEqual(byName, {
      heavy: 100 - heavy.length,
      light: Math.max(1, 50 - light.length),
      off: 0,
    }, "each delivery lowered its receiver's score by 1");
  });

  it("GET /status with the secret answers status() as JSON, in one subrequest", async () => {
    outbound.length = 0;
    const response = await mf.dispatchFetch("http://worker.test/status", {
      headers: { authorization: `Bearer ${secret}` },
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /application\/json/);
    const status = await response.json() as DirectorStatus;
    assert.deepEqual(outbound, ["POST /pipeline"]);
    assert.equal(status.queueSize, await redis.scard(keys.queue));
    assert.equal(status.inFlight, 0);
    assert.deepEqual(Object.keys(status.subscribers), ["heavy", "light", "off"]);
    assert.equal(status.subscribers.off.score, 0);
    assert.equal(status.subscribers.off.destinationSize, 0);
    assert.equal(status.subscribers.heavy.destination, keys.heavy);
    assert.equal(status.subscribers.heavy.destinationSize, await redis.scard(keys.heavy));
    assert.equal(status.subscribers.light.destinationSize, await redis.scard(keys.light));
  });

  it("GET /status without the right secret answers 401 and sends nothing to Redis", async () => {
    outbound.length = 0;
    for (const headers of [{}, { authorization: `Bearer ${secret}x` }, { authorization: secret }]) {
      const response = await mf.dispatchFetch("http://worker.test/status", { headers });
      assert.equal(response.status, 401);
      await response.arrayBuffer();
    }
    const notFound = await mf.dispatchFetch("http://worker.test/publish", { method: "POST" });
    assert.equal(notFound.status, 404);
    await notFound.arrayBuffer();
    assert.deepEqual(outbound, []);
  });
});
