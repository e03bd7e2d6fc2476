/**
 * One benchmark case per implementation: ours (generic or custom handlers), the original's
 * request pattern, and the floor (the same Redis work as one pipelined RESP stream).
 *
 * @module
 */

import { genericSetHandler, type Handler, Publisher } from "../../mod.ts";
import type { BenchEnv, RespClient } from "./env.ts";
import { OriginalPublisher, originalSetHandler, OriginalSubscriber } from "./original.ts";

/** What is measured. */
export type Impl = "ours" | "ours-custom" | "original" | "floor";

/** A case: who publishes how many payloads to how many subscribers, at which latency. */
export interface CaseSpec {
  /** The implementation. */
  impl: Impl;
  /** Payloads per publish. */
  n: number;
  /** Subscribers. */
  subscribers: number;
  /** Injected round-trip latency, ms (the floor has none). */
  latencyMs: number;
  /** Publishes timed; the median is reported. */
  reps: number;
}

/** A measured case. */
export interface CaseResult extends CaseSpec {
  /** HTTP requests per publish (most over the reps), counted by the endpoint; floor: RESP round trips. */
  requests: number;
  /** The requests the publish reported itself (ours only). */
  reportedRequests: number | null;
  /** Redis commands per publish, counted by the endpoint (floor: commands sent). */
  commands: number;
  /** Median wall time of one publish, ms. */
  ms: number;
  /** Payloads per second at the median. */
  payloadsPerSecond: number;
  /** Median Redis server time per publish (INFO commandstats), ms; `null` when unknown. */
  serverMs: number | null;
  /** Payloads placed per publish (must equal `n`). */
  placed: number;
}

/** Scores high enough that no subscriber runs dry during any case. */
const SCORE = { defaultScore: 1e9, minScore: 1, maxScore: 1e9 };

/** One timed publish: what it placed and how many requests it said it took. */
interface Run {
  placed: number;
  reported: number | null;
  /** Round trips and commands counted by the case itself (the floor: no endpoint involved). */
  resp?: { roundTrips: number; commands: number };
}

/** Measures one case from a fresh database. */
export async function runCase(env: BenchEnv, spec: CaseSpec): Promise<CaseResult> {
  return (await runCases(env, [spec]))[0];
}

/**
 * Measures cases side by side from a fresh database: their timed publishes take turns (one of
 * each, then the next round), so a drift in this machine's speed hits them alike.
 */
export async function runCases(env: BenchEnv, specs: readonly CaseSpec[]): Promise<CaseResult[]> {
  const prefixes = specs.map((spec) =>
    `bench:${spec.impl}:${spec.n}:${spec.subscribers}:${crypto.randomUUID()}`
  );
  for (const prefix of prefixes) await env.clear(prefix);
  env.setLatency(0);
  const publishers = [];
  for (const [i, spec] of specs.entries()) {
    const prefix = prefixes[i];
    await env.fillSet(`${prefix}:queue`, payloads(spec.n * spec.reps));
    const names = Array.from({ length: spec.subscribers }, (_, i) => `s${i}`);
    await env.seedScores(`${prefix}:scores`, names, SCORE.defaultScore);
    publishers.push(publisherFor(env, spec, prefix));
  }
  const samples: Sample[][] = specs.map(() => []);
  const rounds = Math.max(...specs.map((spec) => spec.reps));
  for (let rep = 0; rep < rounds; rep++) {
    for (const [i, spec] of specs.entries()) {
      if (rep >= spec.reps) continue;
      env.setLatency(spec.latencyMs);
      samples[i].push(await timed(env, publishers[i]));
    }
  }
  env.setLatency(0);
  for (const prefix of prefixes) await env.clear(prefix);
  return specs.map((spec, i) => summarize(spec, samples[i]));
}

function payloads(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `payload-${i}`);
}

function publisherFor(env: BenchEnv, spec: CaseSpec, prefix: string): () => Promise<Run> {
  switch (spec.impl) {
    case "ours":
    case "ours-custom":
      return ourPublish(env, spec, prefix);
    case "original":
      return originalPublish(env, spec, prefix);
    case "floor":
      return floorPublish(env.resp, spec, prefix);
  }
}

function ourPublish(env: BenchEnv, spec: CaseSpec, prefix: string): () => Promise<Run> {
  const publisher = new Publisher({
    redis: env.newRedis(),
    scoreKey: `${prefix}:scores`,
    queueKey: `${prefix}:queue`,
  });
  for (let i = 0; i < spec.subscribers; i++) {
    const destination = `${prefix}:dest:${i}`;
    const handler: Handler = spec.impl === "ours"
      ? genericSetHandler(destination, -1)
      : (_subscriber, payload, tx) => void tx.sadd(destination, payload);
    publisher.addSubscriber(`s${i}`, { handler, ...SCORE, scoreChange: -1 });
  }
  return async () => {
    const report = await publisher.publish(spec.n);
    return { placed: report.delivered, reported: report.requests };
  };
}

function originalPublish(env: BenchEnv, spec: CaseSpec, prefix: string): () => Promise<Run> {
  const redis = env.newRedis({ autoPipelining: false, deserialize: false });
  const publisher = new OriginalPublisher(redis, `${prefix}:queue`);
  for (let i = 0; i < spec.subscribers; i++) {
    const handler = originalSetHandler(redis, `${prefix}:dest:${i}`, -1);
    publisher.addSubscriber(
      new OriginalSubscriber(redis, `${prefix}:scores`, `s${i}`, handler, 1e9, 1, 1e9),
    );
  }
  return async () => ({ placed: await publisher.publish(spec.n), reported: null });
}

/**
 * The floor: the same Redis work straight to redis-server with node-redis, pipelined. Round
 * trip 1 reads the scores and pops `n` (SPOP count); the picks are made here; round trip 2
 * writes the payloads (SADD, 1,000 members per command, as the publish script does) and the
 * changed scores (one ZADD).
 */
function floorPublish(resp: RespClient, spec: CaseSpec, prefix: string): () => Promise<Run> {
  const names = Array.from({ length: spec.subscribers }, (_, i) => `s${i}`);
  const scoreKey = `${prefix}:scores`;
  return async () => {
    const [stored, popped] = await Promise.all([
      resp.sendCommand(["ZMSCORE", scoreKey, ...names]),
      resp.sendCommand(["SPOP", `${prefix}:queue`, String(spec.n)]),
    ]) as unknown as [(string | null)[], string[]];
    const scores = stored.map((score) => (score === null ? SCORE.defaultScore : Number(score)));
    const buckets = pickAll(scores, popped.length);
    const writes: Promise<unknown>[] = [];
    buckets.forEach((indexes, i) => {
      for (let first = 0; first < indexes.length; first += 1000) {
        const members = indexes.slice(first, first + 1000).map((at) => popped[at]);
        writes.push(resp.sendCommand(["SADD", `${prefix}:dest:${i}`, ...members]));
      }
    });
    const pairs = scores.flatMap((score, i) => [String(score), names[i]]);
    writes.push(resp.sendCommand(["ZADD", scoreKey, ...pairs]));
    await Promise.all(writes);
    return {
      placed: popped.length,
      reported: null,
      resp: { roundTrips: 2, commands: 2 + writes.length },
    };
  };
}

/** Weighted random picks for `count` payloads, lowering the receiver's score by 1 each time. */
function pickAll(scores: number[], count: number): number[][] {
  const buckets: number[][] = scores.map(() => []);
  const weights = new Fenwick(scores.map((score) => Math.max(score, 0)));
  for (let at = 0; at < count; at++) {
    const i = weights.find(Math.random() * weights.total());
    buckets[i].push(at);
    const lowered = Math.max(scores[i] - 1, SCORE.minScore);
    weights.add(i, lowered - scores[i]);
    scores[i] = lowered;
  }
  return buckets;
}

/** A Fenwick tree of weights: O(log S) updates and weighted picks, as in the publish script. */
class Fenwick {
  readonly #tree: Float64Array;
  #total = 0;

  constructor(weights: number[]) {
    this.#tree = new Float64Array(weights.length + 1);
    weights.forEach((weight, i) => this.add(i, weight));
  }

  total(): number {
    return this.#total;
  }

  add(index: number, delta: number): void {
    this.#total += delta;
    for (let i = index + 1; i < this.#tree.length; i += i & -i) this.#tree[i] += delta;
  }

  /** The first index whose cumulative weight exceeds `target`. */
  find(target: number): number {
    let position = 0;
    for (let step = highestPowerOfTwo(this.#tree.length - 1); step > 0; step >>= 1) {
      const next = position + step;
      if (next < this.#tree.length && this.#tree[next] <= target) {
        position = next;
        target -= this.#tree[next];
      }
    }
    return Math.min(position, this.#tree.length - 2);
  }
}

function highestPowerOfTwo(n: number): number {
  let power = 1;
  while (power * 2 <= n) power *= 2;
  return power;
}

interface Sample extends Run {
  requests: number;
  commands: number;
  ms: number;
  serverMs: number;
}

async function timed(env: BenchEnv, publish: () => Promise<Run>): Promise<Sample> {
  await env.startServerClock();
  const before = env.counts();
  const start = performance.now();
  const run = await publish();
  const ms = performance.now() - start;
  const after = env.counts();
  const serverMs = await env.serverMs();
  return {
    ...run,
    ms,
    serverMs,
    requests: run.resp?.roundTrips ?? after.requests - before.requests,
    commands: run.resp?.commands ?? after.commands - before.commands,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function summarize(spec: CaseSpec, samples: Sample[]): CaseResult {
  const ms = median(samples.map((s) => s.ms));
  const serverMs = median(samples.map((s) => s.serverMs));
  const reported = samples.map((s) => s.reported).filter((r): r is number => r !== null);
  return {
    ...spec,
    requests: Math.max(...samples.map((s) => s.requests)),
    reportedRequests: reported.length > 0 ? Math.max(...reported) : null,
    commands: Math.max(...samples.map((s) => s.commands)),
    ms,
    payloadsPerSecond: (spec.n / ms) * 1000,
    serverMs: Number.isNaN(serverMs) ? null : serverMs,
    placed: Math.min(...samples.map((s) => s.placed)),
  };
}
