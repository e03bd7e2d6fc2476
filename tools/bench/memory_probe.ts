/**
 * Runs one `publish(n)` in a process of its own and prints its memory use as JSON: RSS and heap
 * before and after (`Deno.memoryUsage()`), the highest RSS sampled every 2 ms during the
 * publish, and the kernel's peak RSS (`VmHWM`, reset before the publish where Linux allows).
 * Started by the benchmark with the endpoint, keys and sizes in `BENCH_*` variables; the queue
 * is already filled.
 *
 * @module
 */

import { Redis } from "@upstash/redis";
import { genericSetHandler, Publisher } from "../../mod.ts";

/** What the probe prints. */
export interface MemoryProbeResult {
  /** Payloads placed. */
  placed: number;
  /** RSS and heap just before the publish, bytes. */
  before: { rss: number; heapUsed: number };
  /** RSS and heap just after it, bytes. */
  after: { rss: number; heapUsed: number };
  /** The highest RSS sampled during the publish, bytes. */
  sampledPeakRss: number;
  /** The kernel's peak RSS, bytes (since the reset when `peakReset`, else since start). */
  peakRss: number;
  /** Whether the kernel's peak could be reset just before the publish. */
  peakReset: boolean;
}

function env(name: string): string {
  const value = Deno.env.get(name);
  if (value === undefined) throw new Error(`${name} is not set; the benchmark starts this probe`);
  return value;
}

function kernelPeakRss(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) * 1024;
}

function resetKernelPeak(): boolean {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const prefix = env("BENCH_PREFIX");
  const publisher = new Publisher({
    redis: new Redis({ url: env("BENCH_REST_URL"), token: env("BENCH_REST_TOKEN") }),
    scoreKey: `${prefix}:scores`,
    queueKey: `${prefix}:queue`,
  });
  for (let i = 0; i < Number(env("BENCH_SUBSCRIBERS")); i++) {
    publisher.addSubscriber(`s${i}`, {
      handler: genericSetHandler(`${prefix}:dest:${i}`, -1),
      defaultScore: 1e9,
      maxScore: 1e9,
    });
  }
  const before = Deno.memoryUsage();
  const peakReset = resetKernelPeak();
  let sampledPeakRss = before.rss;
  const sampler = setInterval(() => {
    sampledPeakRss = Math.max(sampledPeakRss, Deno.memoryUsage().rss);
  }, 2);
  const report = await publisher.publish(Number(env("BENCH_N")));
  clearInterval(sampler);
  const after = Deno.memoryUsage();
  const result: MemoryProbeResult = {
    placed: report.delivered,
    before: { rss: before.rss, heapUsed: before.heapUsed },
    after: { rss: after.rss, heapUsed: after.heapUsed },
    sampledPeakRss: Math.max(sampledPeakRss, after.rss),
    peakRss: kernelPeakRss(),
    peakReset,
  };
  console.log(JSON.stringify(result));
}

if (import.meta.main) await main();
