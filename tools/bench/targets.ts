/**
 * The benchmark's targets, checked against measured cases. Only request counts are hard
 * (they decide the exit code); timing targets are reported, never asserted.
 *
 * @module
 */

import type { CaseResult, Impl } from "./cases.ts";

/** One target's verdict. */
export interface TargetCheck {
  /** What the target says. */
  target: string;
  /** Whether every measured case meets it (`null`: no case measured it). */
  met: boolean | null;
  /** Whether a miss fails the run (request counts only). */
  hard: boolean;
  /** The measured figures behind the verdict. */
  details: string[];
}

/** Finds the case of `impl` with `n`, `subscribers` and `latencyMs`, if it was run. */
export function findCase(
  results: readonly CaseResult[],
  impl: Impl,
  n: number,
  subscribers: number,
  latencyMs: number,
): CaseResult | undefined {
  return results.find((r) =>
    r.impl === impl && r.n === n && r.subscribers === subscribers &&
    (impl === "floor" || r.latencyMs === latencyMs)
  );
}

function verdict(target: string, hard: boolean, checks: [boolean, string][]): TargetCheck {
  return {
    target,
    hard,
    met: checks.length === 0 ? null : checks.every(([ok]) => ok),
    details: checks.map(([ok, text]) => `${ok ? "ok  " : "MISS"} ${text}`),
  };
}

const fmt = (value: number, digits = 2) => value.toFixed(digits);

function requestTargets(results: readonly CaseResult[]): TargetCheck[] {
  const limits: [Impl, number, string][] = [
    ["ours", 1, "1 request per publish with generic handlers"],
    ["ours-custom", 2, "<= 2 requests per publish with custom handlers"],
  ];
  return limits.map(([impl, limit, target]) =>
    verdict(
      target,
      true,
      results.filter((r) => r.impl === impl).map((r) => [
        r.requests <= limit && r.placed === r.n,
        `n=${r.n} S=${r.subscribers} ${r.latencyMs} ms: ${r.requests} request(s), ` +
        `${r.placed}/${r.n} placed`,
      ]),
    )
  );
}

function fewerRequestsTarget(results: readonly CaseResult[]): TargetCheck {
  const checks: [boolean, string][] = [];
  for (const original of results.filter((r) => r.impl === "original" && r.n === 100)) {
    const ours = findCase(results, "ours", 100, original.subscribers, original.latencyMs);
    if (ours === undefined) continue;
    const ratio = original.requests / ours.requests;
    checks.push([
      ratio >= 100,
      `S=${original.subscribers} ${original.latencyMs} ms: ${original.requests} vs ` +
      `${ours.requests} = ${fmt(ratio, 0)}x fewer`,
    ]);
  }
  return verdict(">= 100x fewer requests than the original's pattern at n = 100", false, checks);
}

function floorTarget(results: readonly CaseResult[]): TargetCheck {
  const checks: [boolean, string][] = [];
  for (const ours of results.filter((r) => r.impl === "ours" && r.latencyMs === 0)) {
    const floor = findCase(results, "floor", ours.n, ours.subscribers, 0);
    if (ours.n < 1000 || floor === undefined) continue;
    const share = ours.payloadsPerSecond / floor.payloadsPerSecond;
    checks.push([
      share >= 0.5,
      `n=${ours.n} S=${ours.subscribers}: ${fmt(ours.ms)} ms vs floor ${fmt(floor.ms)} ms ` +
      `= ${fmt(share * 100, 0)}% of the floor's throughput`,
    ]);
  }
  return verdict("throughput >= 50% of the floor for n >= 1,000 (0 ms)", false, checks);
}

function latencyTarget(results: readonly CaseResult[]): TargetCheck {
  const checks: [boolean, string][] = [];
  for (const ours of results.filter((r) => r.impl === "ours" && r.n === 1000 && r.latencyMs > 0)) {
    const server = ours.serverMs ?? 0;
    const bound = 2 * ours.latencyMs + server;
    checks.push([
      ours.ms <= bound,
      `S=${ours.subscribers}: ${fmt(ours.ms)} ms <= 2 x ${ours.latencyMs} ms + ` +
      `${fmt(server)} ms server = ${fmt(bound)} ms`,
    ]);
  }
  return verdict(
    "with 20 ms latency, publish(1,000) within 2 round trips + server time",
    false,
    checks,
  );
}

function subscriberTarget(results: readonly CaseResult[]): TargetCheck {
  const checks: [boolean, string][] = [];
  for (const wide of results.filter((r) => r.impl === "ours" && r.n === 10_000)) {
    if (wide.subscribers !== 100) continue;
    const narrow = findCase(results, "ours", 10_000, 2, wide.latencyMs);
    if (narrow === undefined) continue;
    const ratio = wide.ms / narrow.ms;
    checks.push([
      ratio <= 2,
      `${wide.latencyMs} ms: S=100 ${fmt(wide.ms)} ms vs S=2 ${fmt(narrow.ms)} ms = ${fmt(ratio)}x`,
    ]);
  }
  return verdict("publish(10,000) with S=100 <= 2x the time with S=2", false, checks);
}

/** Checks every target against the measured cases. */
export function checkTargets(results: readonly CaseResult[]): TargetCheck[] {
  return [
    ...requestTargets(results),
    fewerRequestsTarget(results),
    floorTarget(results),
    latencyTarget(results),
    subscriberTarget(results),
  ];
}

/** Whether a hard target (a request count) was missed. */
export function hardMiss(checks: readonly TargetCheck[]): boolean {
  return checks.some((check) => check.hard && check.met === false);
}
