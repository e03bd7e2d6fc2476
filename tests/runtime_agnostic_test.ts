/**
 * The published code (`deno.json` `publish.include`: `mod.ts` and `src/`) uses web APIs only: no
 * `node:` imports and no `Deno`, `Bun` or `process` in code, so one package runs on Deno, Bun,
 * Node, Cloudflare Workers and browsers. Comments may mention runtimes; code may not.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { findRuntimeUses, scanSource } from "./support/runtime_scan.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Turns a `publish.include` glob (`*`, `**`) into a RegExp over `/`-separated paths. */
function globToRegExp(glob: string): RegExp {
  const pattern = glob.replace(/^\.\//, "").replace(/\/$/, "/**").replace(
    /\*\*\/|\*\*|\*|\?|[.+^${}()|[\]\\]/g,
    (token) =>
      token === "**/"
        ? "(?:.*/)?"
        : token === "**"
        ? ".*"
        : token === "*"
        ? "[^/]*"
        : token === "?"
        ? "[^/]"
        : `\\${token}`,
  );
  return new RegExp(`^${pattern}$`);
}

/** Every file of the repository, as `/`-separated paths, without node_modules and dot dirs. */
function listFiles(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith(".") || entry.name === "node_modules") return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(path);
    return entry.isFile() ? [relative(ROOT, path).split(sep).join("/")] : [];
  });
}

/** The TypeScript/JavaScript files `deno publish` would include. */
function publishedSources(): string[] {
  const config = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
  const include: string[] = config.publish?.include ?? [];
  const exclude: string[] = config.publish?.exclude ?? [];
  const included = include.map(globToRegExp), excluded = exclude.map(globToRegExp);
  return listFiles()
    .filter((path) => /\.(?:[cm]?[jt]sx?)$/.test(path))
    .filter((path) => included.some((re) => re.test(path)))
    .filter((path) => !excluded.some((re) => re.test(path)))
    .sort();
}

describe("the published code is runtime-agnostic", () => {
  const files = publishedSources();

  it("publish.include covers mod.ts and every file under src/", () => {
    assert.ok(files.includes("mod.ts"), `mod.ts is not published: ${files.join(", ")}`);
    const src = listFiles().filter((path) => path.startsWith("src/") && path.endsWith(".ts"));
    assert.ok(src.length > 0, "src/ has TypeScript files");
    assert.deepEqual(src.filter((path) => !files.includes(path)), []);
  });

  it("no published file imports node: modules or uses Deno, Bun or process", () => {
    const found = files.flatMap((path) =>
      findRuntimeUses(readFileSync(join(ROOT, path), "utf8"))
        .map(({ line, what }) => `${path}:${line}: ${what}`)
    );
    assert.deepEqual(
      found,
      [],
      `runtime-specific code in the published files:\n${found.join("\n")}`,
    );
  });
});

describe("the runtime scanner", () => {
  const uses = (source: string) => findRuntimeUses(source).map((use) => use.what);

  it("finds node: imports, bare Node built-in imports and bun: modules", () => {
    assert.deepEqual(uses('import { Blob as B } from "node:buffer";'), [
      'Node module "node:buffer"',
    ]);
    assert.deepEqual(uses("import process2 from 'node:process';"), ['Node module "node:process"']);
    assert.deepEqual(uses('const fs = await import("fs");'), ['import of the Node built-in "fs"']);
    assert.deepEqual(uses('export { x } from "fs/promises";'), [
      'import of the Node built-in "fs/promises"',
    ]);
    assert.deepEqual(uses('import { Database } from "bun:sqlite";'), ['Bun module "bun:sqlite"']);
    assert.deepEqual(uses('const kind = "fs"; const url = "path";'), [], "plain strings pass");
  });

  it("finds Deno, Bun, process and Node globals in code, also through globalThis", () => {
    assert.deepEqual(uses("const env = Deno.env.get('X');"), ["Deno global"]);
    assert.deepEqual(uses("if (typeof Bun !== 'undefined') {}"), ["Bun global"]);
    assert.deepEqual(uses("const { env } = process;"), ["process global"]);
    assert.deepEqual(uses("const b = Buffer.from(s);"), ["Buffer global"]);
    assert.deepEqual(uses("const m = require('x');"), ["require global"]);
    assert.deepEqual(uses("globalThis.Deno?.exit(1);"), ["Deno global"]);
    assert.deepEqual(uses('const d = globalThis["Deno"];'), [
      '"Deno" as a string (a global looked up by name?)',
    ]);
    assert.deepEqual(uses("const f = `${process.env.X}`;"), ["process global"]);
  });

  it("ignores comments, strings, regular expressions and other objects' properties", () => {
    const clean = [
      "/** Runs on Deno, Bun and Node (`process.env` is read by the caller). */",
      "// Deno.exit is never called; see node:process",
      "const a = 'Deno.env and process.env are not used';",
      'const b = "import x from \\"node:fs\\"".length;',
      "const c = `Bun.serve ${job.process(1)} Deno`;",
      "const d = /Deno|process/g.test(s) ? x / 2 : 0;",
      "const e = { process: 1, deno: 2 }; job.process(); Buffers++; processed++;",
      "/* block comment: process */ const f = 1;",
    ].join("\n");
    assert.deepEqual(uses(clean), []);
  });

  it("keeps code inside template expressions and reports the right line", () => {
    const source =
      "const a = 1;\nconst t = `line ${\n  x ? `in ${Deno.pid}` : ''\n}`;\nprocess.exit();";
    assert.deepEqual(findRuntimeUses(source), [
      { line: 3, what: "Deno global" },
      { line: 5, what: "process global" },
    ]);
    assert.equal(scanSource(source).code.length, source.length);
  });
});
