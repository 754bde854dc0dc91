import { execFile as execFileCb, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Client } from "ldapts";
import tls from "node:tls";

const execFile = promisify(execFileCb);

/**
 * A real Active Directory for the IDN-5 tests: Samba as an AD domain controller
 * (../shared/notes/SAMBA-AD.md). Global setup provisions one template domain per run;
 * each suite copies it (`cp -a`, ~70 ms) and starts its own DC on a loopback address of
 * its own (127.0.0.x), so two DCs never fight over ports 389/636.
 */
export const REALM = "TAINAN.TEST";
export const BASE_DN = "DC=tainan,DC=test";
export const TLS_NAME = "dc1.tainan.test";
export const ADMIN_PASSWORD = "Samba-Adm1n-Pw!";
export const ADMIN_DN = `CN=Administrator,CN=Users,${BASE_DN}`;

/** Why no DC can run here, or undefined. */
export function sambaMissing(): string | undefined {
  if (!hasCommand("samba-tool") || !hasCommand("samba")) {
    return "Samba is not installed (samba samba-ad-dc samba-ad-provision …; see .ci/run)";
  }
  if (process.getuid?.() !== 0) return "a Samba AD DC needs root (POSIX ACLs, security.* xattrs)";
  return undefined;
}

function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Provisions the template domain into `dir` (7-9 s). Called once per run by global setup. */
export async function provisionTemplate(dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, "empty.conf");
  fs.writeFileSync(conf, "");
  await execFile("samba-tool", [
    "domain",
    "provision",
    "-s",
    conf,
    `--targetdir=${dir}`,
    `--realm=${REALM}`,
    "--domain=TAINAN",
    "--server-role=dc",
    "--dns-backend=NONE",
    "--use-rfc2307",
    "--host-name=dc1",
    "--host-ip=127.0.0.1",
    `--adminpass=${ADMIN_PASSWORD}`,
    // Every path inside `dir`: nothing touches /etc/samba or /run/samba.
    "--option=interfaces=lo",
    "--option=bind interfaces only=yes",
    "--option=disable netbios=yes",
    // Only LDAP: the default services send DNS updates to a name server not on loopback.
    "--option=server services=ldap",
    `--option=pid directory=${dir}/run`,
    `--option=ncalrpc dir=${dir}/run/ncalrpc`,
    `--option=winbindd socket directory=${dir}/run/winbindd`,
    `--option=ntp signd socket directory=${dir}/run/ntp_signd`,
    `--option=log file=${dir}/log/log.%m`,
  ]);
  for (const sub of ["run", "log", "cache"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  // The template has no password policy; the policy suite switches AD's default back on.
  await passwordSettings(dir, [
    "--complexity=off",
    "--history-length=0",
    "--min-pwd-age=0",
    "--max-pwd-age=0",
    "--min-pwd-length=1",
  ]);
}

async function passwordSettings(dir: string, args: string[]): Promise<void> {
  await execFile("samba-tool", ["domain", "passwordsettings", "set", "-s", path.join(dir, "etc", "smb.conf"), ...args]);
}

export interface SambaDC {
  ip: string;
  /** The running samba process (for CPU accounting in the benchmark). */
  readonly pid: number | undefined;
  url: string;
  caFile: string;
  /** AD_* settings for testContainer's env, with this OU map. */
  env(ouMap: Record<string, string>): Record<string, string>;
  /** A bound admin client (caller unbinds). */
  admin(): Promise<Client>;
  /** Binds as a user: resolves, or rejects with ldapts' InvalidCredentialsError (data 52e / 533). */
  bindAs(userPrincipalOrDN: string, password: string): Promise<void>;
  createOU(name: string): Promise<string>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the DC and removes its folder. */
  destroy(): Promise<void>;
}

/**
 * A fresh DC from the template. `defaultPolicy` switches AD's default password policy
 * back on (complexity, 7 characters, 24 remembered), as a real domain has it.
 */
export async function startDC(
  template: string,
  opts: { defaultPolicy?: boolean; nosync?: boolean } = {},
): Promise<SambaDC> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-dc-"));
  await execFile("cp", ["-a", `${template}/.`, dir]);
  const ip = await freeLoopback();
  const confFile = path.join(dir, "etc", "smb.conf");
  const conf = fs
    .readFileSync(confFile, "utf8")
    .split(template)
    .join(dir)
    .replace(/interfaces = lo\b/, `interfaces = ${ip}/8`)
    // Samba's own test suite runs without fsync; the benchmark keeps it (nosync: false).
    .replace(/\[global\]\n/, opts.nosync === false ? "[global]\n" : "[global]\n\tldb:nosync = true\n");
  fs.writeFileSync(confFile, conf);
  if (opts.defaultPolicy) {
    await passwordSettings(dir, ["--complexity=on", "--min-pwd-length=7", "--history-length=24"]);
  }
  let pid: number | undefined;
  const caFile = path.join(dir, "private", "tls", "ca.pem");
  const url = `ldaps://${ip}:636`;
  const tlsOptions = () => ({
    ca: [fs.readFileSync(caFile)],
    checkServerIdentity: (_h: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(TLS_NAME, cert),
  });
  const client = () => new Client({ url, tlsOptions: tlsOptions(), timeout: 10_000, connectTimeout: 5_000 });

  const dc: SambaDC = {
    ip,
    get pid() {
      return pid;
    },
    url,
    caFile,
    env: (ouMap) => ({
      AD_URL: url,
      AD_BIND_DN: ADMIN_DN,
      AD_BIND_PASSWORD: ADMIN_PASSWORD,
      AD_CA_FILE: caFile,
      AD_TLS_NAME: TLS_NAME,
      AD_BASE_DN: BASE_DN,
      AD_OU_MAP: JSON.stringify(ouMap),
      AD_UPN_SUFFIX: "tainan.test",
      AD_TIMEOUT_MS: "5000",
    }),
    async admin() {
      const c = client();
      await c.bind(ADMIN_DN, ADMIN_PASSWORD);
      return c;
    },
    async bindAs(who, password) {
      const c = client();
      try {
        await c.bind(who, password);
      } finally {
        await c.unbind().catch(() => undefined);
      }
    },
    async createOU(name) {
      const dn = `OU=${name},${BASE_DN}`;
      const c = await dc.admin();
      try {
        await c.add(dn, { objectClass: ["top", "organizationalUnit"] });
      } finally {
        await c.unbind();
      }
      return dn;
    },
    async start() {
      const out = fs.openSync(path.join(dir, "log", "samba.out"), "a");
      const child = spawn("samba", ["-s", confFile, "-F", "-M", "single", "--debug-stdout", "-d", "1"], {
        detached: true,
        stdio: ["ignore", out, out],
      });
      child.unref();
      fs.closeSync(out);
      pid = child.pid;
      await waitFor(() => canConnect(ip, 636), 40_000, `Samba DC on ${ip}:636 (see ${dir}/log/samba.out)`);
    },
    async stop() {
      if (pid === undefined) return;
      const p = pid;
      pid = undefined;
      try {
        process.kill(p, "SIGTERM");
      } catch {
        return;
      }
      await waitFor(async () => !alive(p) && !(await canConnect(ip, 636)), 15_000, "Samba DC to stop");
    },
    async destroy() {
      await dc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await dc.start();
  return dc;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(500);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
    s.once("timeout", () => {
      s.destroy();
      resolve(false);
    });
  });
}

async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A loopback address whose LDAPS port is free: each DC gets its own. */
async function freeLoopback(): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const ip = `127.0.${Math.floor(Math.random() * 200) + 20}.${Math.floor(Math.random() * 250) + 2}`;
    if (!(await canConnect(ip, 636)) && !(await canConnect(ip, 389))) return ip;
  }
  throw new Error("no free loopback address for a Samba DC");
}
