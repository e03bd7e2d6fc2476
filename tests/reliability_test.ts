/**
 * Reliability under injected faults (issue 6). Each group starts its own persistent
 * redis-server and a local endpoint with fault injection (`tools/faults.ts`), so faults never
 * reach the other test files. Every scenario checks conservation (every payload in exactly one
 * place) before and after, that the report returned to the caller matches what Redis holds, that
 * scores stay within their bounds, and that the next publish works.
 *
 * @module
 */

import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import {
  genericListHandler,
  genericSetHandler,
  type HandlerBatch,
  Publisher,
  PublishError,
  type PublishReport,
  RedisRequestError,
  Subscriber,
} from "../mod.ts";
import { parseFaultSpec } from "../tools/faults.ts";
import { type RedisServer, startRedisServer } from "../tools/redis_server.ts";
import {
  type FaultInjector,
  type FaultKind,
  startUpstashLocal,
  type UpstashLocal,
} from "../tools/upstash_local.ts";
import { assertConserved, type Places } from "./support/conservation.ts";
import { loadScripts, range } from "./support/fixtures.ts";

/** A redis-server (persistent, so it can restart mid-run) and a faulty endpoint before it. */
interface Rig {
  server: RedisServer;
  endpoint: UpstashLocal;
  faults: FaultInjector;
  /** The library's client: JSON parsing on, no auto-pipelining, fast retries. */
  redis: Redis;
  /** Raw strings, for reading back what Redis holds. */
  raw: Redis;
}

async function startRig(): Promise<Rig> {
  const server = await startRedisServer({ persistent: true });
  const endpoint = await startUpstashLocal({
    redisUrl: server.url,
    quiet: true,
    injectFaults: { restartRedis: () => server.restart() },
  });
  const client = (automaticDeserialization: boolean) =>
    new Redis({
      url: endpoint.url,
      token: endpoint.token,
      enableTelemetry: false,
      enableAutoPipelining: false,
      automaticDeserialization,
      // @upstash/redis resends a request whose connection failed; keep its back-off short.
      retry: { retries: 3, backoff: () => 5 },
    });
  const redis = client(true);
  await loadScripts(redis);
  return { server, endpoint, faults: endpoint.faults!, redis, raw: client(false) };
}

async function stopRig(rig: Rig | undefined): Promise<void> {
  await rig?.endpoint.close();
  await rig?.server.stop();
}

const BOUNDS = { defaultScore: 20, minScore: 2, maxScore: 20 };
const PAYLOADS = 60;
const BATCH = 12;

/** A publisher with two generic subscribers (set, list) and, for "custom", a custom one. */
interface Director {
  pub: Publisher;
  /** The subscriber side of "a". */
  sub: Subscriber;
  places: Places;
  payloads: string[];
  queue: string;
  scoreKey: string;
  names: string[];
  /** The custom subscriber's destination (a set), when there is one. */
  customDest?: string;
}

let serial = 0;

function director(rig: Rig, flavour: "generic" | "custom"): Director {
  const prefix = `rel:${++serial}:${crypto.randomUUID().slice(0, 8)}`;
  const queue = `${prefix}:q`, scoreKey = `${prefix}:s`;
  const a = `${prefix}:a`, b = `${prefix}:b`, c = `${prefix}:c`;
  const pub = new Publisher({ redis: rig.redis, scoreKey, queueKey: queue, seed: 7 })
    .addSubscriber("a", { handler: genericSetHandler(a, -1), ...BOUNDS })
    .addSubscriber("b", { handler: genericListHandler(b, -2), ...BOUNDS });
  const destinations = [a, b];
  if (flavour === "custom") {
    pub.addSubscriber("c", {
      handler: (_s, payload, tx: HandlerBatch) => void tx.sadd(c, payload),
      scoreChange: -1,
      ...BOUNDS,
    });
    destinations.push(c);
  }
  const sub = new Subscriber({ redis: rig.redis, scoreKey, scoreMember: "a", ...BOUNDS });
  return {
    pub,
    sub,
    places: { queue, destinations },
    payloads: range(PAYLOADS, `${prefix}-p`),
    queue,
    scoreKey,
    names: flavour === "custom" ? ["a", "b", "c"] : ["a", "b"],
    customDest: flavour === "custom" ? c : undefined,
  };
}

/** What Redis holds for a director: queue, in flight, destination sizes, scores. */
interface Snapshot {
  queue: number;
  inFlight: number;
  sizes: Record<string, number>;
  scores: Record<string, number>;
}

async function snapshot(rig: Rig, d: Director): Promise<Snapshot> {
  const status = await d.pub.status();
  const sizes: Record<string, number> = {};
  const scores: Record<string, number> = {};
  for (const name of d.names) {
    const s = status.subscribers[name];
    sizes[name] = s.destinationSize ?? await rig.raw.scard(d.customDest!);
    scores[name] = s.score;
  }
  return { queue: status.queueSize, inFlight: status.inFlight, sizes, scores };
}

async function assertScoresInBounds(d: Director): Promise<void> {
  for (const [name, score] of Object.entries(await d.pub.scores())) {
    assert.ok(
      score >= BOUNDS.minScore && score <= BOUNDS.maxScore,
      `${name}'s score ${score} is outside [${BOUNDS.minScore}, ${BOUNDS.maxScore}]`,
    );
  }
}

/** The report says exactly what moved between the two snapshots. */
function assertReportMatches(report: PublishReport, was: Snapshot, now: Snapshot): void {
  assert.equal(report.popped, report.delivered + report.returned + report.inFlight);
  assert.equal(now.queue, was.queue - report.popped + report.returned, "queue size");
  assert.equal(now.inFlight, was.inFlight + report.inFlight, "in flight");
  for (const name of Object.keys(now.sizes)) {
    assert.equal(now.sizes[name] - was.sizes[name], report.bySubscriber[name], `${name} got`);
    assert.equal(report.scores[name].before, was.scores[name], `${name}'s score before`);
    assert.equal(report.scores[name].after, now.scores[name], `${name}'s score after`);
  }
}

/** Adds the payloads and checks conservation: the state every scenario starts from. */
async function prepare(rig: Rig, d: Director): Promise<Snapshot> {
  assert.equal(await d.pub.addPayloads(...d.payloads), PAYLOADS);
  await assertConserved(rig.raw, d.places, d.payloads);
  return await snapshot(rig, d);
}

/** No fault left: a publish works and its report matches Redis; conservation holds. */
async function assertNextPublishWorks(rig: Rig, d: Director): Promise<void> {
  rig.faults.clear();
  const was = await snapshot(rig, d);
  const report = await d.pub.publish(BATCH);
  assert.equal(report.popped, Math.min(BATCH, was.queue));
  assertReportMatches(report, was, await snapshot(rig, d));
  await assertScoresInBounds(d);
  await assertConserved(rig.raw, d.places, d.payloads);
}

/** Runs `fn` and returns its value with the number of HTTP requests the endpoint received. */
async function counted<T>(rig: Rig, fn: () => Promise<T>): Promise<{ value: T; requests: number }> {
  const before = rig.endpoint.stats().requests;
  const value = await fn();
  return { value, requests: rig.endpoint.stats().requests - before };
}

function fired(rig: Rig, kind: FaultKind): number {
  return rig.faults.state().fired[kind];
}

/**
 * Faults after which the call succeeds, with the HTTP requests the endpoint sees for a publish
 * with generic handlers (1 without a fault) and what the library counts in `report.requests`.
 */
const TRANSPARENT: { kind: FaultKind; endpoint: number; library: number; ms?: number }[] = [
  { kind: "latency", endpoint: 1, library: 1, ms: 50 },
  { kind: "slow-script", endpoint: 1, library: 1, ms: 50 },
  { kind: "script-flush", endpoint: 2, library: 2 }, // NOSCRIPT, then a resend with SCRIPT LOAD
  { kind: "redis-restart", endpoint: 2, library: 2 }, // the data survives, the script cache not
  { kind: "reset", endpoint: 2, library: 1 }, // the client resends the request
  { kind: "drop-after-execute", endpoint: 2, library: 1 }, // ditto, and gets the first result
];

describe("reliability: faults during a publish with generic handlers", () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  afterEach(() => rig.faults.clear());
  after(() => stopRig(rig));

  for (const { kind, endpoint, library, ms } of TRANSPARENT) {
    it(`${kind}: the publish succeeds once, its report matches Redis, nothing lost or twice`, async () => {
      const d = director(rig, "generic");
      const was = await prepare(rig, d);
      rig.faults.next({ kind, match: d.queue, ms });
      const { value: report, requests } = await counted(rig, () => d.pub.publish(BATCH));
      assert.equal(fired(rig, kind), 1);
      assert.deepEqual([requests, report.requests], [endpoint, library]);
      assert.equal(report.popped, BATCH);
      assertReportMatches(report, was, await snapshot(rig, d));
      await assertScoresInBounds(d);
      await assertConserved(rig.raw, d.places, d.payloads);
      await assertNextPublishWorks(rig, d);
    });
  }

  it("error-before (a 5xx): the publish throws RedisRequestError and nothing moved", async () => {
    const d = director(rig, "generic");
    const was = await prepare(rig, d);
    rig.faults.next({ kind: "error-before", match: d.queue, status: 502 });
    const { requests } = await counted(rig, () =>
      assert.rejects(d.pub.publish(BATCH), (error) => {
        assert.ok(error instanceof RedisRequestError, String(error));
        assert.match(error.message, /injected fault \(error-before\)/);
        return true;
      }));
    assert.equal(requests, 1, "a 5xx is not resent");
    assert.deepEqual(await snapshot(rig, d), was);
    await assertConserved(rig.raw, d.places, d.payloads);
    await assertNextPublishWorks(rig, d);
  });

  it("drop-after-execute on every resend: the publish throws, yet Redis applied it exactly once", async () => {
    const d = director(rig, "generic");
    const was = await prepare(rig, d);
    // More drops than any client resends: the caller never learns the outcome.
    rig.faults.next({ kind: "drop-after-execute", match: d.queue, count: 50 });
    await assert.rejects(d.pub.publish(BATCH), RedisRequestError);
    assert.ok(fired(rig, "drop-after-execute") >= 4, "every resend was dropped");
    rig.faults.clear();
    const now = await snapshot(rig, d);
    assert.equal(now.queue, was.queue - BATCH, "popped once, not once per resend");
    assert.equal(now.sizes.a + now.sizes.b, BATCH);
    // Each delivery lowered its receiver's score once: a by 1, b by 2.
    assert.equal(now.scores.a, Math.max(BOUNDS.defaultScore - now.sizes.a, BOUNDS.minScore));
    assert.equal(now.scores.b, Math.max(BOUNDS.defaultScore - 2 * now.sizes.b, BOUNDS.minScore));
    await assertScoresInBounds(d);
    await assertConserved(rig.raw, d.places, d.payloads);
    await assertNextPublishWorks(rig, d);
  });

  it("slow-script: a subscriber's addScore during a slow publish is applied atomically, once", async () => {
    const d = director(rig, "generic");
    await prepare(rig, d);
    rig.faults.next({ kind: "slow-script", match: d.queue, ms: 200 });
    const [report, added] = await Promise.all([d.pub.publish(BATCH), d.sub.addScore(5)]);
    assert.equal(fired(rig, "slow-script"), 1);
    assert.equal(report.popped, BATCH);
    const now = await snapshot(rig, d);
    const publishLast = now.scores.a === report.scores.a.after;
    const addLast = now.scores.a === added &&
      added === Math.min(report.scores.a.after + 5, BOUNDS.maxScore);
    assert.ok(publishLast || addLast, `score ${now.scores.a} is neither order's result`);
    assert.equal(now.sizes.a + now.sizes.b, BATCH);
    await assertScoresInBounds(d);
    await assertConserved(rig.raw, d.places, d.payloads);
    await assertNextPublishWorks(rig, d);
  });
});

describe("reliability: faults during a publish with custom handlers", () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  afterEach(() => rig.faults.clear());
  after(() => stopRig(rig));

  for (const request of [1, 2] as const) {
    for (const { kind, endpoint, library, ms } of TRANSPARENT) {
      it(`${kind} on request ${request} of 2: succeeds once, report matches Redis, nothing lost or twice`, async () => {
        const d = director(rig, "custom");
        const was = await prepare(rig, d);
        rig.faults.next({ kind, match: d.queue, skip: request - 1, ms });
        const { value: report, requests } = await counted(rig, () => d.pub.publish(BATCH));
        assert.equal(fired(rig, kind), 1);
        assert.ok(report.bySubscriber.c > 0, "the custom subscriber took part");
        assert.deepEqual([requests, report.requests], [endpoint + 1, library + 1]);
        assert.deepEqual([report.popped, report.inFlight, report.returned], [BATCH, 0, 0]);
        assertReportMatches(report, was, await snapshot(rig, d));
        await assertScoresInBounds(d);
        await assertConserved(rig.raw, d.places, d.payloads);
        await assertNextPublishWorks(rig, d);
      });
    }
  }

  it("error-before on request 1: the publish throws RedisRequestError and nothing moved", async () => {
    const d = director(rig, "custom");
    const was = await prepare(rig, d);
    rig.faults.next({ kind: "error-before", match: d.queue });
    await assert.rejects(d.pub.publish(BATCH), (error) => {
      assert.ok(error instanceof RedisRequestError && !(error instanceof PublishError));
      return true;
    });
    assert.deepEqual(await snapshot(rig, d), was);
    await assertConserved(rig.raw, d.places, d.payloads);
    await assertNextPublishWorks(rig, d);
  });

  it("error-before on request 2: PublishError's report matches Redis; recover() puts the in-flight payloads back", async () => {
    const d = director(rig, "custom");
    const was = await prepare(rig, d);
    rig.faults.next({ kind: "error-before", match: d.queue, skip: 1 });
    const error = await d.pub.publish(BATCH).then(
      () => assert.fail("the publish should have failed"),
      (error: unknown) => error,
    );
    assert.ok(error instanceof PublishError, String(error));
    const { report } = error;
    assert.ok(report.inFlight > 0);
    assert.equal(report.bySubscriber.c, 0, "nothing reached the custom subscriber");
    assert.deepEqual([report.popped, report.delivered], [BATCH, BATCH - report.inFlight]);
    const now = await snapshot(rig, d);
    assertReportMatches(report, was, now);
    await assertConserved(rig.raw, d.places, d.payloads);

    const recovered = await d.pub.recover(0);
    assert.equal(recovered.payloads, report.inFlight);
    const back = await snapshot(rig, d);
    assert.deepEqual([back.inFlight, back.queue], [0, now.queue + report.inFlight]);
    await assertScoresInBounds(d);
    await assertConserved(rig.raw, d.places, d.payloads);
    await assertNextPublishWorks(rig, d);
  });

  it("a failed NOSCRIPT resend of request 2: PublishError's report counts every request sent", async () => {
    const d = director(rig, "custom");
    const was = await prepare(rig, d);
    rig.faults
      .next({ kind: "script-flush", match: d.queue, skip: 1 }) // request 2 meets NOSCRIPT
      .next({ kind: "error-before", match: d.queue, skip: 2 }); // its resend fails
    const { value: error, requests } = await counted(
      rig,
      () => d.pub.publish(BATCH).then(() => undefined, (error: unknown) => error),
    );
    assert.ok(error instanceof PublishError, String(error));
    assert.deepEqual([fired(rig, "script-flush"), fired(rig, "error-before")], [1, 1]);
    assertReportMatches(error.report, was, await snapshot(rig, d));
    assert.equal(await d.pub.recover(0).then((r) => r.payloads), error.report.inFlight);
    await assertConserved(rig.raw, d.places, d.payloads);
    await assertNextPublishWorks(rig, d);
    assert.equal(error.report.requests, requests, "report.requests counts all 3 requests");
  });

  it("drop-after-execute on every resend of request 2: the writes land once; the caller gets a PublishError", async () => {
    const d = director(rig, "custom");
    const was = await prepare(rig, d);
    rig.faults.next({ kind: "drop-after-execute", match: d.queue, skip: 1, count: 50 });
    const error = await d.pub.publish(BATCH).then(() => undefined, (error: unknown) => error);
    assert.ok(error instanceof PublishError, String(error));
    assert.ok(fired(rig, "drop-after-execute") >= 4, "every resend was dropped");
    rig.faults.clear();
    // The release ran (once) although the caller could not learn it: nothing stays in flight.
    const now = await snapshot(rig, d);
    assert.equal(now.inFlight, 0);
    assert.equal(now.queue, was.queue - BATCH);
    assert.equal(now.sizes.a + now.sizes.b + now.sizes.c, BATCH);
    assert.deepEqual(await d.pub.recover(0), { calls: 0, payloads: 0, requests: 1 });
    await assertScoresInBounds(d);
    await assertConserved(rig.raw, d.places, d.payloads);
    await assertNextPublishWorks(rig, d);
  });
});

describe("reliability: faults while adding payloads", () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  afterEach(() => rig.faults.clear());
  after(() => stopRig(rig));

  for (const kind of ["drop-after-execute", "reset", "script-flush"] as const) {
    it(`${kind}: addPayloads to a list queue adds each payload once and counts it once`, async () => {
      const queue = `rel:add:${crypto.randomUUID()}`;
      const pub = new Publisher({
        redis: rig.redis,
        scoreKey: `${queue}:s`,
        queueKey: queue,
        queue: "list",
      })
        .addSubscriber("a", { handler: genericSetHandler(`${queue}:a`) });
      const payloads = range(30, `${kind}-`);
      rig.faults.next({ kind, match: queue });
      assert.equal(await pub.addPayloads(...payloads), 30);
      assert.equal(fired(rig, kind), 1);
      await assertConserved(rig.raw, { queue, destinations: [`${queue}:a`] }, payloads);
      assert.equal((await pub.publish(10)).delivered, 10);
      await assertConserved(rig.raw, { queue, destinations: [`${queue}:a`] }, payloads);
    });
  }
});

describe("reliability: faults during subscriber-side score changes", () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  afterEach(() => rig.faults.clear());
  after(() => stopRig(rig));

  for (const { kind, endpoint, ms } of TRANSPARENT) {
    it(`${kind}: addScore is applied exactly once and clamped; the next publish works`, async () => {
      const d = director(rig, "custom");
      await prepare(rig, d);
      await d.sub.setScore(10);
      rig.faults.next({ kind, match: d.scoreKey, ms });
      const { value: score, requests } = await counted(rig, () => d.sub.addScore(3));
      assert.equal(fired(rig, kind), 1);
      assert.equal(requests, endpoint);
      assert.equal(score, 13, "applied once (twice would be 16)");
      assert.equal(await d.sub.getScore(), 13);
      rig.faults.next({ kind, match: d.scoreKey, ms });
      assert.equal(await d.sub.addScore(50), BOUNDS.maxScore);
      rig.faults.next({ kind, match: d.scoreKey, ms });
      assert.equal(await d.sub.addScore(-50), BOUNDS.minScore);
      assert.equal(fired(rig, kind), 3);
      await assertScoresInBounds(d);
      await assertConserved(rig.raw, d.places, d.payloads);
      await assertNextPublishWorks(rig, d);
    });
  }

  it("error-before: addScore throws RedisRequestError and the score is unchanged", async () => {
    const d = director(rig, "custom");
    await prepare(rig, d);
    await d.sub.setScore(10);
    rig.faults.next({ kind: "error-before", match: d.scoreKey });
    await assert.rejects(d.sub.addScore(3), RedisRequestError);
    assert.equal(await d.sub.getScore(), 10);
    await assertScoresInBounds(d);
    await assertConserved(rig.raw, d.places, d.payloads);
    await assertNextPublishWorks(rig, d);
  });
});

describe("reliability: a process that dies between the two requests of a custom publish", () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  afterEach(() => rig.faults.clear());
  after(() => stopRig(rig));

  /**
   * A director whose custom handler waits at a gate: the publish stops after request 1, as if
   * its process died there. `handled` resolves when the first handler is reached.
   */
  function stalled(d: Director) {
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    let reached = () => {};
    const handled = new Promise<void>((resolve) => (reached = resolve));
    const pub = new Publisher({ redis: rig.redis, scoreKey: d.scoreKey, queueKey: d.queue })
      .addSubscriber("a", { handler: d.pub.getSubscriber("a")!.handler!, ...BOUNDS })
      .addSubscriber("c", {
        handler: async (_s, payload, tx) => {
          reached();
          await gate;
          tx.sadd(d.customDest!, payload);
        },
        ...BOUNDS,
      });
    return { pub, open, handled };
  }

  it("recover() restores the payloads; twice, or alongside a publish, it is safe", async () => {
    const d = director(rig, "custom");
    await prepare(rig, d);
    const dying = stalled(d);
    const abandoned = dying.pub.publishMax(BATCH); // alternates between "a" and "c"
    await dying.handled;
    const held = await snapshot(rig, d);
    assert.ok(held.inFlight > 0, "payloads are in flight after request 1");
    await assertConserved(rig.raw, d.places, d.payloads);

    assert.deepEqual([(await d.pub.recover(60_000)).payloads], [0], "too young to recover");
    // Twice at once: each payload is put back by exactly one of them.
    const [first, second] = await Promise.all([d.pub.recover(0), d.pub.recover(0)]);
    assert.equal(first.payloads + second.payloads, held.inFlight);
    assert.deepEqual(await d.pub.recover(0), { calls: 0, payloads: 0, requests: 1 });
    const back = await snapshot(rig, d);
    assert.deepEqual([back.inFlight, back.queue], [0, held.queue + held.inFlight]);
    await assertConserved(rig.raw, d.places, d.payloads);

    // Recover alongside a publish with custom handlers: whichever wins, nothing is lost or twice.
    const was = await snapshot(rig, d);
    const [report] = await Promise.all([d.pub.publish(BATCH), d.pub.recover(0)]);
    assertReportMatches(report, was, await snapshot(rig, d));
    await assertConserved(rig.raw, d.places, d.payloads);

    // The abandoned publish wakes up: its release finds the payloads recovered, writes nothing.
    const sizeBefore = await rig.raw.scard(d.customDest!);
    dying.open();
    const late = await abandoned;
    assert.deepEqual([late.delivered, late.returned], [late.popped - held.inFlight, held.inFlight]);
    assert.equal(await rig.raw.scard(d.customDest!), sizeBefore, "no write of the late release");
    await assertScoresInBounds(d);
    await assertConserved(rig.raw, d.places, d.payloads);
    await assertNextPublishWorks(rig, d);
  });

  it("recover() reports the payloads it put back even when its response is lost and resent", async () => {
    const d = director(rig, "custom");
    await prepare(rig, d);
    const dying = stalled(d);
    const abandoned = dying.pub.publishMax(BATCH);
    await dying.handled;
    const held = await snapshot(rig, d);
    rig.faults.next({ kind: "drop-after-execute", match: "evalsha" });
    const report = await d.pub.recover(0);
    assert.equal(fired(rig, "drop-after-execute"), 1);
    const back = await snapshot(rig, d);
    assert.deepEqual([back.inFlight, back.queue], [0, held.queue + held.inFlight]);
    await assertConserved(rig.raw, d.places, d.payloads);
    dying.open();
    await abandoned;
    await assertConserved(rig.raw, d.places, d.payloads);
    assert.equal(report.payloads, held.inFlight, "recover()'s report matches what it moved");
  });
});

describe("fault injection in the local endpoint", () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  afterEach(() => rig.faults.clear());
  after(() => stopRig(rig));

  const admin = (method: string, body?: unknown, token = rig.endpoint.token) =>
    fetch(`${rig.endpoint.url}/__faults`, {
      method,
      headers: { authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("POST /__faults sets rules from another process, with the token, outside the stats", async () => {
    const stats = rig.endpoint.stats();
    const unauthorized = await admin("POST", { rules: [{ kind: "error-before" }] }, "wrong");
    assert.equal(unauthorized.status, 401);
    await unauthorized.body?.cancel();
    const set = await admin("POST", {
      clear: true,
      rules: [{ kind: "error-before", match: "ping", count: 2, status: 500 }],
    });
    assert.equal(set.status, 200);
    assert.equal((await set.json()).rules.length, 1);
    assert.deepEqual(rig.endpoint.stats(), stats, "admin requests are not counted");
    await assert.rejects(rig.redis.ping(), /injected fault/);
    await assert.rejects(rig.redis.ping(), /injected fault/);
    assert.equal(await rig.redis.ping(), "PONG");
    const state = await (await admin("GET")).json();
    assert.deepEqual([state.rules, state.fired["error-before"]], [[], 2]);
    const bad = await admin("POST", { rules: [{ kind: "meteor" }] });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /unknown fault kind/);
  });

  it("is off by default: no proxy, no injector, /__faults answers 404", async () => {
    const plain = await startUpstashLocal({ redisUrl: rig.server.url, quiet: true });
    try {
      assert.equal(plain.faults, undefined);
      const response = await fetch(`${plain.url}/__faults`, {
        headers: { authorization: `Bearer ${plain.token}` },
      });
      assert.equal(response.status, 404);
      await response.body?.cancel();
    } finally {
      await plain.close();
    }
  });

  it("parses --fault KIND[:PROBABILITY[:VALUE]] and fires probability rules by chance", async () => {
    assert.deepEqual(parseFaultSpec("drop-after-execute:0.1"), {
      kind: "drop-after-execute",
      probability: 0.1,
    });
    assert.deepEqual(parseFaultSpec("latency:1:50"), { kind: "latency", probability: 1, ms: 50 });
    assert.deepEqual(parseFaultSpec("error-before"), { kind: "error-before", probability: 1 });
    assert.throws(() => parseFaultSpec("reset:2"), RangeError);
    assert.throws(() => parseFaultSpec("nope:0.5"), RangeError);
    assert.throws(() => parseFaultSpec("reset:1:9"), RangeError);
    rig.faults.next({ kind: "error-before", match: "echo", probability: 0.5 });
    let failed = 0;
    for (let i = 0; i < 40; i++) {
      failed += await rig.redis.echo("x").then(() => 0, () => 1);
    }
    assert.equal(failed, fired(rig, "error-before"));
    assert.ok(failed > 0 && failed < 40, `${failed} of 40 failed`);
  });

  it("refuses redis-restart without a way to restart redis-server", async () => {
    const plain = await startUpstashLocal({
      redisUrl: rig.server.url,
      quiet: true,
      injectFaults: true,
    });
    try {
      assert.throws(() => plain.faults!.next({ kind: "redis-restart" }), /restartRedis/);
    } finally {
      await plain.close();
    }
  });
});
