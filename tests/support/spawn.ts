/**
 * Child-process helpers for the runtime tests (`bun_server_test.ts`, `deno_cron_test.ts`,
 * `node_quickstart_test.ts`). They use `node:child_process`, so they run under Deno and Bun.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/**
 * Finds the executable `name` (`bun`, `deno`, `node`): the running binary when it is that
 * runtime, else on PATH, else next to the running binary (the repo's `.tools/node_modules/.bin`
 * holds deno and bun side by side). Returns undefined when it is nowhere.
 */
export function findExecutable(name: "bun" | "deno" | "node"): string | undefined {
  const running = process.versions.bun ? "bun" : process.versions.deno ? "deno" : "node";
  if (running === name) return process.execPath;
  const here = dirname(process.execPath);
  const dirs = [
    ...(process.env.PATH ?? "").split(delimiter).filter((dir) => dir !== ""),
    here,
    join(here, "..", ".bin"),
  ];
  return dirs.map((dir) => join(dir, name)).find((path) => existsSync(path));
}

/** A spawned child with its output collected so far. */
export interface Child {
  /** The process. */
  process: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout; rejects on exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or 128 + signal) once the child has exited. */
  exited: Promise<number>;
  /** Sends SIGTERM (SIGKILL after 3 s) and waits for the exit. */
  stop(): Promise<number>;
}

/** Spawns `command args` in the repository root with `env` added to this process's env. */
export function startChild(command: string, args: string[], env: Record<string, string>): Child {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "", err = "";
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number>((resolve) => {
    child.on("close", (code, signal) => {
      for (const listener of listeners) listener();
      resolve(code ?? (signal === "SIGKILL" ? 137 : 143));
    });
  });
  let done = false;
  exited.then(() => (done = true));

  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`timed out waiting for ${pattern}`)),
          timeoutMs,
        );
        const check = () => {
          const match = out.match(pattern);
          if (match) finish(undefined, match);
          else if (done || child.exitCode !== null) {
            finish(new Error(`exited (${child.exitCode}) before ${pattern}\n${out}\n${err}`));
          }
        };
        const finish = (error?: Error, match?: RegExpMatchArray) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(new Error(`${error.message}\nstdout: ${out}\nstderr: ${err}`));
          else resolve(match!);
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (!done) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
      return await exited;
    },
  };
}

/**
 * Runs `command args` to completion and returns its exit code and output.
 *
 * @throws {Error} after `timeoutMs` (the child is killed)
 */
export async function runChild(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = startChild(command, args, env);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.process.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} timed out\n${child.stderr()}`));
    }, timeoutMs);
  });
  try {
    const code = await Promise.race([child.exited, timeout]);
    return { code, stdout: child.stdout(), stderr: child.stderr() };
  } finally {
    clearTimeout(timer);
  }
}
