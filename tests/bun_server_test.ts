/**
 * The Bun endpoint example (`examples/bun_server.ts`), run by `bun run` as a child process against
 * the suite's Upstash endpoint, called as an external scheduler would. Runs from `deno test` and
 * `bun test` alike (the server itself always runs on Bun).
 *
 * @module
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Redis } from "@upstash/redis";
import type { DirectorStatus, PublishReport } from "../mod.ts";
import {
  cleanup,
  type EndpointStats,
  newRedis,
  readStats,
  restEnv,
  uniquePrefix,
} from "./support/redis.ts";
import { type Child, findExecutable, startChild } from "./support/spawn.ts";

const BUN = findExecutable("bun");

/** Asserts the endpoint served no command request since `before` (skipped on a real Upstash). */
async function assertNoRequestsSince(statsBefore: EndpointStats | null): Promise<void> {
  const statsAfter = await readStats();
  if (statsBefore && statsAfter) {
    assert.equal(statsAfter.requests - statsBefore.requests, 0, "no request to Redis");
  }
}

describe("Bun server example (POST /publish, GET /status)", () => {
  const prefix = uniquePrefix("bun-server");
  const keys = {
    queue: `${prefix}:queue`,
    scores: `${prefix}:scores`,
    a: `${prefix}:a`,
    b: `${prefix}:b`,
    off: `${prefix}:off`,
  };
  const secret = `secret-${crypto.randomUUID()}`;
  const payloads = Array.from({ length: 30 }, (_, i) => `p${i}`);
  let redis: Redis;
  let server: Child;
  let base: string;

  const call = (method: string, path: string, token?: string) =>
    fetch(`${base}${path}`, {
      method,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });

  before(async () => {
    assert.ok(BUN, "bun was not found on PATH nor next to the running binary (npm install bun)");
    redis = newRedis();
    await redis.sadd(keys.queue, payloads[0], ...payloads.slice(1));
    await redis.zadd(
      keys.scores,
      { score: 100, member: "a" },
      { score: 100, member: "b" },
      { score: 0, member: "off" },
    );
    const { url, token } = restEnv();
    server = startChild(BUN!, ["run", "examples/bun_server.ts"], {
      UPSTASH_REDIS_REST_URL: url,
      UPSTASH_REDIS_REST_TOKEN: token,
      UPSTASH_DISABLE_TELEMETRY: "1",
      PUBLISH_SECRET: secret,
      PORT: "0",
      HOSTNAME: "127.0.0.1",
      DIRECTOR_QUEUE_KEY: keys.queue,
      DIRECTOR_SCORE_KEY: keys.scores,
      DIRECTOR_SUBSCRIBERS: `a=${keys.a},b=${keys.b},off=${keys.off}`,
      DIRECTOR_PUBLISH_COUNT: "10",
    });
    [, base] = await server.waitFor(/listening on (http:\/\/\S+?)\/?\s/);
  });

  after(async () => {
    if (server) await server.stop();
    if (redis) await cleanup(redis, prefix);
  });

  it("answers 401 without the secret or with a wrong one, and publishes nothing", async () => {
    const statsBefore = await readStats();
    const wrong = secret.slice(0, -1) + (secret.endsWith("0") ? "1" : "0");
    for (const token of [undefined, "", wrong, `${secret}x`]) {
      for (const [method, path] of [["POST", "/publish"], ["GET", "/status"]]) {
        const response = await call(method, path, token);
        assert.equal(response.status, 401, `${method} ${path} with ${token}`);
        assert.deepEqual(await response.json(), { error: "unauthorized" });
      }
    }
    await assertNoRequestsSince(statsBefore);
    assert.equal(await redis.scard(keys.queue), payloads.length);
  });

  it("POST /publish?count=N publishes N by score; Redis holds what the report says", async () => {
    const response = await call("POST", "/publish?count=12", secret);
    assert.equal(response.status, 200);
    const report = await response.json() as PublishReport;
    assert.equal(report.requested, 12);
    assert.equal(report.popped, 12);
    assert.equal(report.delivered, 12);
    assert.equal(report.stoppedBy, "count");
    assert.equal(report.requests <= 2, true, "one request (two if Redis had to load the script)");
    assert.equal(report.bySubscriber.off, 0, "a subscriber at score 0 gets nothing");
    assert.equal(report.bySubscriber.a + report.bySubscriber.b, 12);
    assert.equal(await redis.scard(keys.a), report.bySubscriber.a);
    assert.equal(await redis.scard(keys.b), report.bySubscriber.b);
    assert.equal(await redis.scard(keys.off), 0);
    assert.equal(await redis.scard(keys.queue), payloads.length - 12);
    assert.deepEqual(report.scores.a, { before: 100, after: 100 - report.bySubscriber.a });
  });

  it("POST /publish without count publishes DIRECTOR_PUBLISH_COUNT; stops at an empty queue", async () => {
    const first = await (await call("POST", "/publish", secret)).json() as PublishReport;
    assert.equal(first.requested, 10);
    assert.equal(first.popped, 10);
    const second = await (await call("POST", "/publish", secret)).json() as PublishReport;
    assert.equal(second.popped, payloads.length - 22);
    assert.equal(second.stoppedBy, "empty-queue");
    assert.equal(await redis.scard(keys.queue), 0);
    const delivered = [...await redis.smembers(keys.a), ...await redis.smembers(keys.b)];
    assert.deepEqual(delivered.map(String).sort(), [...payloads].sort(), "none lost or doubled");
  });

  it("GET /status answers status() as JSON", async () => {
    const response = await call("GET", "/status", secret);
    assert.equal(response.status, 200);
    const status = await response.json() as DirectorStatus;
    assert.equal(status.queueSize, 0);
    assert.equal(status.subscribers.a.destination, keys.a);
    assert.equal(status.subscribers.a.destinationSize, await redis.scard(keys.a));
    assert.equal(status.subscribers.off.score, 0);
  });

  it("rejects a bad count with 400, other routes with 404, and sends nothing", async () => {
    const statsBefore = await readStats();
    for (const count of ["0", "abc", "-1", "1.5", "100001"]) {
      const response = await call("POST", `/publish?count=${count}`, secret);
      assert.equal(response.status, 400, `count=${count}`);
      assert.match((await response.json()).error, /^count: expected a whole number/);
    }
    for (const [method, path] of [["GET", "/publish"], ["POST", "/status"], ["GET", "/"]]) {
      const response = await call(method, path, secret);
      assert.equal(response.status, 404, `${method} ${path}`);
      await response.body?.cancel();
    }
    await assertNoRequestsSince(statsBefore);
  });
});
