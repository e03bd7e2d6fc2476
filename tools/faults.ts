/**
 * Fault injection for the local Upstash endpoint (`tools/upstash_local.ts`). Off by default:
 * the endpoint only builds a {@linkcode FaultInjector} when started with `injectFaults`, or from
 * the CLI with `--faults` / `--fault SPEC`.
 *
 * A fault is a {@linkcode FaultRule}: a kind, which requests it matches, and how often it fires.
 * Kinds, in the order they act on one request:
 *
 * | kind                 | what the client sees                                                      |
 * | -------------------- | ------------------------------------------------------------------------- |
 * | `latency`            | the request waits `ms` (default 100) before it is executed                |
 * | `slow-script`        | Redis itself is blocked `ms` (default 100, at most 4000) by a busy Lua script, then the request runs |
 * | `script-flush`       | `SCRIPT FLUSH` runs first: `EVALSHA` answers NOSCRIPT                      |
 * | `redis-restart`      | redis-server is restarted first (needs `restartRedis`; data survives only with persistence) |
 * | `error-before`       | a 5xx JSON error (`status`, default 503); nothing is executed             |
 * | `reset`              | the TCP connection is reset; nothing is executed                          |
 * | `drop-after-execute` | the request is executed, then the connection is closed without a response |
 *
 * `reset` and `drop-after-execute` need the fault proxy (`tools/fault_proxy.ts`) that
 * `startUpstashLocal({ injectFaults })` puts in front of the HTTP server. `@upstash/redis` (and
 * Deno's fetch on a reused connection) resend a request whose connection failed, so after a drop
 * the same request arrives again.
 *
 * Matching: `match` names a route (`single`, `pipeline`, `transaction`), a command (`evalsha`,
 * case-insensitive) or an exact argument of any command (a script's SHA-1, a key). Without it a
 * rule matches every command request. Firing: a rule without `probability` fires on the next
 * `count` (default 1) matching requests after letting `skip` (default 0) pass, then retires; a
 * rule with `probability` fires on each matching request with that chance, at most `count` times
 * (default unlimited).
 *
 * The injector's own Redis commands and the `/__faults` admin route are not counted in the
 * endpoint's stats. The client's requests are, including the ones a fault answers or cuts.
 *
 * @example
 * ```ts
 * const endpoint = await startUpstashLocal({ redisUrl, injectFaults: true });
 * endpoint.faults!.next({ kind: "drop-after-execute", match: "evalsha" });
 * // the next EVALSHA request is executed, its response lost, and the client's resend answered.
 * ```
 *
 * @module
 */

/** Every fault kind, in the order they act on a request. */
export const FAULT_KINDS = [
  "latency",
  "slow-script",
  "script-flush",
  "redis-restart",
  "error-before",
  "reset",
  "drop-after-execute",
] as const;

/** One kind of fault; see the module documentation. */
export type FaultKind = typeof FAULT_KINDS[number];

/** A fault to inject: what, on which requests, how often. */
export interface FaultRule {
  /** The kind of fault. */
  kind: FaultKind;
  /** A route, a command name or an exact argument the request must contain. @default any */
  match?: string;
  /** Fire at most this many times. @default 1 without probability, unlimited with it */
  count?: number;
  /** Let this many matching requests pass before the first firing. @default 0 */
  skip?: number;
  /** Fire on each matching request with this chance (0 to 1). @default fire on every one */
  probability?: number;
  /** `latency` and `slow-script`: milliseconds. @default 100 */
  ms?: number;
  /** `error-before`: the HTTP status, 500 to 599. @default 503 */
  status?: number;
}

/** A rule as the injector keeps it: the rule and its progress. */
export interface ActiveFaultRule extends FaultRule {
  /** Times it fired so far. */
  fired: number;
  /** Matching requests it let pass so far (towards `skip`). */
  skipped: number;
}

/** What the injector reports (also the body of `GET /__faults`). */
export interface FaultState {
  /** The rules still active. */
  rules: ActiveFaultRule[];
  /** Firings per kind since start-up or the last `clear()`. */
  fired: Record<FaultKind, number>;
}

/** A request as the injector sees it (a subset of the endpoint's fault context). */
export interface FaultRequest {
  /** Which command route the request hit. */
  readonly route: string;
  /** The validated commands, each as string arguments. */
  readonly commands: readonly (readonly string[])[];
  /** Cuts the client's TCP connection; absent when no fault proxy is in front. */
  readonly connection?: { close(): void; reset(): void };
}

/** What the injector needs from the endpoint. */
export interface FaultInjectorOptions {
  /** Runs Redis commands for the injector itself (SCRIPT FLUSH, the busy script). */
  run(commands: readonly (readonly string[])[]): Promise<unknown>;
  /** Restarts redis-server; without it `redis-restart` rules are refused. */
  restartRedis?: () => Promise<void>;
  /** Uniform numbers in [0, 1) for `probability` rules. @default Math.random */
  random?: () => number;
}

const DEFAULT_MS = 100;
const MAX_SLOW_SCRIPT_MS = 4_000;

/** Busy-waits ARGV[1] milliseconds inside Redis, blocking it like a slow script does. */
const BUSY_SCRIPT = `
local function now()
  local t = redis.call("TIME")
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local stop = now() + tonumber(ARGV[1])
while now() < stop do end
return 1
`;

/**
 * Decides, per command request, which faults fire, and acts them out through the endpoint's
 * fault hooks (`beforeExecute`, `afterExecute`).
 */
export class FaultInjector {
  readonly #options: FaultInjectorOptions;
  readonly #random: () => number;
  #rules: ActiveFaultRule[] = [];
  #fired = emptyCounts();
  readonly #pending = new WeakMap<object, FaultKind[]>();

  /** Creates an injector with no rules. */
  constructor(options: FaultInjectorOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
  }

  /**
   * Adds a rule (validated) and returns the injector, so calls chain.
   *
   * @throws {RangeError} for an unknown kind or an out-of-range number
   * @throws {Error} for `redis-restart` without a `restartRedis` callback
   */
  next(rule: FaultRule): this {
    return this.add([rule]);
  }

  /** Adds several rules; all are validated before any is added. */
  add(rules: readonly FaultRule[]): this {
    const canRestart = this.#options.restartRedis !== undefined;
    const checked = rules.map((rule) => checkedRule(rule, canRestart));
    this.#rules.push(...checked.map((rule) => ({ ...rule, fired: 0, skipped: 0 })));
    return this;
  }

  /** Removes every rule and zeroes the firing counts. */
  clear(): void {
    this.#rules = [];
    this.#fired = emptyCounts();
  }

  /** The active rules and the firing counts. */
  state(): FaultState {
    return { rules: this.#rules.map((rule) => ({ ...rule })), fired: { ...this.#fired } };
  }

  /**
   * Applies a `POST /__faults` body: `{"clear": true}` and/or `{"rules": [FaultRule, ...]}`.
   *
   * @throws {TypeError} for a malformed body
   */
  admin(body: unknown): FaultState {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new TypeError('expected {"clear"?: true, "rules"?: [...]}');
    }
    const { clear, rules } = body as { clear?: unknown; rules?: unknown };
    if (clear !== undefined && typeof clear !== "boolean") {
      throw new TypeError('"clear" must be a boolean');
    }
    if (rules !== undefined && !Array.isArray(rules)) {
      throw new TypeError('"rules" must be an array');
    }
    const canRestart = this.#options.restartRedis !== undefined;
    const checked = (rules ?? []).map((rule) => checkedRule(rule, canRestart));
    if (clear) this.clear();
    this.add(checked);
    return this.state();
  }

  /** The fault hook run before execution; a Response answers the request instead. */
  async beforeExecute(request: FaultRequest): Promise<Response | undefined> {
    const firing = this.#decide(request);
    if (firing.length === 0) return undefined;
    this.#pending.set(request, firing.map((rule) => rule.kind));
    for (const rule of firing) {
      const kind = rule.kind;
      switch (kind) {
        case "latency":
          await sleep(rule.ms ?? DEFAULT_MS);
          break;
        case "slow-script":
          await this.#options.run([["EVAL", BUSY_SCRIPT, "0", String(rule.ms ?? DEFAULT_MS)]]);
          break;
        case "script-flush":
          await this.#options.run([["SCRIPT", "FLUSH"]]);
          break;
        case "redis-restart":
          await this.#options.restartRedis!();
          break;
        case "error-before":
          return faultResponse(rule.status ?? 503, "error-before");
        case "reset":
          requireConnection(request, kind).reset();
          return faultResponse(503, "reset");
        case "drop-after-execute":
          requireConnection(request, kind);
          break;
      }
    }
    return undefined;
  }

  /** The fault hook run after execution; cuts the connection for `drop-after-execute`. */
  afterExecute(request: FaultRequest, _response: Response): Response | undefined {
    if (this.#pending.get(request)?.includes("drop-after-execute")) {
      requireConnection(request, "drop-after-execute").close();
    }
    return undefined;
  }

  /**
   * Picks the rules that fire for this request (one per kind, in the order of FAULT_KINDS) and
   * retires the rules that are used up.
   */
  #decide(request: FaultRequest): FaultRule[] {
    const fired = new Map<FaultKind, FaultRule>();
    for (const rule of this.#rules) {
      if (fired.has(rule.kind) || !matches(rule.match, request)) continue;
      if (rule.skipped < (rule.skip ?? 0)) {
        rule.skipped++;
        continue;
      }
      if (rule.probability !== undefined && this.#random() >= rule.probability) continue;
      rule.fired++;
      fired.set(rule.kind, { ...rule });
      this.#fired[rule.kind]++;
    }
    this.#rules = this.#rules.filter((rule) => rule.fired < limitOf(rule));
    return FAULT_KINDS.flatMap((kind) => fired.get(kind) ?? []);
  }
}

function emptyCounts(): Record<FaultKind, number> {
  return Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
}

function limitOf(rule: FaultRule): number {
  return rule.count ?? (rule.probability === undefined ? 1 : Infinity);
}

function matches(match: string | undefined, request: FaultRequest): boolean {
  if (match === undefined || match === request.route) return true;
  const lower = match.toLowerCase();
  return request.commands.some((command) =>
    command[0].toLowerCase() === lower || command.slice(1).includes(match)
  );
}

function requireConnection(request: FaultRequest, kind: FaultKind) {
  if (request.connection === undefined) {
    throw new Error(`${kind} needs the fault proxy: start the endpoint with injectFaults`);
  }
  return request.connection;
}

function faultResponse(status: number, kind: FaultKind): Response {
  return new Response(
    JSON.stringify({ error: `ERR upstash-local: injected fault (${kind})` }),
    { status, headers: { "content-type": "application/json" } },
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Validates a rule from code or JSON; returns a copy with the known fields only. */
function checkedRule(value: unknown, canRestart: boolean): FaultRule {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError("a fault rule must be an object with a kind");
  }
  const rule = value as Record<string, unknown>;
  const kind = rule.kind;
  if (!(FAULT_KINDS as readonly unknown[]).includes(kind)) {
    throw new RangeError(
      `unknown fault kind ${JSON.stringify(kind)}; one of ${FAULT_KINDS.join(", ")}`,
    );
  }
  if (kind === "redis-restart" && !canRestart) {
    throw new Error("redis-restart needs a restartRedis callback (injectFaults: { restartRedis })");
  }
  const known = new Set(["kind", "match", "count", "skip", "probability", "ms", "status"]);
  const unknown = Object.keys(rule).find((key) => !known.has(key));
  if (unknown !== undefined) throw new TypeError(`unknown fault rule field "${unknown}"`);
  if (rule.match !== undefined && typeof rule.match !== "string") {
    throw new TypeError("match must be a string");
  }
  const integer = (name: string, low: number, high: number) => {
    const x = rule[name];
    if (x === undefined) return;
    if (typeof x !== "number" || !Number.isInteger(x) || x < low || x > high) {
      throw new RangeError(`${name} must be an integer from ${low} to ${high}`);
    }
  };
  integer("count", 1, Number.MAX_SAFE_INTEGER);
  integer("skip", 0, Number.MAX_SAFE_INTEGER);
  integer("ms", 0, kind === "slow-script" ? MAX_SLOW_SCRIPT_MS : 60_000);
  integer("status", 500, 599);
  const p = rule.probability;
  if (p !== undefined && (typeof p !== "number" || !(p >= 0 && p <= 1))) {
    throw new RangeError("probability must be a number from 0 to 1");
  }
  const copy: Record<string, unknown> = {};
  for (const key of known) if (rule[key] !== undefined) copy[key] = rule[key];
  return copy as unknown as FaultRule;
}

/**
 * Parses a CLI spec `KIND[:PROBABILITY[:VALUE]]` (VALUE: `ms` for latency and slow-script,
 * `status` for error-before), e.g. `drop-after-execute:0.1`, `latency:1:200`.
 *
 * @throws {RangeError} for a malformed spec
 */
export function parseFaultSpec(spec: string): FaultRule {
  const [kind, probability, value, ...rest] = spec.split(":");
  if (rest.length > 0) throw new RangeError(`--fault ${spec}: expected KIND[:PROBABILITY[:VALUE]]`);
  const rule: Record<string, unknown> = { kind };
  rule.probability = probability === undefined || probability === "" ? 1 : Number(probability);
  if (value !== undefined) {
    if (kind === "latency" || kind === "slow-script") rule.ms = Number(value);
    else if (kind === "error-before") rule.status = Number(value);
    else throw new RangeError(`--fault ${spec}: ${kind} takes no value`);
  }
  return checkedRule(rule, true);
}
