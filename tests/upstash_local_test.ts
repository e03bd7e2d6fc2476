/**
 * Tests of the local Upstash-compatible endpoint (tools/upstash_local.ts).
 *
 * - The client-level blocks drive the suite's endpoint with the unchanged `@upstash/redis`
 *   client, with auto-pipelining on and off. They also pass against a real Upstash database.
 * - The protocol block uses raw `fetch` and only runs against the local endpoint.
 * - The in-process block starts its own redis-server and endpoint (restart, outage, body limits,
 *   latency), so it needs the `redis-server` binary but not the suite's endpoint.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "@upstash/redis";
import { type RedisServer, startRedisServer } from "../tools/redis_server.ts";
import {
  createUpstashHandler,
  type EndpointStats,
  type RedisBackend,
  startUpstashLocal,
  type UpstashLocal,
} from "../tools/upstash_local.ts";
import {
  cleanup,
  countRequests,
  newRedis,
  readStats,
  restEnv,
  uniquePrefix,
} from "./support/redis.ts";

const LOCAL_ONLY = (await readStats()) === null
  ? { skip: "needs the local endpoint (tools/upstash_local.ts)" }
  : {};

const NOT_AN_INTEGER = /ERR value is not an integer or out of range/;

interface Endpoint {
  url: string;
  token: string;
}

interface RawInit {
  method?: string;
  /** Sent as JSON unless it is already a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The Authorization header; null sends none. @default `Bearer ${token}` */
  auth?: string | null;
}

/** Sends one raw HTTP request; the response body must be JSON (or empty). */
async function raw(
  endpoint: Endpoint,
  path: string,
  init: RawInit = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { "content-type": "application/json", ...init.headers };
  const auth = init.auth === undefined ? `Bearer ${endpoint.token}` : init.auth;
  if (auth !== null) headers.authorization = auth;
  const body = init.body === undefined || typeof init.body === "string"
    ? init.body
    : JSON.stringify(init.body);
  const response = await fetch(`${endpoint.url}${path}`, {
    method: init.method ?? "POST",
    headers,
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
}

function keyFactory(prefix: string): (name: string) => string {
  return (name) => `${prefix}:${name}`;
}

// -------------------------------------------------------------------------------------------
// @upstash/redis end to end, auto-pipelining on and off
// -------------------------------------------------------------------------------------------

for (const autoPipelining of [true, false]) {
  describe(`@upstash/redis through the endpoint (autoPipelining: ${autoPipelining})`, () => {
    const redis = newRedis({ autoPipelining });
    const prefix = uniquePrefix(`upstash-local-${autoPipelining ? "auto" : "direct"}`);
    const key = keyFactory(prefix);
    after(() => cleanup(redis, prefix));

    it("round-trips unicode strings (emoji, CJK, combining marks) unchanged", async () => {
      const values = [
        "emoji 😀🇫🇷",
        "漢字かな交じり文",
        "e\u0301 a\u0308 n\u0303",
        "ﬁ \u200d \u00a0",
      ];
      await Promise.all(values.map((value, i) => redis.set(key(`u${i}`), value)));
      const single = await Promise.all(values.map((_, i) => redis.get(key(`u${i}`))));
      assert.deepEqual(single, values);
      assert.deepEqual(await redis.mget(values.map((_, i) => key(`u${i}`))), values);
    });

    it('returns base64-looking strings and "OK" as values unchanged', async () => {
      const values = ["PONG", "T0s=", "YmFy", "OK"];
      await Promise.all(values.map((value, i) => redis.set(key(`b${i}`), value)));
      for (const [i, value] of values.entries()) assert.equal(await redis.get(key(`b${i}`)), value);
      assert.deepEqual(await redis.mget(values.map((_, i) => key(`b${i}`))), values);
      await redis.rpush(key("blist"), ...values);
      assert.deepEqual(await redis.lrange(key("blist"), 0, -1), values);
      assert.equal(await redis.ping(), "PONG");
      assert.equal(await redis.echo("T0s="), "T0s=");
    });

    it("returns integers as numbers and nil as null", async () => {
      assert.equal(await redis.incr(key("n")), 1);
      assert.equal(await redis.incrby(key("n"), 41), 42);
      assert.equal(await redis.get(key("missing")), null);
      assert.equal(await redis.exists(key("n"), key("missing")), 1);
      assert.equal(await redis.del(key("n"), key("missing")), 1);
    });

    it("renders nested EVAL arrays with nil, integers and strings faithfully", async () => {
      const script = "return {1, 'two', false, {3, {'four', 5, 'OK'}}, KEYS[1], ARGV[1]}";
      const result = await redis.eval(script, [key("k")], ["ü 😀"]);
      assert.deepEqual(result, [1, "two", null, [3, ["four", 5, "OK"]], key("k"), "ü 😀"]);
    });

    it("rejects a failing single command with Redis's message", async () => {
      await redis.set(key("text"), "not a number");
      await assert.rejects(redis.incr(key("text")), NOT_AN_INTEGER);
      await assert.rejects(
        redis.lpush(key("text"), "x"),
        /WRONGTYPE Operation against a key holding the wrong kind of value/,
      );
    });

    it("keeps a pipeline going after a failing command and reports the failure", async () => {
      await redis.set(key("p-text"), "text");
      const failing = () =>
        redis.pipeline().set(key("p-a"), "a").incr(key("p-text")).set(key("p-b"), "b");
      await assert.rejects(failing().exec(), /Command 2 \[ incr \] failed: ERR value is not/);
      assert.equal(await redis.get(key("p-b")), "b");
      const items = await failing().exec({ keepErrors: true });
      assert.deepEqual(items.map((item) => item.result), ["OK", undefined, "OK"]);
      assert.match(String(items[1].error), NOT_AN_INTEGER);
    });

    it("executes a pipeline in order and returns every result", async () => {
      const results = await redis.pipeline()
        .set(key("order"), 1)
        .incr(key("order"))
        .get(key("order"))
        .exec();
      assert.deepEqual(results, ["OK", 2, 2]);
    });

    it("executes a transaction and returns every result", async () => {
      const results = await redis.multi()
        .set(key("tx"), "a")
        .incr(key("tx-counter"))
        .get(key("tx"))
        .exec();
      assert.deepEqual(results, ["OK", 1, "a"]);
    });

    it("reports an EXEC-time error per item and still runs the rest", async () => {
      await redis.set(key("tx-text"), "text");
      const items = await redis.multi()
        .incr(key("tx-text"))
        .set(key("tx-after"), "after")
        .exec({ keepErrors: true });
      assert.match(String(items[0].error), NOT_AN_INTEGER);
      assert.equal(items[1].result, "OK");
      assert.equal(await redis.get(key("tx-after")), "after");
    });

    it("rejects a transaction aborted at queue time and applies none of it", async () => {
      // HSET with no field/value pairs is a wrong-arity error while queueing.
      const tx = redis.multi().set(key("tx-aborted"), "v").hset(key("tx-hash"), {});
      await assert.rejects(tx.exec(), /wrong number of arguments for 'hset' command/);
      assert.equal(await redis.get(key("tx-aborted")), null);
    });

    it("loads scripts, runs them by SHA and reports NOSCRIPT unchanged", async () => {
      const source = `return ARGV[1] .. '@' .. KEYS[1] -- ${prefix}`;
      const sha = await redis.scriptLoad(source);
      assert.match(sha, /^[0-9a-f]{40}$/);
      assert.equal(await redis.evalsha(sha, [key("s")], ["v"]), `v@${key("s")}`);
      assert.deepEqual(await redis.scriptExists(sha, "0".repeat(40)), [1, 0]);
      await assert.rejects(
        redis.evalsha("0".repeat(40), [], []),
        /NOSCRIPT No matching script\. Please use EVAL\./,
      );
    });

    it("falls back from EVALSHA to EVAL in createScript().exec() after SCRIPT FLUSH", async () => {
      const script = redis.createScript<string>(`return 'ran:' .. ARGV[1] -- ${prefix}`);
      assert.equal(await script.exec([], ["one"]), "ran:one");
      await redis.scriptFlush();
      assert.equal(await script.exec([], ["two"]), "ran:two");
    });

    it("supports string commands", async () => {
      assert.equal(await redis.set(key("str"), "abc", { ex: 60 }), "OK");
      assert.equal(await redis.append(key("str"), "déf"), 7);
      assert.equal(await redis.strlen(key("str")), 7);
      assert.equal(await redis.getrange(key("str"), 0, 2), "abc");
      assert.equal(await redis.incrbyfloat(key("float"), 1.5), 1.5);
      await redis.set(key("json"), { nested: { list: [1, "two"] } });
      assert.deepEqual(await redis.get(key("json")), { nested: { list: [1, "two"] } });
      assert.ok((await redis.ttl(key("str"))) > 0);
    });

    it("supports hash commands, HGETALL included", async () => {
      assert.equal(await redis.hset(key("hash"), { name: "Zoë", count: 1 }), 2);
      assert.equal(await redis.hincrby(key("hash"), "count", 2), 3);
      assert.equal(await redis.hget(key("hash"), "name"), "Zoë");
      assert.deepEqual(await redis.hgetall(key("hash")), { name: "Zoë", count: 3 });
      assert.equal(await redis.hlen(key("hash")), 2);
      assert.equal(await redis.hgetall(key("no-hash")), null);
    });

    it("supports list commands, LRANGE included", async () => {
      assert.equal(await redis.rpush(key("list"), "b", "c"), 2);
      assert.equal(await redis.lpush(key("list"), "a"), 3);
      assert.deepEqual(await redis.lrange(key("list"), 0, -1), ["a", "b", "c"]);
      assert.equal(await redis.lpop(key("list")), "a");
      assert.equal(await redis.llen(key("list")), 2);
    });

    it("supports set commands, SMEMBERS included", async () => {
      assert.equal(await redis.sadd(key("set"), "x", "y", "z"), 3);
      assert.deepEqual((await redis.smembers(key("set"))).sort(), ["x", "y", "z"]);
      assert.equal(await redis.sismember(key("set"), "y"), 1);
      assert.equal(await redis.srem(key("set"), "y"), 1);
      assert.equal(await redis.scard(key("set")), 2);
    });

    it("supports sorted-set commands, ZRANGE WITHSCORES included", async () => {
      await redis.zadd(key("zset"), { score: 2, member: "b" }, { score: 1.5, member: "a" });
      assert.deepEqual(await redis.zrange(key("zset"), 0, -1, { withScores: true }), [
        "a",
        1.5,
        "b",
        2,
      ]);
      assert.equal(await redis.zincrby(key("zset"), 1, "a"), 2.5);
      assert.equal(await redis.zscore(key("zset"), "a"), 2.5);
      assert.equal(await redis.zrank(key("zset"), "b"), 0);
      assert.equal(await redis.zcard(key("zset")), 2);
    });

    it("runs ten concurrent transactions without interleaving them", async () => {
      const counter = key("concurrent");
      const runs = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          redis.multi()
            .incr(counter)
            .set(key("shared"), `tag-${i}`)
            .get(key("shared"))
            .get(counter)
            .exec()),
      );
      runs.forEach(([incremented, , tag, read], i) => {
        assert.equal(tag, `tag-${i}`);
        assert.equal(read, incremented);
      });
      const counts = runs.map(([n]) => Number(n)).sort((a, b) => a - b);
      assert.deepEqual(counts, Array.from({ length: 10 }, (_, i) => i + 1));
    });
  });
}

// -------------------------------------------------------------------------------------------
// The HTTP protocol, with raw fetch (local endpoint only)
// -------------------------------------------------------------------------------------------

describe("upstash-local HTTP protocol", LOCAL_ONLY, () => {
  const endpoint = restEnv();
  const redis = newRedis({ autoPipelining: false });
  const prefix = uniquePrefix("upstash-local-raw");
  const key = keyFactory(prefix);
  const base64 = { "upstash-encoding": "base64" };
  after(() => cleanup(redis, prefix));

  it("answers GET / with a 200 JSON health check", async () => {
    const reply = await raw(endpoint, "/", { method: "GET", auth: null });
    assert.deepEqual(reply, { status: 200, body: { status: "ok", redis: "ready" } });
  });

  it("answers an unknown path with 404 JSON", async () => {
    const reply = await raw(endpoint, "/set/a/b", { body: [] });
    assert.deepEqual(reply, { status: 404, body: { error: "Not found" } });
  });

  it("answers an unsupported method with 405 JSON", async () => {
    const cases = [["GET", "/pipeline"], ["PUT", "/"], ["DELETE", "/multi-exec"]];
    for (const [method, path] of cases) {
      const reply = await raw(endpoint, path, { method });
      assert.deepEqual(reply, { status: 405, body: { error: "Method not allowed" } }, method);
    }
  });

  it("answers 401 JSON without a token, with a wrong token or with a wrong scheme", async () => {
    const auths = [null, "Bearer wrong", `Basic ${endpoint.token}`, endpoint.token, "Bearer "];
    for (const auth of auths) {
      for (const path of ["/", "/pipeline", "/multi-exec"]) {
        const body = path === "/" ? ["ping"] : [["ping"]];
        const reply = await raw(endpoint, path, { auth, body });
        assert.deepEqual(reply, { status: 401, body: { error: "Unauthorized" } }, `${auth}`);
      }
    }
    const stats = await raw(endpoint, "/__stats", { method: "GET", auth: "Bearer wrong" });
    assert.equal(stats.status, 401);
  });

  it("answers malformed JSON with 400 JSON", async () => {
    const reply = await raw(endpoint, "/", { body: '["set", "k"' });
    assert.equal(reply.status, 400);
    assert.match(String((reply.body as { error: string }).error), /not valid JSON/);
  });

  it("rejects nested arrays, objects and empty commands with 400 JSON", async () => {
    const cases: [string, unknown][] = [
      ["/", ["set", key("n"), ["nested"]]],
      ["/", ["set", key("n"), { a: 1 }]],
      ["/", []],
      ["/", "ping"],
      ["/pipeline", ["ping"]],
      ["/pipeline", []],
      ["/multi-exec", [["set", key("n"), [1]]]],
    ];
    for (const [path, body] of cases) {
      const reply = await raw(endpoint, path, { body });
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.equal(typeof (reply.body as { error: unknown }).error, "string");
    }
    assert.equal(await redis.exists(key("n")), 0);
  });

  it("converts numbers and booleans with String() and null to an empty string", async () => {
    const echo = (value: unknown) => raw(endpoint, "/", { body: ["echo", value] });
    assert.deepEqual((await echo(42)).body, { result: "42" });
    assert.deepEqual((await echo(1.5)).body, { result: "1.5" });
    assert.deepEqual((await echo(true)).body, { result: "true" });
    assert.deepEqual((await echo(null)).body, { result: "" });
  });

  it("treats command names case-insensitively", async () => {
    assert.deepEqual((await raw(endpoint, "/", { body: ["SeT", key("case"), "v"] })).body, {
      result: "OK",
    });
    assert.deepEqual((await raw(endpoint, "/", { body: ["GET", key("case")] })).body, {
      result: "v",
    });
  });

  it("answers a failing single command with 400 and Redis's message unchanged", async () => {
    await redis.set(key("text"), "text");
    const reply = await raw(endpoint, "/", { body: ["incr", key("text")], headers: base64 });
    assert.deepEqual(reply, {
      status: 400,
      body: { error: "ERR value is not an integer or out of range" },
    });
  });

  it("answers a pipeline with 200 and one {result} or {error} per command", async () => {
    const reply = await raw(endpoint, "/pipeline", {
      body: [["set", key("p"), "text"], ["incr", key("p")], ["get", key("p")], ["nope"]],
    });
    assert.equal(reply.status, 200);
    const items = reply.body as { result?: unknown; error?: string }[];
    assert.deepEqual(items.slice(0, 3), [
      { result: "OK" },
      { error: "ERR value is not an integer or out of range" },
      { result: "text" },
    ]);
    assert.match(String(items[3].error), /^ERR unknown command 'nope'/);
  });

  it("base64-encodes every string at every depth, but not numbers, null or errors", async () => {
    const script = "return {1, 'OK', false, {'x', 2}, redis.error_reply('boom')}";
    const reply = await raw(endpoint, "/pipeline", {
      headers: base64,
      body: [
        ["echo", "OK"],
        ["ping"],
        ["eval", script, 0],
        ["incr", key("missing-text")],
        ["echo", "😀"],
      ],
    });
    assert.deepEqual(reply.body, [
      { result: btoa("OK") },
      { result: btoa("PONG") },
      { result: [1, btoa("OK"), null, [btoa("x"), 2], btoa("ERR boom")] },
      { result: 1 },
      { result: "8J+YgA==" },
    ]);
    const plain = await raw(endpoint, "/", { body: ["echo", "OK"] });
    assert.deepEqual(plain.body, { result: "OK" });
    const error = await raw(endpoint, "/pipeline", { headers: base64, body: [["nope"]] });
    assert.match(String((error.body as { error: string }[])[0].error), /^ERR unknown command/);
  });

  it("answers a transaction aborted at queue time with 400 and runs none of it", async () => {
    const reply = await raw(endpoint, "/multi-exec", {
      body: [["set", key("aborted"), "v"], ["nope", "x"]],
    });
    assert.equal(reply.status, 400);
    assert.match(String((reply.body as { error: string }).error), /^ERR unknown command 'nope'/);
    assert.equal(await redis.get(key("aborted")), null);
  });

  it("answers a transaction with an EXEC-time error with 200 and a per-item error", async () => {
    const reply = await raw(endpoint, "/multi-exec", {
      headers: base64,
      body: [["set", key("tx"), "text"], ["incr", key("tx")], ["get", key("tx")]],
    });
    assert.deepEqual(reply, {
      status: 200,
      body: [
        { result: btoa("OK") },
        { error: "ERR value is not an integer or out of range" },
        { result: btoa("text") },
      ],
    });
  });

  it("refuses commands that would block or change the state of a shared connection", async () => {
    const refused = [
      ["multi"],
      ["watch", key("w")],
      ["blpop", key("l"), 0],
      ["subscribe", "c"],
      ["select", 1],
      ["client", "reply", "off"],
      ["xread", "block", 0, "streams", key("s"), "$"],
    ];
    for (const body of refused) {
      const reply = await raw(endpoint, "/", { body });
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.match(String((reply.body as { error: string }).error), /not available/);
    }
    const tx = await raw(endpoint, "/multi-exec", { body: [["multi"], ["ping"]] });
    assert.equal(tx.status, 400);
  });

  it("counts requests and commands per route in /__stats", async () => {
    const single = await countRequests(() => redis.set(key("stats"), 1));
    assert.deepEqual([single.requests, single.commands], [1, 1]);
    const pipeline = await countRequests(() =>
      redis.pipeline().incr(key("stats")).incr(key("stats")).get(key("stats")).exec()
    );
    assert.deepEqual([pipeline.requests, pipeline.commands], [1, 3]);
    const tx = await countRequests(() => redis.multi().incr(key("stats")).get(key("stats")).exec());
    assert.deepEqual([tx.requests, tx.commands], [1, 2]);
    const auto = newRedis({ autoPipelining: true });
    const batched = await countRequests(() =>
      Promise.all([auto.set(key("a1"), 1), auto.set(key("a2"), 2), auto.set(key("a3"), 3)])
    );
    assert.deepEqual([batched.requests, batched.commands], [1, 3]);
    const rejected = await countRequests(() => raw(endpoint, "/", { auth: null, body: ["ping"] }));
    assert.deepEqual([rejected.requests, rejected.commands], [1, 0]);
  });

  it("zeroes the counters on POST /__stats/reset without counting admin requests", async () => {
    await redis.set(key("reset"), 1);
    const reply = await raw(endpoint, "/__stats/reset", {});
    assert.deepEqual(reply, { status: 200, body: { result: "OK" } });
    const zero: EndpointStats = {
      requests: 0,
      commands: 0,
      pipelines: 0,
      transactions: 0,
      singles: 0,
      errors: 0,
    };
    assert.deepEqual(await readStats(), zero);
  });
});

// -------------------------------------------------------------------------------------------
// An endpoint of our own: body limits, latency, redis-server restarts and outages
// -------------------------------------------------------------------------------------------

describe("upstash-local started in-process", () => {
  const maxBodyBytes = 1024;
  let server: RedisServer;
  let endpoint: UpstashLocal;
  let redis: Redis;

  before(async () => {
    server = await startRedisServer();
    endpoint = await startUpstashLocal({ redisUrl: server.url, quiet: true, maxBodyBytes });
    redis = new Redis({
      url: endpoint.url,
      token: endpoint.token,
      enableTelemetry: false,
      enableAutoPipelining: false,
      retry: { retries: 0 },
    });
  });

  after(async () => {
    await endpoint?.close();
    await server?.stop();
  });

  it("binds 127.0.0.1 on a free port and generates a 32-hex-character token", () => {
    assert.match(endpoint.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(endpoint.token, /^[0-9a-f]{32}$/);
  });

  it("answers 413 JSON when Content-Length exceeds maxBodyBytes", async () => {
    const body = JSON.stringify(["set", "big", "x".repeat(maxBodyBytes)]);
    const reply = await raw(endpoint, "/", { body });
    assert.equal(reply.status, 413);
    assert.match(String((reply.body as { error: string }).error), /max request size exceeded/);
  });

  it("answers 413 JSON when a streamed body without Content-Length grows too large", async () => {
    const stats = emptyStats();
    const handler = createUpstashHandler({
      backend: fakeBackend(),
      token: "t",
      stats,
      maxBodyBytes,
    });
    const chunk = new TextEncoder().encode(`["echo","${"x".repeat(600)}`);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(chunk); // never ends: the handler must stop reading by itself
      },
    });
    const request = new Request("http://local/", {
      method: "POST",
      headers: { authorization: "Bearer t" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    assert.equal(request.headers.get("content-length"), null);
    const response = await handler(request);
    assert.equal(response.status, 413);
    assert.match((await response.json()).error, /max request size exceeded/);
    assert.deepEqual([stats.requests, stats.errors, stats.commands], [1, 1, 0]);
  });

  it("consults the fault hooks before and after execution, and only when they are set", async () => {
    const seen: string[] = [];
    const handler = createUpstashHandler({
      backend: fakeBackend(),
      token: "t",
      stats: emptyStats(),
      faults: {
        beforeExecute: ({ route, commands }) => {
          seen.push(`before ${route} ${commands.length}`);
          return commands[0][0] === "fail" ? new Response("injected", { status: 502 }) : undefined;
        },
        afterExecute: ({ route }, response) => {
          seen.push(`after ${route} ${response.status}`);
          return undefined;
        },
      },
    });
    const post = (path: string, body: unknown) =>
      handler(
        new Request(`http://local${path}`, {
          method: "POST",
          headers: { authorization: "Bearer t" },
          body: JSON.stringify(body),
        }),
      );
    assert.deepEqual(await (await post("/pipeline", [["ping"], ["ping"]])).json(), [
      { result: "OK" },
      { result: "OK" },
    ]);
    assert.equal((await post("/", ["fail"])).status, 502);
    assert.deepEqual(seen, ["before pipeline 2", "after pipeline 200", "before single 1"]);
  });

  it("reports its counters through stats() and resetStats()", async () => {
    endpoint.resetStats();
    await redis.pipeline().ping().ping().exec();
    await redis.multi().ping().exec();
    await redis.ping();
    assert.deepEqual(endpoint.stats(), {
      requests: 3,
      commands: 4,
      pipelines: 1,
      transactions: 1,
      singles: 1,
      errors: 0,
    });
    endpoint.resetStats();
    assert.equal(endpoint.stats().requests, 0);
  });

  it("delays every command request by the configured latency", async () => {
    endpoint.setLatency(150);
    try {
      const started = performance.now();
      assert.equal(await redis.ping(), "PONG");
      assert.ok(performance.now() - started >= 140, "answered too early");
    } finally {
      endpoint.setLatency(0);
    }
  });

  it("keeps serving after redis-server restarts", async () => {
    await redis.set("before-restart", "v");
    await redis.multi().set("tx", "1").exec(); // leaves a pooled transaction connection behind
    await server.restart();
    assert.equal(await redis.ping(), "PONG");
    assert.equal(await redis.get("before-restart"), null, "a restart starts with no data");
    assert.deepEqual(await redis.multi().set("tx", "2").get("tx").exec(), ["OK", 2]);
    assert.deepEqual(await redis.pipeline().set("p", "1").get("p").exec(), ["OK", 1]);
  });

  it("answers 503 JSON within about 2 s while redis-server is down, then recovers", async () => {
    const port = server.port;
    await server.stop();
    try {
      const requests: [string, unknown][] = [
        ["/", ["ping"]],
        ["/pipeline", [["ping"]]],
        ["/multi-exec", [["ping"]]],
      ];
      for (const [path, body] of requests) {
        const started = performance.now();
        const reply = await raw(endpoint, path, { body });
        assert.equal(reply.status, 503, path);
        assert.match(String((reply.body as { error: string }).error), /unreachable/);
        assert.ok(performance.now() - started < 3_000, `${path} took too long`);
      }
    } finally {
      server = await startRedisServer({ port });
    }
    assert.equal(await redis.ping(), "PONG");
  });
});

function emptyStats(): EndpointStats {
  return { requests: 0, commands: 0, pipelines: 0, transactions: 0, singles: 0, errors: 0 };
}

/** A backend that answers OK to everything, for handler-only tests. */
function fakeBackend(): RedisBackend {
  return {
    ready: true,
    pipeline: (commands) => Promise.resolve(commands.map(() => "OK")),
    transaction: (commands) => Promise.resolve(commands.map(() => "OK")),
    close: () => Promise.resolve(),
  };
}
