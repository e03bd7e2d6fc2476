/**
 * A small TypeScript scanner for `tests/runtime_agnostic_test.ts`: it splits source text into
 * code, string literals and comments (so JSDoc that mentions Deno is not code), then reports
 * uses of runtime-specific APIs in the code and the strings.
 *
 * @module
 */

import { builtinModules } from "node:module";

/** A string literal's text (escapes left as written) and the line it starts on. */
export interface StringLiteral {
  /** The text between the quotes; for a template, a `${...}`-free piece of it. */
  text: string;
  /** 1-based line. */
  line: number;
  /** Offset of the opening quote (or of the piece) in the source, and in `code`. */
  offset: number;
}

/** Source split into code (strings and comments blanked out, lines kept) and string literals. */
export interface ScannedSource {
  /**
   * The code with every comment and string literal replaced by spaces: same length as the source,
   * with the same offsets and newlines.
   */
  code: string;
  /** Every string literal and template piece, in order. */
  strings: StringLiteral[];
}

const REGEX_AFTER_WORDS = new Set([
  "return",
  "typeof",
  "instanceof",
  "case",
  "do",
  "else",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "yield",
  "await",
]);

/**
 * Splits `source` into code and string literals, dropping comments. Handles `//` and block
 * comments, single- and double-quoted strings, template literals with nested `${...}` code, and
 * regular-expression literals (told from division by the token before them).
 *
 * @throws {Error} on an unterminated string, template, comment or regular expression
 */
export function scanSource(source: string): ScannedSource {
  const out: string[] = [];
  const strings: StringLiteral[] = [];
  // One entry per open template `${`: the brace depth of the code inside it.
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  let line = 1;
  let lastToken = ""; // the last significant code character or word, for the regex rule

  const blank = (text: string) => {
    for (const ch of text) {
      if (ch === "\n") line++;
    }
    out.push(text.replace(/[^\n]/g, " "));
  };
  const readQuoted = (quote: string): string => {
    let j = i + 1;
    while (j < source.length && source[j] !== quote) {
      if (source[j] === "\\") j++;
      else if (source[j] === "\n") throw new Error(`unterminated string on line ${line}`);
      j++;
    }
    if (j >= source.length) throw new Error(`unterminated string on line ${line}`);
    return source.slice(i, j + 1);
  };
  // Reads template text from i (just after ` or }) to the closing ` or the next ${.
  const readTemplatePiece = (): void => {
    let j = i;
    while (
      j < source.length && source[j] !== "`" && !(source[j] === "$" && source[j + 1] === "{")
    ) {
      if (source[j] === "\\") j++;
      j++;
    }
    if (j >= source.length) throw new Error(`unterminated template on line ${line}`);
    strings.push({ text: source.slice(i, j), line, offset: i });
    blank(source.slice(i, j));
    if (source[j] === "`") {
      out.push(" ");
      i = j + 1;
      lastToken = "`";
    } else {
      out.push("  ");
      i = j + 2;
      templates.push(depth);
      depth++;
      lastToken = "{";
    }
  };

  while (i < source.length) {
    const ch = source[i];
    const next = source[i + 1];
    if (ch === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      const stop = end === -1 ? source.length : end;
      blank(source.slice(i, stop));
      i = stop;
    } else if (ch === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      if (end === -1) throw new Error(`unterminated comment on line ${line}`);
      blank(source.slice(i, end + 2));
      i = end + 2;
    } else if (ch === "'" || ch === '"') {
      const text = readQuoted(ch);
      strings.push({ text: text.slice(1, -1), line, offset: i });
      blank(text);
      i += text.length;
      lastToken = "'";
    } else if (ch === "`") {
      out.push(" ");
      i++;
      readTemplatePiece();
    } else if (ch === "/" && regexAllowedAfter(lastToken)) {
      let j = i + 1;
      let inClass = false;
      while (j < source.length && (inClass || source[j] !== "/")) {
        if (source[j] === "\\") j++;
        else if (source[j] === "[") inClass = true;
        else if (source[j] === "]") inClass = false;
        else if (source[j] === "\n") throw new Error(`unterminated regex on line ${line}`);
        j++;
      }
      while (/[a-z]/i.test(source[j + 1] ?? "")) j++;
      blank(source.slice(i, j + 1));
      i = j + 1;
      lastToken = "/x/";
    } else if (
      ch === "}" && templates.length > 0 && templates[templates.length - 1] === depth - 1
    ) {
      templates.pop();
      depth--;
      out.push(" ");
      i++;
      readTemplatePiece();
    } else {
      if (ch === "{") depth++;
      else if (ch === "}") depth--;
      if (ch === "\n") line++;
      if (/[\w$]/.test(ch)) {
        const word = /^[\w$]+/.exec(source.slice(i))![0];
        out.push(word);
        i += word.length;
        lastToken = word;
        continue;
      }
      if (!/\s/.test(ch)) lastToken = ch;
      out.push(ch);
      i++;
    }
  }
  return { code: out.join(""), strings };
}

function regexAllowedAfter(token: string): boolean {
  if (token === "") return true;
  if (/^[\w$]+$/.test(token)) return REGEX_AFTER_WORDS.has(token);
  return "(,=:[!&|?{};+-*%<>~^".includes(token);
}

/** One runtime-specific use found by {@linkcode findRuntimeUses}. */
export interface RuntimeUse {
  /** 1-based line. */
  line: number;
  /** What was found, e.g. `Deno global` or `import of "node:fs"`. */
  what: string;
}

const NODE_BUILTINS = new Set(builtinModules.map((name) => name.replace(/^node:/, "")));
// Globals that exist in one runtime only (Node, Deno, Bun), not in workerd or browsers.
const RUNTIME_GLOBALS = ["Deno", "Bun", "process", "Buffer", "require", "__dirname", "__filename"];
const GLOBAL_PATTERN = new RegExp(`(?<![\\w$])(${RUNTIME_GLOBALS.join("|")})(?![\\w$])`, "g");

/**
 * Reports, in code (not comments): any use of `Deno`, `Bun`, `process`, `Buffer`, `require`,
 * `__dirname` or `__filename` as an identifier (also `globalThis.Deno`), except as a property
 * name of another object (`job.process()` is fine) or an object key; in strings: any `node:` or
 * `bun:` module name, a Node built-in imported by its bare name (`from "fs"`), or one of those
 * global names (`globalThis["Deno"]`).
 */
export function findRuntimeUses(source: string): RuntimeUse[] {
  const { code, strings } = scanSource(source);
  const uses: RuntimeUse[] = [];
  code.split("\n").forEach((text, index) => {
    for (const match of text.matchAll(GLOBAL_PATTERN)) {
      const before = text.slice(0, match.index).trimEnd();
      const after = text.slice(match.index! + match[0].length).trimStart();
      const isProperty = before.endsWith(".") && !before.endsWith("...") &&
        !/(?<![\w$.])(globalThis|self|window|global)\s*\??\.$/.test(before);
      const isKey = after.startsWith(":") && /(^|[{,])$/.test(before);
      if (!isProperty && !isKey) uses.push({ line: index + 1, what: `${match[1]} global` });
    }
  });
  for (const { text, line, offset } of strings) {
    const isSpecifier = /(?:\bfrom|\bimport|\bimport\s*\(|\brequire\s*\()\s*$/.test(
      code.slice(Math.max(0, offset - 40), offset),
    );
    if (/^bun(:|$)/.test(text)) {
      uses.push({ line, what: `Bun module "${text}"` });
    } else if (/^node:/.test(text)) {
      uses.push({ line, what: `Node module "${text}"` });
    } else if (isSpecifier && NODE_BUILTINS.has(text.split("/")[0])) {
      uses.push({ line, what: `import of the Node built-in "${text}"` });
    } else if (RUNTIME_GLOBALS.includes(text)) {
      uses.push({ line, what: `"${text}" as a string (a global looked up by name?)` });
    }
  }
  return uses;
}
