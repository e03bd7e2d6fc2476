/**
 * Security properties of the library and of the local endpoint.
 *
 * Library: the token never shows in an error (message, stack or cause chain)
 * and nothing is logged; payloads, names and keys holding Lua or Redis syntax
 * are data, never code (they round-trip and touch no other key); the Lua
 * scripts take keys only from KEYS and never run a command of their caller's
 * choosing. Endpoint (what `upstash_local_test.ts` does not already cover):
 * constant-time token comparison, loopback only, the default body limit and
 * auth before reading a body, no stack trace or token in any error response or
 * log line.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { Redis } from "@upstash/redis";
import {
  genericListHandler,
  genericSetHandler,
  Publisher,
  RedisRequestError,
  Subscriber,
} from "../mod.ts";
import { ALL_SCRIPTS, RELEASE } from "../src/scripts.ts";
import { startRedisServer } from "../tools/redis_server.ts";
import {
  createUpstashHandler,
  type EndpointStats,
  type RedisBackend,
  RedisUnavailableError,
  startUpstashLocal,
} from "../tools/upstash_local.ts";
import { dyingClient } from "./support/clients.ts";
import { contents, type Space, space } from "./support/fixtures.ts";
import { restEnv } from "./support/redis.ts";

/** The machine's non-loopback IPv4 addresses (the endpoint must not answer on them). */
const OTHER_ADDRESSES = Object.values(networkInterfaces()).flat()
  .filter((a) => a !== undefined && !a.internal && a.family === "IPv4")
  .map((a) => a!.address);

// -------------------------------------------------------------------------------------------
// Helpers
// -------------------------------------------------------------------------------------------

const CONSOLE_METHODS = ["log", "info", "warn", "error", "debug", "trace"] as const;

/** Runs `fn` with every console method recording instead of printing; returns the lines. */
async function captureConsole<T>(fn: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const saved = CONSOLE_METHODS.map((name) => console[name]);
  for (const name of CONSOLE_METHODS) {
    console[name] = (...args: unknown[]) =>
      void lines.push(`${name}: ${args.map((arg) => deepText(arg)).join(" ")}`);
  }
  try {
    return { value: await fn(), lines };
  } finally {
    CONSOLE_METHODS.forEach((name, i) => (console[name] = saved[i]));
  }
}

/** Everything an error carries: name, message, stack, own properties and the cause chain. */
function deepText(value: unknown, seen = new Set<unknown>()): string {
  if (value === null || typeof value !== "object") return String(value);
  if (seen.has(value)) return "";
  seen.add(value);
  const parts: string[] = [];
  if (value instanceof Error) parts.push(value.name, value.message, value.stack ?? "");
  for (const key of Object.getOwnPropertyNames(value)) {
    parts.push(key, deepText((value as Record<string, unknown>)[key], seen));
  }
  if (value instanceof Error && "cause" in value) parts.push(deepText(value.cause, seen));
  return parts.join("\n");
}

function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** Every public call of a publisher and a subscriber built on `redis`, by name. */
function everyPublicCall(redis: Redis, key: (name: string) => string) {
  const pub = new Publisher({ redis, scoreKey: key("scores"), queueKey: key("queue") })
    .addSubscriber("a", { handler: genericSetHandler(key("a")) })
    .addSubscriber("b", { handler: (_s, payload, tx) => void tx.rpush(key("b"), payload) });
  const sub = new Subscriber({ redis, scoreKey: key("scores"), scoreMember: "a" });
  return {
    addPayloads: () => pub.addPayloads("x", 1),
    publish: () => pub.publish(5),
    publishMax: () => pub.publishMax(5),
    publishMin: () => pub.publishMin(5),
    recover: () => pub.recover(0),
    status: () => pub.status(),
    scores: () => pub.scores(),
    queueSize: () => pub.queueSize(),
    randomSubscriber: () => pub.randomSubscriber(),
    subscriberMax: () => pub.subscriberMax(),
    subscriberMin: () => pub.subscriberMin(),
    resetScores: () => pub.resetScores(),
    getScore: () => sub.getScore(),
    addScore: () => sub.addScore(1),
    setScore: () => sub.setScore(3),
    resetScore: () => sub.resetScore(),
  } satisfies Record<string, () => Promise<unknown>>;
}

/** Every key of the database (SCAN), for before/after comparisons. */
async function allKeys(raw: Redis): Promise<Set<string>> {
  const keys = new Set<string>();
  let cursor = "0";
  do {
    const [next, batch] = await raw.scan(cursor, { count: 1000 });
    for (const k of batch) keys.add(String(k));
    cursor = String(next);
  } while (cursor !== "0");
  return keys;
}

/** Values the scripts must never confuse with code. */
const HOSTILE = [
  "]] redis.call('FLUSHALL') --",
  "'); redis.call('FLUSHALL') --",
  '"); redis.call("FLUSHDB") --',
  "\" .. redis.call('DEL', KEYS[1]) .. \"",
  "return redis.call('KEYS', '*')",
  "KEYS[1]",
  "ARGV[1]",
  "KEYS[0]",
  "*1\r\n$8\r\nFLUSHALL\r\n",
  "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
  "-ERR injected\r\n",
  "+OK",
  ":1",
  "$-1",
  "%s %d %q",
  "\\0 \u0000 null byte",
  "~",
  "~~prefixed",
  "#1",
  "call#1",
  "{app}:queue",
  "loadstring('return 1')()",
  "os.exit()",
  "\\",
  "",
];

// -------------------------------------------------------------------------------------------
// Library
// -------------------------------------------------------------------------------------------

describe("security: the library", () => {
  let s: Space;
  let canary: Space;
  const canaryValues = { string: "alive", set: ["m1", "m2"], list: ["l1", "l2"] };
  before(async () => {
    s = space("security");
    canary = space("security-canary");
    await canary.raw.set(canary.key("string"), canaryValues.string);
    await canary.raw.sadd(canary.key("set"), canaryValues.set[0], canaryValues.set[1]);
    await canary.raw.rpush(canary.key("list"), ...canaryValues.list);
  });
  after(async () => {
    await s.dispose();
    await canary.dispose();
  });

  const assertCanaryAlive = async () => {
    assert.equal(await canary.raw.get(canary.key("string")), canaryValues.string);
    assert.deepEqual(await contents(canary.raw, canary.key("set")), canaryValues.set);
    assert.deepEqual(await canary.raw.lrange(canary.key("list"), 0, -1), canaryValues.list);
  };

  it("fails every public call with a wrong token, never showing a token and never logging", async () => {
    const { url, token } = restEnv();
    const wrong = `wrong-${randomHex(16)}`;
    const redis = new Redis({ url, token: wrong, enableTelemetry: false, retry: false });
    const calls = everyPublicCall(redis, (name) => s.key(`wrong-token:${name}`));
    const { lines } = await captureConsole(async () => {
      for (const [name, call] of Object.entries(calls)) {
        const error = await call().then(() => undefined, (e: unknown) => e);
        assert.ok(error instanceof RedisRequestError, `${name}: ${String(error)}`);
        const text = deepText(error);
        assert.match(error.message, /Unauthorized/, `${name} says why`);
        assert.ok(!text.includes(wrong), `${name}: the wrong token shows in the error`);
        assert.ok(!text.includes(token), `${name}: the real token shows in the error`);
      }
    });
    assert.deepEqual(lines, [], "nothing is logged");
    assert.equal(await s.raw.exists(s.key("wrong-token:queue")), 0, "nothing was written");
  });

  // @upstash/redis puts the whole request body in its error message ("..., command was:
  // [[evalsha, ...payloads]]"); RedisRequestError must not carry it on.
  it("keeps payload contents out of the error of a failed request", async () => {
    const { url } = restEnv();
    const redis = new Redis({ url, token: "wrong", enableTelemetry: false, retry: false });
    const pub = new Publisher({ redis, scoreKey: s.key("leak:s"), queueKey: s.key("leak:q") });
    const secret = `customer-card-${randomHex(8)}`;
    const error = await pub.addPayloads(secret, "x".repeat(100_000)).catch((e: unknown) => e);
    assert.ok(error instanceof RedisRequestError);
    assert.ok(!deepText(error).includes(secret), "a payload shows in the error");
    assert.ok(error.message.length < 1_000, `a ${error.message.length}-character message`);
  });

  it("fails with an unreachable endpoint without showing the token and without logging", async () => {
    const token = randomHex(16);
    // Port 9 (discard) on loopback: nothing listens there in a test environment.
    const redis = new Redis({
      url: "http://127.0.0.1:9",
      token,
      enableTelemetry: false,
      retry: false,
    });
    const { lines } = await captureConsole(async () => {
      for (const [name, call] of Object.entries(everyPublicCall(redis, (n) => n))) {
        const error = await call().then(() => undefined, (e: unknown) => e);
        assert.ok(error instanceof RedisRequestError, `${name}: ${String(error)}`);
        assert.ok(!deepText(error).includes(token), `${name}: the token shows in the error`);
      }
    });
    assert.deepEqual(lines, []);
  });

  it("keeps payloads holding Lua or Redis syntax as data through every path, touching no other key", async () => {
    const key = (name: string) => s.key(`hostile:${name}`);
    const outside = [...(await allKeys(s.raw))].filter((k) => !k.startsWith(s.key("hostile")));
    // Subscriber names and destination keys hold hostile text too.
    const names = ["'); redis.call('FLUSHALL') --", "KEYS[2]", "]]--", "n\r\n*1"];
    const destinations = [key("set ]] --"), key("list KEYS[1]"), key("custom ' \" \\")];
    let refusals = 3; // the custom handler refuses its first three payloads: back to the queue
    const makePublisher = (redis: Redis | ReturnType<typeof dyingClient>) =>
      new Publisher({
        redis,
        scoreKey: key("scores ARGV[1]"),
        queueKey: key("queue"),
        queue: "list",
        seed: 7,
      })
        .addSubscriber(names[0], {
          handler: genericSetHandler(destinations[0], 0),
          defaultScore: 50,
        })
        .addSubscriber(names[1], {
          handler: genericListHandler(destinations[1], 0),
          defaultScore: 50,
        })
        .addSubscriber(names[2], {
          handler: (_s, payload, tx) => {
            if (refusals-- > 0) throw new Error("refused");
            tx.rpush(destinations[2], payload);
          },
        })
        .addSubscriber(names[3], {
          handler: genericSetHandler(destinations[0], 0),
          defaultScore: 50,
        });
    const pub = makePublisher(s.redis);

    const { lines } = await captureConsole(async () => {
      assert.equal(await pub.addPayloads(...HOSTILE), HOSTILE.length);
      // A publisher that dies between its two requests leaves payloads in flight (publishMax:
      // all to the custom handler, the highest score); recover() puts them back.
      await assert.rejects(makePublisher(dyingClient(s.redis, 1)).publishMax(8));
      assert.equal((await pub.recover(0)).payloads, 8);
      refusals = 3; // the dead publisher's handlers ran too
      // One random publish shares them out; refused payloads come back and go out again.
      const failures = [];
      for (let round = 0; round < 10 && (await pub.queueSize()) > 0; round++) {
        failures.push(
          ...(await pub[round === 0 ? "publish" : "publishMax"](HOSTILE.length)).failures,
        );
      }
      assert.equal(failures.length, 3);
      for (const name of names) await pub.getSubscriber(name)!.addScore(-1);
    });
    assert.deepEqual(lines, [], "nothing is logged");
    for (const d of destinations) assert.ok((await contents(s.raw, d)).length > 0, d);

    const received = (await Promise.all(destinations.map((d) => contents(s.raw, d)))).flat();
    assert.deepEqual(received.sort(), [...HOSTILE].sort(), "every payload arrived unchanged");
    assert.equal(await pub.queueSize(), 0);
    const scores = await pub.scores();
    assert.deepEqual(Object.keys(scores), names, "hostile names are plain score members");
    assert.deepEqual(
      (await s.raw.zrange(key("scores ARGV[1]"), 0, -1)).map(String).sort(),
      [...names].sort(),
    );
    // Only the publisher's own keys (and its short-lived call records) exist under the prefix.
    const own = [...(await allKeys(s.raw))].filter((k) => k.startsWith(s.key("hostile")));
    const expected = new Set([...destinations, key("scores ARGV[1]")]);
    for (const k of own) {
      assert.ok(
        expected.has(k) || k.startsWith(`${key("queue")}:call:`) ||
          k.startsWith(`${key("scores ARGV[1]")}:call:`),
        `unexpected key ${JSON.stringify(k)}`,
      );
    }
    const after = await allKeys(s.raw);
    for (const k of outside) {
      if (!after.has(k) && !k.includes(":call:")) assert.fail(`key ${k} vanished`);
    }
    for (const k of after) {
      if (!k.startsWith(s.key("hostile"))) {
        assert.ok(outside.includes(k), `key ${JSON.stringify(k)} appeared outside the prefix`);
      }
    }
    await assertCanaryAlive();
  });

  it("has the release script refuse any command outside the handler batch's allowlist", async () => {
    const key = (name: string) => s.key(`release:${name}`);
    const callId = "call-1";
    await s.raw.zadd(key("queue:inflight-index"), { score: 1, member: callId });
    for (const command of ["flushall", "eval", "keys", "config", "del"]) {
      const args = ["list", callId, "60000", "1", "deliver", "1", command, "0"];
      const keys = [key("queue"), key("queue:inflight"), key("queue:inflight-index"), key("rec")];
      await assert.rejects(
        s.raw.evalsha(await RELEASE.sha1(), keys, args).catch(async (error) => {
          if (!/NOSCRIPT/.test(String(error))) throw error;
          return await s.raw.eval(RELEASE.source, keys, args);
        }),
        new RegExp(`command not allowed: ${command}`),
      );
    }
    await assertCanaryAlive();
  });
});

// -------------------------------------------------------------------------------------------
// The Lua scripts, statically
// -------------------------------------------------------------------------------------------

/** Lua source without comments. */
function code(source: string): string {
  return source.replace(/--[^\n]*/g, "");
}

/** The comma-separated top-level arguments of the call whose "(" is at `open`. */
function callArgs(source: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0, current = "", quote = "";
  for (let i = open + 1; i < source.length; i++) {
    const c = source[i];
    if (quote) {
      current += c;
      if (c === "\\") current += source[++i];
      else if (c === quote) quote = "";
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      current += c;
    } else if ("([{".includes(c)) {
      depth++;
      current += c;
    } else if (")]}".includes(c)) {
      if (depth === 0) {
        args.push(current.trim());
        return args;
      }
      depth--;
      current += c;
    } else if (c === "," && depth === 0) {
      args.push(current.trim());
      current = "";
    } else current += c;
  }
  throw new Error(`unbalanced call at ${open}`);
}

/** Every `redis.call(...)` / `redis.pcall(...)` with its arguments. */
function redisCalls(lua: string): string[][] {
  return [...lua.matchAll(/redis\.p?call\s*\(/g)].map((m) =>
    callArgs(lua, m.index! + m[0].length - 1)
  );
}

/** The identifiers of a path such as `command.args[1]` or `dests[i]`, outside brackets. */
function pathNames(expression: string): string[] {
  const outside = expression.replace(/\[[^\]]*\]/g, "");
  return outside.split(".").map((part) => part.trim());
}

/**
 * The key arguments of a Lua source that are not taken from KEYS: the second
 * argument of every `redis.call`/`redis.pcall`, and what callers pass to a
 * local helper's parameter that the helper uses as a key. A key is `KEYS[...]`
 * or a variable (or table) assigned from `KEYS[...]`.
 */
function keyViolations(source: string): string[] {
  const lua = code(source);
  const calls = redisCalls(lua);
  // Names assigned from KEYS: `local a, b = KEYS[1], KEYS[2]`, `dests[i] = KEYS[...]`.
  const fromKeys = new Set<string>();
  for (const m of lua.matchAll(/([\w.[\], \t]+?)\s*=\s*([^\n]+)/g)) {
    // The last word of each target: "local a" -> a, "if X then args[1]" -> args[1].
    const targets = m[1].split(",").map((t) => t.trim().split(/\s+/).at(-1)!);
    const values = m[2].split(/,(?![^[(]*[\])])/).map((v) => v.trim());
    targets.forEach((target, i) => {
      if (values[i]?.startsWith("KEYS[")) fromKeys.add(pathNames(target).at(-1)!);
    });
  }
  // Parameters of local helpers used as keys inside them, by position; their call sites are
  // checked below, so inside the helper the parameter counts as a key.
  const keyParams = new Map<string, number[]>();
  const params = new Set<string>();
  for (const m of lua.matchAll(/local function (\w+)\(([^)]*)\)/g)) {
    const names = m[2].split(",").map((p) => p.trim()).filter(Boolean);
    const positions = names.flatMap((p, i) => calls.some((args) => args[1] === p) ? [i] : []);
    positions.forEach((i) => params.add(names[i]));
    if (positions.length > 0) keyParams.set(m[1], positions);
  }
  const isKey = (expression: string): boolean => {
    if (/^["'[]/.test(expression)) return false; // a literal
    const unpacked = /^unpack\((.*)\)$/.exec(expression);
    if (unpacked) return isKey(unpacked[1]);
    if (expression.startsWith("KEYS[")) return true;
    const names = pathNames(expression);
    return names.some((n) => fromKeys.has(n)) || (names.length === 1 && params.has(names[0]));
  };
  const violations: string[] = [];
  for (const args of calls) {
    if (args.length >= 2 && !isKey(args[1])) violations.push(`redis.call(${args.join(", ")})`);
  }
  for (const [helper, positions] of keyParams) {
    for (const m of lua.matchAll(new RegExp(`(?<!function )\\b${helper}\\(`, "g"))) {
      const args = callArgs(lua, m.index! + m[0].length - 1);
      for (const at of positions) {
        if (!isKey(args[at])) violations.push(`${helper}(${args.join(", ")})`);
      }
    }
  }
  return violations;
}

const DANGEROUS = [
  "FLUSHALL",
  "FLUSHDB",
  "KEYS",
  "SCAN",
  "EVAL",
  "EVALSHA",
  "EVAL_RO",
  "FCALL",
  "SCRIPT",
  "CONFIG",
  "DEBUG",
  "SHUTDOWN",
  "MIGRATE",
  "MOVE",
  "SWAPDB",
  "SELECT",
  "RANDOMKEY",
];

describe("security: the Lua scripts (static)", () => {
  const fileText = readFileSync(new URL("../src/scripts.ts", import.meta.url), "utf8");

  it("declare their KEYS and ARGV in each script's documentation", () => {
    for (const script of ALL_SCRIPTS) {
      const declaration = new RegExp(
        `/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*export const \\w+: LuaScript = new LuaScript\\(\\s*"${script.name}"`,
      ).exec(fileText);
      assert.ok(declaration, `${script.name} has a doc comment`);
      assert.match(declaration[1], /KEYS:/, `${script.name} documents its KEYS`);
      assert.match(declaration[1], /ARGV:/, `${script.name} documents its ARGV`);
      assert.match(code(script.source), /KEYS\[/, `${script.name} reads its keys from KEYS`);
    }
  });

  it("pass no string literal as a key and take every key from KEYS (directly or via variables)", () => {
    for (const script of ALL_SCRIPTS) {
      assert.deepEqual(keyViolations(script.source), [], script.name);
    }
  });

  it("has a key checker that catches literal keys, ARGV keys and helpers given a non-key", () => {
    const helper = "local function put(key, v) redis.call('SADD', key, v) end\n";
    const bad = [
      'redis.call("DEL", "victim")',
      "redis.call('SET', ARGV[1], 'x')",
      "local k = ARGV[2]\nredis.call('GET', k)",
      "local q = KEYS[1]\n" + helper + "put(ARGV[1], q)",
      "redis.call('SADD', KEYS[1], ARGV[1])\nredis.call('SADD', [[literal]], 1)",
    ];
    for (const lua of bad) assert.notDeepEqual(keyViolations(lua), [], lua);
    const good = "local q, r = KEYS[1], KEYS[2]\n" + helper + "put(q, ARGV[1])\n" +
      "redis.call('RPUSH', r, unpack(ARGV))";
    assert.deepEqual(keyViolations(good), []);
  });

  it("run no dangerous command, no dynamic code, and only allowlisted dynamic commands", () => {
    for (const script of ALL_SCRIPTS) {
      const lua = code(script.source);
      assert.doesNotMatch(lua, /\b(loadstring|load|dofile|require|setfenv|getfenv)\s*\(/);
      assert.doesNotMatch(lua, /math\.random|\bos\.|\bio\./, `${script.name}: no clock or I/O`);
      for (const args of redisCalls(lua)) {
        const literal = /^["'](\w+)["']$/.exec(args[0]);
        if (literal) {
          assert.ok(!DANGEROUS.includes(literal[1].toUpperCase()), `${script.name}: ${args[0]}`);
        }
      }
      for (const literal of lua.matchAll(/["'](\w+)["']/g)) {
        assert.ok(
          !["FLUSHALL", "FLUSHDB", "EVAL", "SCRIPT", "CONFIG"].includes(literal[1].toUpperCase()),
          `${script.name} mentions ${literal[0]}`,
        );
      }
    }
    // The one script that runs commands named by its caller checks them against the batch's
    // methods, which are all single-key data commands.
    const release = code(RELEASE.source);
    assert.match(release, /if KEY_TYPES\[name\] == nil then return redis\.error_reply/);
    const table = /local KEY_TYPES = \{([^}]*)\}/.exec(release);
    assert.ok(table);
    const allowed = [...table[1].matchAll(/(\w+)\s*=/g)].map((m) => m[1]).sort();
    assert.deepEqual(allowed, [
      "hincrby",
      "hset",
      "incr",
      "incrby",
      "lpush",
      "publish",
      "rpush",
      "sadd",
      "set",
      "xadd",
      "zadd",
      "zincrby",
    ]);
  });
});

// -------------------------------------------------------------------------------------------
// The endpoint
// -------------------------------------------------------------------------------------------

function emptyStats(): EndpointStats {
  return { requests: 0, commands: 0, pipelines: 0, transactions: 0, singles: 0, errors: 0 };
}

/** A backend that answers OK, or fails as `fail` says. */
function backend(fail?: () => never): RedisBackend {
  const run = (commands: readonly (readonly string[])[]) => {
    fail?.();
    return Promise.resolve(commands.map(() => "OK"));
  };
  return { ready: true, pipeline: run, transaction: run, close: () => Promise.resolve() };
}

/** No stack frame, no source path, no token in `text`. */
function assertClean(text: string, token: string, what: string) {
  assert.ok(!text.includes(token), `${what}: contains the token`);
  assert.doesNotMatch(text, /\bat \S+ \(|\bat (file|http|node|ext):|\.ts:\d+|file:\/\//, what);
}

describe("security: the endpoint", () => {
  const upstashLocal = readFileSync(new URL("../tools/upstash_local.ts", import.meta.url), "utf8");

  it("compares tokens in constant time: SHA-256 digests compared without an early exit", () => {
    const checker = /function bearerChecker[\s\S]*?\n}\n/.exec(upstashLocal)?.[0] ?? "";
    assert.match(checker, /sha256\(token\)/, "the expected token is hashed");
    assert.match(checker, /equalBytes\(/, "digests are compared with equalBytes");
    const equalBytes = /function equalBytes[\s\S]*?\n}\n/.exec(upstashLocal)?.[0] ?? "";
    assert.match(equalBytes, /\|=/, "differences are accumulated");
    const body = equalBytes.slice(equalBytes.indexOf("{"));
    assert.equal([...body.matchAll(/\breturn\b/g)].length, 1, "a single return, after the loop");
    assert.doesNotMatch(body, /\bbreak\b|\bif\b/, "no branch on the data");
    // Nowhere is the token or the Authorization header compared as a string.
    for (const m of upstashLocal.matchAll(/[^\n]*\b(token|authorization)\b[^\n]*/gi)) {
      const line = m[0];
      if (/^\s*(\*|\/\/)/.test(line)) continue; // comments
      assert.doesNotMatch(
        line.replace(/token === ""/, ""),
        /(===|!==|==|!=)\s*[\w.`$]*token|token\s*(===|!==)|authorization[^;]*(===|!==)/i,
        line,
      );
    }
  });

  it("refuses tokens that are a prefix, an extension or another case of the real one", async () => {
    const token = "Secret-Token-" + randomHex(8);
    const handler = createUpstashHandler({ backend: backend(), token, stats: emptyStats() });
    const post = (auth: string) =>
      handler(
        new Request("http://local/", {
          method: "POST",
          headers: { authorization: auth },
          body: '["ping"]',
        }),
      );
    for (
      const candidate of [
        token.slice(0, -1),
        `${token}x`,
        token.toUpperCase(),
        token.toLowerCase(),
        `x${token.slice(1)}`,
        `${token.slice(0, -1)}x`,
      ]
    ) {
      const response = await post(`Bearer ${candidate}`);
      const text = await response.text();
      assert.equal(response.status, 401, JSON.stringify(candidate));
      assertClean(text, token, "401 body");
    }
    assert.equal((await post(`Bearer ${token}`)).status, 200);
    assert.equal((await post(`bearer ${token}`)).status, 200, "the scheme is case-insensitive");
  });

  it("answers 401 before reading the body of an unauthorized request", async () => {
    const handler = createUpstashHandler({ backend: backend(), token: "t", stats: emptyStats() });
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new TextEncoder().encode("x".repeat(64 * 1024)));
      },
    });
    const response = await handler(
      new Request("http://local/pipeline", {
        method: "POST",
        headers: { authorization: "Bearer wrong" },
        body: endless,
        duplex: "half",
      } as RequestInit),
    );
    assert.equal(response.status, 401);
    assert.ok(pulled <= 1, `read ${pulled} chunks of an unauthorized body`);
  });

  it("limits bodies to 10 MiB by default (413), accepting one exactly at the limit", async () => {
    const limit = 10 * 1024 * 1024;
    const stats = emptyStats();
    const handler = createUpstashHandler({ backend: backend(), token: "t", stats });
    const bodyOf = (size: number) => {
      const head = '["echo","', tail = '"]';
      return head + "x".repeat(size - head.length - tail.length) + tail;
    };
    const send = (body: string) =>
      handler(
        new Request("http://local/", {
          method: "POST",
          headers: { authorization: "Bearer t" },
          body: new Blob([body]).stream(),
          duplex: "half",
        } as RequestInit),
      );
    const over = await send(bodyOf(limit + 1));
    assert.equal(over.status, 413);
    assert.match((await over.json()).error, /max request size exceeded/);
    const at = await send(bodyOf(limit));
    assert.equal(at.status, 200);
    assert.equal(stats.commands, 1, "only the body within the limit ran");
  });

  it("answers every error without a stack trace, a source path or the token, and logs none", async () => {
    const token = randomHex(16);
    const logs: string[] = [];
    const failing = (error: Error) =>
      createUpstashHandler({
        backend: backend(() => {
          throw error;
        }),
        token,
        stats: emptyStats(),
        log: (message) => void logs.push(message),
      });
    const ok = createUpstashHandler({ backend: backend(), token, stats: emptyStats() });
    const request = (path: string, init: { method?: string; auth?: string; body?: string } = {}) =>
      new Request(`http://local${path}`, {
        method: init.method ?? "POST",
        headers: { authorization: init.auth ?? `Bearer ${token}` },
        body: init.body ?? (init.method === "GET" ? undefined : '["ping"]'),
      });
    const internal = new Error("boom in /secret/path/backend.ts:12:3");
    const cases: [string, Promise<Response>, number][] = [
      ["401", ok(request("/", { auth: `Bearer ${token}x` })), 401],
      ["404", ok(request("/nowhere")), 404],
      ["405", ok(request("/pipeline", { method: "GET" })), 405],
      ["400", ok(request("/", { body: "{not json" })), 400],
      ["400 nested", ok(request("/", { body: '["set",["x"]]' })), 400],
      [
        "413",
        (createUpstashHandler({ backend: backend(), token, stats: emptyStats(), maxBodyBytes: 4 }))(
          request("/"),
        ),
        413,
      ],
      ["500", failing(internal)(request("/")), 500],
      [
        "500 pipeline",
        failing(new TypeError("x is not a function"))(request("/pipeline", { body: '[["ping"]]' })),
        500,
      ],
      [
        "503",
        failing(new RedisUnavailableError("connect ECONNREFUSED 127.0.0.1:6379"))(request("/")),
        503,
      ],
    ];
    for (const [what, pending, status] of cases) {
      const response = await pending;
      const text = await response.text();
      assert.equal(response.status, status, what);
      assert.deepEqual(Object.keys(JSON.parse(text)), ["error"], `${what}: a JSON error`);
      assertClean(text, token, what);
      assert.ok(!text.includes("/secret/path"), `${what}: leaks the internal message`);
    }
    // The internal error is logged as one line: its message only, never its stack.
    assert.ok(logs.length >= 1);
    for (const line of logs) {
      assert.doesNotMatch(line, /\n\s+at /, "no stack in the log");
    }
  });

  const noOther = OTHER_ADDRESSES.length === 0
    ? { skip: "no non-loopback IPv4 address on this machine" }
    : {};
  it(
    "binds loopback only by default: not reachable on the machine's other addresses",
    noOther,
    async () => {
      const server = await startRedisServer();
      const endpoint = await startUpstashLocal({ redisUrl: server.url, quiet: true });
      try {
        const port = new URL(endpoint.url).port;
        assert.equal(new URL(endpoint.url).hostname, "127.0.0.1");
        assert.equal((await fetch(`${endpoint.url}/`)).status, 200, "reachable on loopback");
        for (const address of OTHER_ADDRESSES) {
          const reached = await fetch(`http://${address}:${port}/`, {
            signal: AbortSignal.timeout(2_000),
          }).then(async (r) => {
            await r.body?.cancel();
            return true;
          }, () => false);
          assert.equal(reached, false, `reachable on ${address}`);
        }
      } finally {
        await endpoint.close();
        await server.stop();
      }
    },
  );

  it("never writes the token to its log: start, bad requests, a Redis restart, shutdown", async () => {
    const server = await startRedisServer();
    const token = `log-token-${randomHex(12)}`;
    const { lines } = await captureConsole(async () => {
      const endpoint = await startUpstashLocal({ redisUrl: server.url, token, quiet: false });
      try {
        const post = (path: string, auth: string, body: string) =>
          fetch(`${endpoint.url}${path}`, {
            method: "POST",
            headers: { authorization: auth, "content-type": "application/json" },
            body,
          }).then((r) => r.text());
        await post("/", `Bearer ${token}`, '["ping"]');
        await post("/", `Bearer ${token.slice(1)}`, '["ping"]');
        await post("/", `Bearer ${token}`, "{bad json");
        await post("/pipeline", `Bearer ${token}`, '[["eval", "error()", 0]]');
        await server.restart(); // logs the lost connection and the reconnection
        const redis = new Redis({
          url: endpoint.url,
          token,
          enableTelemetry: false,
          enableAutoPipelining: false,
          retry: false,
        });
        assert.equal(await redis.ping(), "PONG");
      } finally {
        await endpoint.close();
        await server.stop();
      }
    });
    assert.ok(lines.some((line) => /upstash-local/.test(line)), "the restart was logged");
    for (const line of lines) assertClean(line, token, `log line ${JSON.stringify(line)}`);
  });
});
