import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { drainable } from "../../bff/http/graceful-shutdown.js";

/**
 * The two cases that reset requests at SIGTERM (ADR 0022), made exact: while this process's
 * event loop is blocked (as a busy server's is), a client process sends a request on a
 * keep-alive connection already used once and opens connections that stay in the listen
 * backlog. The drain then starts before the server has read or accepted any of them.
 */
const CLIENT = String.raw`
const net = require("node:net");
const fs = require("node:fs");
const [port, dir, fresh] = process.argv.slice(1);
const flag = (n) => fs.writeFileSync(dir + "/" + n, "");
const waitFlag = async (n) => { for (let i = 0; i < 500 && !fs.existsSync(dir + "/" + n); i++) await new Promise((r) => setTimeout(r, 10)); };
const request = "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n";
const results = [];
const collected = [];
function collect(socket, name, onFirst) {
  let data = "";
  socket.on("data", (d) => { data += d; if (onFirst && data.includes("ok")) { const f = onFirst; onFirst = undefined; data = ""; f(); } });
  return new Promise((resolve) => {
    socket.on("error", (e) => results.push({ name, error: e.code }));
    socket.on("close", () => {
      if (!results.some((r) => r.name === name)) {
        const status = /^HTTP\/1\.1 (\d+)/.exec(data);
        const conn = /\r\nconnection: *(\S+)/i.exec(data);
        results.push(status ? { name, status: Number(status[1]), connection: conn && conn[1].toLowerCase() } : { name, error: "closed, no response" });
      }
      resolve();
    });
  });
}
(async () => {
  const keepAlive = net.connect(Number(port), "127.0.0.1");
  const warmed = new Promise((r) => { keepAlive.once("connect", () => keepAlive.write(request)); collected.push(collect(keepAlive, "keep-alive", r)); });
  await warmed;
  flag("warmed");
  await waitFlag("blocked");
  const writes = [new Promise((r) => keepAlive.write(request, r))];
  for (let i = 0; i < Number(fresh); i++) {
    const s = net.connect(Number(port), "127.0.0.1");
    writes.push(new Promise((r) => s.once("connect", () => s.write(request, r))));
    collected.push(collect(s, "backlog " + i));
  }
  await Promise.all(writes);
  flag("written");
  await Promise.all(collected);
  process.stdout.write(JSON.stringify(results));
})();
`;

type Result = { name: string; status?: number; connection?: string; error?: string };

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs the client against a fresh server; `stop` is called with the event loop still blocked. */
async function scenario(
  stop: (server: http.Server, drain: ReturnType<typeof drainable>) => void,
  fresh = 8,
): Promise<Result[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-drain-"));
  dirs.push(dir);
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  const tracked = drainable(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const child = spawn(process.execPath, ["-e", CLIENT, String(port), dir, String(fresh)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const until = (name: string) => fs.existsSync(path.join(dir, name));
  for (let i = 0; i < 500 && !until("warmed"); i++) await new Promise((r) => setTimeout(r, 10));
  // Blocked from here: nothing is accepted or read until stop() has run.
  fs.writeFileSync(path.join(dir, "blocked"), "");
  const t0 = Date.now();
  while (!until("written") && Date.now() - t0 < 10_000) {
    // busy, like a server rendering pages
  }
  // The client's bytes are in the kernel by now; give them a moment to settle there.
  const t1 = Date.now();
  while (Date.now() - t1 < 50) {
    // still busy
  }
  stop(server, tracked);
  await exited;
  server.close();
  return JSON.parse(out) as Result[];
}

describe("drainable(server).drain()", () => {
  it("answers a request still unread on a keep-alive connection and every connection in the backlog", async () => {
    let drained: Promise<{ cut: number }> | undefined;
    const results = await scenario((_server, drain) => {
      drained = drain.drain(Date.now() + 10_000);
    });
    expect(results).toHaveLength(9);
    for (const r of results) expect(r, r.name).toMatchObject({ status: 200, connection: "close" });
    expect((await drained!).cut).toBe(0);
  });

  it("(Node's own close() resets them, which is why the drain exists)", async () => {
    const results = await scenario((server) => server.close());
    expect(results.filter((r) => r.error).length).toBeGreaterThan(0);
  });
});
