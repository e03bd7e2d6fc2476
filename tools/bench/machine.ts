/**
 * What the benchmark ran on: cores, CPU model, runtime and library versions.
 *
 * @module
 */

/** The machine and software a run was measured on. */
export interface MachineInfo {
  /** Logical cores. */
  cores: number;
  /** The CPU model from `/proc/cpuinfo`. */
  cpu: string;
  /** Operating system and architecture. */
  os: string;
  /** Deno, V8 and TypeScript versions. */
  deno: string;
  /** The redis-server version. */
  redis: string;
  /** The npm packages in play, as pinned in deno.json. */
  packages: Record<string, string>;
}

function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1].trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

function pinnedPackages(): Record<string, string> {
  const config = JSON.parse(
    Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)),
  ) as { imports?: Record<string, string> };
  const packages: Record<string, string> = {};
  for (const name of ["@upstash/redis", "redis"]) {
    const specifier = config.imports?.[name] ?? "";
    packages[name] = specifier.replace(/^npm:/, "");
  }
  return packages;
}

/** Describes this machine; `redis` is the server version the caller read. */
export function machineInfo(redis: string): MachineInfo {
  return {
    cores: navigator.hardwareConcurrency,
    cpu: cpuModel(),
    os: `${Deno.build.os} ${Deno.build.arch}`,
    deno:
      `deno ${Deno.version.deno} (V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript})`,
    redis: `redis-server ${redis}`,
    packages: pinnedPackages(),
  };
}
