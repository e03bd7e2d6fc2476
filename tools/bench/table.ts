/**
 * The benchmark's text output: one row per latency, subscriber count and n.
 *
 * @module
 */

import type { CaseResult } from "./cases.ts";
import { findCase } from "./targets.ts";

/** One row of the comparison, as printed and written to the JSON file. */
export interface ComparisonRow {
  /** Injected latency, ms. */
  latencyMs: number;
  /** Subscribers. */
  subscribers: number;
  /** Payloads per publish. */
  n: number;
  /** Ours: requests per publish, ms per publish, payloads per second. */
  ours: { requests: number; ms: number; payloadsPerSecond: number; serverMs: number | null };
  /** Ours with a custom handler (measured at one subscriber count only). */
  custom: { requests: number; ms: number } | null;
  /** The original's pattern, or `null` where it was capped. */
  original: { requests: number; ms: number } | null;
  /** The floor (RESP round trips, ms per publish). */
  floor: { roundTrips: number; ms: number } | null;
  /** ours / original: requests and time. */
  oursOverOriginal: { requests: number; time: number } | null;
  /** ours / floor: time. */
  oursOverFloor: { time: number } | null;
}

/** Joins the cases of every implementation into comparison rows. */
export function comparisonRows(results: readonly CaseResult[]): ComparisonRow[] {
  return results.filter((r) => r.impl === "ours").map((ours) => {
    const { n, subscribers, latencyMs } = ours;
    const custom = findCase(results, "ours-custom", n, subscribers, latencyMs);
    const original = findCase(results, "original", n, subscribers, latencyMs);
    const floor = findCase(results, "floor", n, subscribers, latencyMs);
    return {
      latencyMs,
      subscribers,
      n,
      ours: {
        requests: ours.requests,
        ms: ours.ms,
        payloadsPerSecond: ours.payloadsPerSecond,
        serverMs: ours.serverMs,
      },
      custom: custom ? { requests: custom.requests, ms: custom.ms } : null,
      original: original ? { requests: original.requests, ms: original.ms } : null,
      floor: floor ? { roundTrips: floor.requests, ms: floor.ms } : null,
      oursOverOriginal: original
        ? { requests: ours.requests / original.requests, time: ours.ms / original.ms }
        : null,
      oursOverFloor: floor ? { time: ours.ms / floor.ms } : null,
    };
  });
}

function num(value: number): string {
  if (value >= 1000) return Math.round(value).toLocaleString("en-US");
  if (value >= 10) return value.toFixed(1);
  return value.toPrecision(3);
}

function inverse(ratio: number): string {
  const times = 1 / ratio;
  return `1/${times >= 10 ? Math.round(times).toLocaleString("en-US") : times.toPrecision(3)}`;
}

const HEADER = [
  "lat",
  "S",
  "n",
  "req",
  "ms",
  "payloads/s",
  "srv ms",
  "cust req",
  "cust ms",
  "orig req",
  "orig ms",
  "floor ms",
  "ours/orig req",
  "ours/orig t",
  "ours/floor t",
];

function cells(row: ComparisonRow): string[] {
  const dash = "-";
  return [
    `${row.latencyMs}`,
    `${row.subscribers}`,
    row.n.toLocaleString("en-US"),
    `${row.ours.requests}`,
    num(row.ours.ms),
    num(row.ours.payloadsPerSecond),
    row.ours.serverMs === null ? dash : num(row.ours.serverMs),
    row.custom ? `${row.custom.requests}` : dash,
    row.custom ? num(row.custom.ms) : dash,
    row.original ? row.original.requests.toLocaleString("en-US") : "capped",
    row.original ? num(row.original.ms) : dash,
    row.floor ? num(row.floor.ms) : dash,
    row.oursOverOriginal ? inverse(row.oursOverOriginal.requests) : dash,
    row.oursOverOriginal ? inverse(row.oursOverOriginal.time) : dash,
    row.oursOverFloor ? num(row.oursOverFloor.time) : dash,
  ];
}

/** The rows as an aligned text table. */
export function formatTable(rows: readonly ComparisonRow[]): string {
  const table = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...table.map((line) => line[i].length)));
  return table.map((line) => line.map((cell, i) => cell.padStart(widths[i])).join("  "))
    .join("\n");
}
