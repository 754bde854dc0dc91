import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { root } from "./server.js";
import type { MachineInfo } from "./types.js";

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpuModel() ?? cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    ramGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${osName()} (${os.type()} ${os.release()}, ${os.arch()})`,
  };
}

export function describeMachine(m: MachineInfo): string {
  return `${m.cpu}, ${m.cores} logical cores, ${m.ramGiB} GiB RAM, Node ${m.node}, ${m.os}`;
}

/** /proc/cpuinfo's model name, plus the hypervisor when virtualised (lscpu-style). */
function cpuModel(): string | undefined {
  try {
    const info = fs.readFileSync("/proc/cpuinfo", "utf8");
    const model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim();
    if (!model) return undefined;
    const virtual = /^flags\s*:.*\bhypervisor\b/m.test(info);
    return virtual ? `${model} (virtual machine)` : model;
  } catch {
    return undefined;
  }
}

function osName(): string {
  try {
    const release = fs.readFileSync("/etc/os-release", "utf8");
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(release)?.[1];
    if (pretty) return pretty;
  } catch {
    // not Linux
  }
  return os.version();
}

let pglite: Promise<string> | undefined;

/** "PGlite 0.5.14 (PostgreSQL 17.x)": the embedded database's package and server version. */
export function pgliteVersion(): Promise<string> {
  pglite ??= (async () => {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(root, "node_modules/@electric-sql/pglite/package.json"), "utf8"),
    ) as { version: string };
    const { PGlite } = await import("@electric-sql/pglite");
    const lite = await PGlite.create();
    try {
      const { rows } = await lite.query<{ v: string }>("SELECT current_setting('server_version') AS v");
      return `PGlite ${pkg.version} (PostgreSQL ${rows[0]?.v ?? "?"})`;
    } finally {
      await lite.close();
    }
  })();
  return pglite;
}
