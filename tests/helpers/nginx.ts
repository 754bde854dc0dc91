/**
 * nginx for tests/integration/deploy-nginx.test.ts (issue 15 item 5): renders
 * docs/deploy/nginx/portal.conf — the file docs/deploy.md shows — with the test's loopback
 * ports and certificate, and runs it as a child process (never the system service).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const NGINX_CONF = path.join(root, "docs/deploy/nginx/portal.conf");
export const SYSTEMD_DIR = path.join(root, "docs/deploy/systemd");

/** The executable, or undefined when nginx is not installed (apt: nginx-light). */
export function nginxPath(): string | undefined {
  for (const p of ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"]) {
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

export const hasCommand = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

/** Replaces `from` by `to`, exactly `times` times: a changed doc breaks the test, not silently the deploy. */
function replaceExactly(text: string, from: string, to: string, times = 1): string {
  const found = text.split(from).length - 1;
  if (found !== times) throw new Error(`docs/deploy/nginx/portal.conf: expected "${from}" ${times}×, found ${found}×`);
  return text.split(from).join(to);
}

export interface NginxPorts {
  https: number;
  http: number;
  apps: [number, number];
}

/** The doc's file with the test's addresses; everything else exactly as documented. */
export function renderPortalConf(ports: NginxPorts, dir: string): string {
  let conf = fs.readFileSync(NGINX_CONF, "utf8");
  conf = replaceExactly(conf, "server 10.0.0.11:3000 ", `server 127.0.0.1:${ports.apps[0]} `);
  conf = replaceExactly(conf, "server 10.0.0.12:3000 ", `server 127.0.0.1:${ports.apps[1]} `);
  conf = replaceExactly(conf, "listen 443 ssl;", `listen 127.0.0.1:${ports.https} ssl;`);
  conf = replaceExactly(conf, "listen 80;", `listen 127.0.0.1:${ports.http};`);
  conf = replaceExactly(conf, "server_name portal.tainan.gov.tw;", "server_name localhost;", 2);
  conf = replaceExactly(
    conf,
    "https://portal.tainan.gov.tw$request_uri",
    `https://localhost:${ports.https}$request_uri`,
  );
  conf = replaceExactly(conf, "/etc/nginx/tls/portal.crt", path.join(dir, "tls.crt"));
  conf = replaceExactly(conf, "/etc/nginx/tls/portal.key", path.join(dir, "tls.key"));
  conf = replaceExactly(conf, "/var/log/nginx/portal.access.log", path.join(dir, "access.log"));
  return conf;
}

/** The main file a Debian nginx.conf would be: here every path is in the test's folder. */
function mainConf(dir: string): string {
  const tmp = (name: string) => path.join(dir, "tmp", name);
  return [
    // Workers as root when the test is root: the test's folder is 0700.
    process.getuid?.() === 0 ? "user root;" : "",
    "worker_processes 2;",
    `pid ${path.join(dir, "nginx.pid")};`,
    `error_log ${path.join(dir, "error.log")} warn;`,
    "events { worker_connections 512; }",
    "http {",
    `  client_body_temp_path ${tmp("body")};`,
    `  proxy_temp_path ${tmp("proxy")};`,
    `  fastcgi_temp_path ${tmp("fastcgi")};`,
    `  uwsgi_temp_path ${tmp("uwsgi")};`,
    `  scgi_temp_path ${tmp("scgi")};`,
    `  include ${path.join(dir, "portal.conf")};`,
    "}",
    "",
  ].join("\n");
}

/** A self-signed certificate for localhost and 127.0.0.1 (openssl): the clients trust it as their CA. */
export function makeCertificate(dir: string): string {
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout",
      path.join(dir, "tls.key"),
      "-out",
      path.join(dir, "tls.crt"),
    ],
    { stdio: "ignore" },
  );
  return fs.readFileSync(path.join(dir, "tls.crt"), "utf8");
}

export interface RunningNginx {
  child: ChildProcess;
  accessLog(): string;
  errorLog(): string;
  stop(): Promise<void>;
}

/** Writes the configuration, checks it with `nginx -t`, and runs nginx in the foreground. */
export async function startNginx(bin: string, dir: string, ports: NginxPorts): Promise<RunningNginx> {
  for (const t of ["body", "proxy", "fastcgi", "uwsgi", "scgi"])
    fs.mkdirSync(path.join(dir, "tmp", t), { recursive: true });
  fs.writeFileSync(path.join(dir, "portal.conf"), renderPortalConf(ports, dir));
  const main = path.join(dir, "nginx.conf");
  fs.writeFileSync(main, mainConf(dir));
  const check = spawnSync(bin, ["-t", "-q", "-p", dir, "-c", main, "-e", "stderr"], { encoding: "utf8" });
  if (check.status !== 0) throw new Error(`nginx -t refused the rendered configuration:\n${check.stderr}`);
  const child = spawn(bin, ["-p", dir, "-c", main, "-e", "stderr", "-g", "daemon off;"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8192)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const read = (name: string) => {
    try {
      return fs.readFileSync(path.join(dir, name), "utf8");
    } catch {
      return "";
    }
  };
  return {
    child,
    accessLog: () => read("access.log"),
    errorLog: () => read("error.log") + stderr,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * `systemd-analyze verify` of the documented units in a scratch root: the units in
 * /etc/systemd/system, the host's own system units beside them, and a stand-in for the
 * release's node at the path ExecStart names. Returns what it printed (empty = clean).
 */
export function verifyUnits(dir: string): { status: number | null; output: string } {
  const rootDir = path.join(dir, "systemd-root");
  const units = path.join(rootDir, "etc/systemd/system");
  fs.mkdirSync(units, { recursive: true });
  for (const f of fs.readdirSync(SYSTEMD_DIR)) fs.copyFileSync(path.join(SYSTEMD_DIR, f), path.join(units, f));
  const system = ["/usr/lib/systemd/system", "/lib/systemd/system"].find((p) => fs.existsSync(p));
  if (system) fs.cpSync(system, path.join(rootDir, "usr/lib/systemd/system"), { recursive: true, dereference: false });
  const node = path.join(rootDir, "opt/portal/current/node_modules/.bin/node");
  fs.mkdirSync(path.dirname(node), { recursive: true });
  fs.writeFileSync(node, "#!/bin/sh\n", { mode: 0o755 });
  const run = spawnSync(
    "systemd-analyze",
    ["verify", `--root=${rootDir}`, "portal@3000.service", "portal-worker.service"],
    { encoding: "utf8" },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}
