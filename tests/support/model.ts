/**
 * A small TypeScript reference model of a publish: which subscriber each
 * payload goes to and how the scores move. Written independently of the Lua
 * script, from the documented semantics, so tests can compare the two step by
 * step.
 *
 * @module
 */

/** A subscriber as the model sees it. */
export interface ModelSubscriber {
  name: string;
  score: number;
  min: number;
  max: number;
  change: number;
}

/** The outcome of a modelled publish. */
export interface ModelResult {
  /** The receiving subscriber's name, per placed payload, in order. */
  picks: string[];
  /** Scores after the publish. */
  scores: Record<string, number>;
  /** Why it stopped. */
  stoppedBy: "count" | "empty-queue" | "no-eligible-subscriber";
}

/** L'Ecuyer's combined generator (1988), as documented for the publish script. */
export function lecuyer(seed1: number, seed2: number): () => number {
  let s1 = seed1, s2 = seed2;
  return () => {
    s1 = (40014 * s1) % 2147483563;
    s2 = (40692 * s2) % 2147483399;
    let z = s1 - s2;
    if (z < 1) z += 2147483562;
    return z / 2147483563;
  };
}

/** The two generator seeds a publish call derives from two draws of its random source. */
export function seedsOf(u1: number, u2: number): [number, number] {
  return [1 + Math.floor(u1 * 2147483562), 1 + Math.floor(u2 * 2147483398)];
}

/**
 * Models one publish call: up to `count` payloads out of `available`, picked
 * by `mode` (random uses `uniform`), each delivery changing the receiver's
 * score by its `change`, clamped. Mutates `subscribers`' scores.
 */
export function modelPublish(
  subscribers: ModelSubscriber[],
  mode: "random" | "max" | "min",
  count: number,
  available: number,
  uniform: () => number,
): ModelResult {
  const picks: string[] = [];
  let stoppedBy: ModelResult["stoppedBy"] = "count";
  for (let n = 0; n < Math.min(count, available); n++) {
    const eligible = subscribers.filter((s) => s.score > 0);
    if (eligible.length === 0) {
      stoppedBy = "no-eligible-subscriber";
      break;
    }
    let chosen: ModelSubscriber;
    if (mode === "random") {
      const total = eligible.reduce((sum, s) => sum + s.score, 0);
      const target = uniform() * total;
      let cumulative = 0;
      chosen = eligible.find((s) => (cumulative += s.score) > target) ?? eligible.at(-1)!;
    } else {
      // The first registered wins a tie: reduce keeps the earlier one unless strictly better.
      chosen = eligible.reduce((best, s) =>
        (mode === "max" ? s.score > best.score : s.score < best.score) ? s : best
      );
    }
    picks.push(chosen.name);
    if (chosen.change !== 0) {
      chosen.score = Math.min(Math.max(chosen.score + chosen.change, chosen.min), chosen.max);
    }
  }
  if (stoppedBy === "count" && available < count) stoppedBy = "empty-queue";
  return {
    picks,
    scores: Object.fromEntries(subscribers.map((s) => [s.name, s.score])),
    stoppedBy,
  };
}

/** Counts occurrences of each name. */
export function tally(names: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}
