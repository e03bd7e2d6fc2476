/**
 * The second request of a publish with custom handlers: run the handlers on
 * their payloads, then apply all their writes and release the payloads from
 * flight in one atomic, idempotent script call per publish call.
 *
 * @module
 */

import { HandlerBatch } from "./handlers.ts";
import { callRecordKey, inflightIndexKey, inflightKey, RECORD_TTL_MS } from "./keys.ts";
import type { ScriptCall } from "./redis.ts";
import type { PublishFailure } from "./report.ts";
import { RELEASE } from "./scripts.ts";
import type { Subscriber } from "./subscriber.ts";

/** A payload a publish call placed on a custom subscriber. */
export interface HeldPayload {
  /** The receiving subscriber. */
  readonly subscriber: Subscriber;
  /** Its position among the publisher's subscribers (0-based). */
  readonly index: number;
  /** The payload. */
  readonly payload: string;
}

/** The outcome of running the handlers of one publish call. */
export interface HandledCall {
  /** The release script call that applies the outcome. */
  readonly call: ScriptCall;
  /** The payloads in the order the publish call held them. */
  readonly held: readonly HeldPayload[];
  /** Held indexes (0-based) of payloads whose handler threw: they go back to the queue. */
  readonly thrown: readonly number[];
  /** The handlers' errors, one per thrown index. */
  readonly failures: readonly PublishFailure[];
}

/**
 * Runs each held payload's handler, one after another, and builds the
 * release call for publish call `callId`. A handler that throws has its
 * commands dropped and its payload returned.
 */
export async function runHandlers(
  queueKey: string,
  queueType: "set" | "list",
  callId: string,
  held: readonly HeldPayload[],
): Promise<HandledCall> {
  const keys = [
    queueKey,
    inflightKey(queueKey),
    inflightIndexKey(queueKey),
    callRecordKey(queueKey, `${callId}:release`),
  ];
  const keyIndex = new Map<string, number>();
  const indexOf = (key: string): string => {
    let index = keyIndex.get(key);
    if (index === undefined) {
      index = keys.push(key);
      keyIndex.set(key, index);
    }
    return String(index);
  };
  const args = [queueType, callId, String(RECORD_TTL_MS), String(held.length)];
  const failures: PublishFailure[] = [];
  const thrown: number[] = [];
  for (const [index, { subscriber, payload }] of held.entries()) {
    const tx = new HandlerBatch();
    try {
      await subscriber.handler!(subscriber, payload, tx);
    } catch (error) {
      thrown.push(index);
      failures.push({
        subscriber: subscriber.name,
        payload,
        error: messageOf(error),
        returned: true,
      });
      args.push("return", "0");
      continue;
    }
    args.push("deliver", String(tx.commands.length));
    for (const { name, key, args: values } of tx.commands) {
      const first = key === undefined ? [] : [indexOf(key)];
      args.push(name, String(first.length + values.length), ...first, ...values);
    }
  }
  return { call: { script: RELEASE, keys, args }, held, thrown, failures };
}

/** What the release script reported for one publish call. */
export interface ReleaseOutcome {
  /** Payloads delivered. */
  readonly delivered: number;
  /** Payloads returned to the queue, with their held index (0-based). */
  readonly returned: readonly number[];
  /** Failures found by the script (wrong key types, failed commands). */
  readonly failures: readonly PublishFailure[];
}

/** Reads the release script's reply for `handled`. */
export function readRelease(handled: HandledCall, reply: readonly string[]): ReleaseOutcome {
  const all = handled.held.map((_, index) => index);
  if (reply[0] === "recovered") return { delivered: 0, returned: all, failures: [] };
  const failures: PublishFailure[] = [];
  const returned = new Set(handled.thrown);
  for (let at = 3; at + 2 < reply.length; at += 3) {
    const index = Number(reply[at]) - 1;
    const { subscriber, payload } = handled.held[index];
    const wasReturned = reply[at + 1] === "1";
    if (wasReturned) returned.add(index);
    failures.push({
      subscriber: subscriber.name,
      payload,
      error: reply[at + 2].slice(1),
      returned: wasReturned,
    });
  }
  return { delivered: Number(reply[1]), returned: [...returned].sort((a, b) => a - b), failures };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
