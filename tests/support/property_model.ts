/**
 * The reference model of `model.ts` extended from one publish to a whole
 * sequence of operations: what the queue holds, what each destination holds,
 * every subscriber's score (and whether one is stored), and what each
 * publish reports. Written from the documented semantics, independently of
 * the Lua scripts, for the property test. Also: a seeded generator of
 * operation sequences and a shrinker that looks for the shortest failing one.
 *
 * @module
 */

import { lecuyer, modelPublish, type ModelSubscriber, seedsOf, tally } from "./model.ts";

/** A subscriber of the property test: its handler kind, destination and score settings. */
export interface PropertySubscriber {
  name: string;
  /** `set`/`list`: genericSetHandler/genericListHandler; `custom`: a handler that RPUSHes. */
  kind: "set" | "list" | "custom";
  /** The destination's name (two subscribers may share one). */
  destination: string;
  defaultScore: number;
  minScore: number;
  maxScore: number;
  change: number;
}

/** A publish mode, as `publish`, `publishMax` and `publishMin` take it. */
export type Mode = "random" | "max" | "min";

/** One operation of a sequence. */
export type Op =
  | { op: "add"; n: number }
  | {
    op: "publish";
    mode: Mode;
    n: number;
    /** The random source's draws, two per script call. */
    draws: number[];
    /** Sent through a client that executes every request twice (a retry after a lost response). */
    retried: boolean;
  }
  | { op: "addScore"; subscriber: string; delta: number }
  | { op: "setScore"; subscriber: string; value: number }
  | { op: "resetScore"; subscriber: string }
  | { op: "flush" };

/** What a publish should report, per the model. */
export interface ExpectedReport {
  popped: number;
  bySubscriber: Record<string, number>;
  scores: Record<string, { before: number; after: number }>;
  stoppedBy: "count" | "empty-queue" | "no-eligible-subscriber";
  requests: number;
}

/**
 * The state of one publisher's keys after a sequence of operations. With a
 * list queue the model knows every payload's place; with a set queue (random
 * SPOP) it knows how many are where.
 */
export class PropertyModel {
  readonly subscribers: readonly PropertySubscriber[];
  readonly queueType: "set" | "list";
  readonly perScript: number;
  /** The queue, in order (list queue); for a set queue only its length is meaningful. */
  queue: string[] = [];
  /** Payloads in each destination, in Redis order for lists (LPUSH: newest first). */
  readonly destinations = new Map<string, string[]>();
  /** Payloads per destination (exact for both queue types). */
  readonly counts = new Map<string, number>();
  /** Effective scores (the default while none is stored). */
  readonly scores = new Map<string, number>();
  /** Subscribers with a stored score. */
  readonly stored = new Set<string>();
  /** The script cache was flushed and no library call has reloaded it yet. */
  flushed = false;
  #next = 0;
  /** Payloads ever added. */
  readonly added: string[] = [];

  constructor(
    subscribers: readonly PropertySubscriber[],
    queueType: "set" | "list",
    perScript: number,
  ) {
    this.subscribers = subscribers;
    this.queueType = queueType;
    this.perScript = perScript;
    for (const s of subscribers) {
      this.scores.set(s.name, s.defaultScore);
      this.destinations.set(s.destination, []);
      this.counts.set(s.destination, 0);
    }
  }

  /** The payloads an `add` of `n` adds (fresh, distinct). */
  newPayloads(n: number): string[] {
    return Array.from({ length: n }, () => `p${this.#next++}`);
  }

  add(payloads: readonly string[]): number {
    this.flushed = false;
    this.queue.push(...payloads);
    this.added.push(...payloads);
    return payloads.length;
  }

  /** Applies a publish and returns what it must report. */
  publish(mode: Mode, n: number, draws: readonly number[]): ExpectedReport {
    const requestsBase = this.flushed ? 1 : 0;
    this.flushed = false;
    const model: ModelSubscriber[] = this.subscribers.map((s) => ({
      name: s.name,
      score: this.scores.get(s.name)!,
      min: s.minScore,
      max: s.maxScore,
      change: s.change,
    }));
    const before = Object.fromEntries(model.map((m) => [m.name, m.score]));
    const picks: string[] = [];
    let stoppedBy: ExpectedReport["stoppedBy"] = "count";
    for (let first = 0, call = 0; first < n; first += this.perScript, call++) {
      const count = Math.min(this.perScript, n - first);
      const startScores = model.map((m) => m.score);
      const uniform = lecuyer(...seedsOf(draws[2 * call], draws[2 * call + 1]));
      const result = modelPublish(model, mode, count, this.queue.length, uniform);
      if (stoppedBy === "count") stoppedBy = result.stoppedBy;
      // A call writes back the scores that changed during it.
      model.forEach((m, i) => {
        if (m.score !== startScores[i]) this.stored.add(m.name);
      });
      for (const name of result.picks) this.#deliver(name, this.queue.shift()!);
      picks.push(...result.picks);
    }
    for (const m of model) this.scores.set(m.name, m.score);
    const custom = picks.some((name) => this.#subscriber(name).kind === "custom");
    return {
      popped: picks.length,
      bySubscriber: { ...Object.fromEntries(model.map((m) => [m.name, 0])), ...tally(picks) },
      scores: Object.fromEntries(
        model.map((m) => [m.name, { before: before[m.name], after: m.score }]),
      ),
      stoppedBy,
      requests: requestsBase + (custom ? 2 : 1),
    };
  }

  /** `Subscriber.addScore`: clamped to the bounds; returns the new score. */
  addScore(name: string, delta: number): number {
    this.flushed = false;
    const s = this.#subscriber(name);
    const score = Math.min(Math.max(this.scores.get(name)! + delta, s.minScore), s.maxScore);
    this.scores.set(name, score);
    this.stored.add(name);
    return score;
  }

  /** `Subscriber.setScore`: as given, ignoring the bounds. */
  setScore(name: string, value: number): number {
    this.flushed = false;
    this.scores.set(name, value);
    this.stored.add(name);
    return value;
  }

  /** `Subscriber.resetScore`: the default. */
  resetScore(name: string): number {
    return this.setScore(name, this.#subscriber(name).defaultScore);
  }

  /** SCRIPT FLUSH: no data changes; the next library call reloads the scripts. */
  flush(): void {
    this.flushed = true;
  }

  #subscriber(name: string): PropertySubscriber {
    return this.subscribers.find((s) => s.name === name)!;
  }

  #deliver(name: string, payload: string): void {
    const s = this.#subscriber(name);
    const held = this.destinations.get(s.destination)!;
    // Generic list handler: LPUSH (newest first); custom handler: RPUSH; a set: unordered.
    if (s.kind === "list") held.unshift(payload);
    else held.push(payload);
    this.counts.set(s.destination, this.counts.get(s.destination)! + 1);
  }
}

/** A seeded PRNG for generating sequences (L'Ecuyer's generator, other seeds than publishes'). */
export function prng(seed: number): () => number {
  return lecuyer(1 + (seed * 7919) % 2147483562, 1 + (seed * 104729 + 17) % 2147483398);
}

/** Draws for a publish of `n` payloads: two per script call of `perScript` payloads. */
export function drawsFor(n: number, perScript: number, random: () => number): number[] {
  return Array.from({ length: 2 * Math.ceil(n / perScript) }, random);
}

/** Generates `length` operations for `subscribers` from `random`. */
export function generateOps(
  random: () => number,
  length: number,
  subscribers: readonly PropertySubscriber[],
  perScript: number,
): Op[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const names = subscribers.map((s) => s.name);
  const add = (): Op => ({ op: "add", n: 1 + Math.floor(random() * 20) });
  const ops: Op[] = [add()];
  while (ops.length < length) {
    const roll = random();
    if (roll < 0.25) ops.push(add());
    else if (roll < 0.6) {
      const n = 1 + Math.floor(random() * 3 * perScript);
      ops.push({
        op: "publish",
        mode: pick(["random", "random", "max", "min"] as const),
        n,
        draws: drawsFor(n, perScript, random),
        retried: random() < 0.2,
      });
    } else if (roll < 0.78) {
      const delta = pick([-3, -1, -0.5, 0.5, 1, 2, 3, 5, 8]);
      ops.push({ op: "addScore", subscriber: pick(names), delta });
    } else if (roll < 0.86) {
      ops.push({ op: "setScore", subscriber: pick(names), value: pick([-1, 0, 0.5, 3, 7, 20]) });
    } else if (roll < 0.93) ops.push({ op: "resetScore", subscriber: pick(names) });
    else ops.push({ op: "flush" });
  }
  return ops;
}

/** Smaller versions of one operation, to try while shrinking (an `add` or publish with half `n`). */
export function simplerOps(op: Op, perScript: number): Op[] {
  if ((op.op === "add" || op.op === "publish") && op.n > 1) {
    const n = Math.floor(op.n / 2);
    if (op.op === "add") return [{ ...op, n }];
    const simpler: Op[] = [{ ...op, n, draws: op.draws.slice(0, 2 * Math.ceil(n / perScript)) }];
    if (op.retried) simpler.push({ ...op, retried: false });
    return simpler;
  }
  if (op.op === "publish" && op.retried) return [{ ...op, retried: false }];
  return [];
}

/**
 * Shrinks a failing sequence: drops operations one at a time and simplifies
 * single operations, keeping every change after which `fails` still holds,
 * until no change helps or `budget` runs of `fails` are spent. Returns the
 * shortest failing sequence found.
 */
export async function shrink<T>(
  sequence: readonly T[],
  fails: (candidate: T[]) => Promise<boolean>,
  simpler: (item: T) => T[],
  budget = 400,
): Promise<T[]> {
  let best = [...sequence];
  let runs = 0;
  const tryCandidate = async (candidate: T[]) => {
    if (runs >= budget) return false;
    runs++;
    if (!(await fails(candidate))) return false;
    best = candidate;
    return true;
  };
  for (let progress = true; progress && runs < budget;) {
    progress = false;
    for (let i = 0; i < best.length; i++) {
      if (await tryCandidate([...best.slice(0, i), ...best.slice(i + 1)])) {
        progress = true;
        i--;
      }
    }
    for (let i = 0; i < best.length; i++) {
      for (const item of simpler(best[i])) {
        if (await tryCandidate([...best.slice(0, i), item, ...best.slice(i + 1)])) {
          progress = true;
          break;
        }
      }
    }
  }
  return best;
}
