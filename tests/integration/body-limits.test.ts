import http from "node:http";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { BODY_LIMITS, bodyLimitFor, DEFAULT_BODY_LIMIT } from "../../bff/http/body-limits.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeRepairType, makeSite, makeUnit } from "../helpers/factory.js";
import { postAs, signInOverHttp } from "../helpers/http-session.js";

/**
 * Issue 14 item 4: bodies are bounded before anything buffers. The probe's 300 MB
 * `POST /login` took 51 s and 1.1 GB RSS; here it must be answered 413 at once with the
 * server's memory flat. The server runs in this process, so its RSS is this process's.
 */
let c: Container;
let server: { url: string; close(): Promise<void> };
const MB = 1024 * 1024;

beforeAll(async () => {
  c = await testContainer();
  server = await startTestServer(c);
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

interface BigPost {
  status?: number;
  type?: string;
  body: string;
  ms: number;
  /** Bytes the client managed to hand to the socket before the server stopped it. */
  sent: number;
  error?: string;
}

/** Posts `total` bytes generated as it goes (never held in memory), chunked unless `declare`. */
function bigPost(path: string, total: number, opts: { declare: boolean }): Promise<BigPost> {
  const chunk = Buffer.alloc(64 * 1024, "a");
  let sent = 0;
  const source = new Readable({
    read() {
      if (sent >= total) return this.push(null);
      sent += chunk.length;
      this.push(chunk);
    },
  });
  const started = Date.now();
  return new Promise((resolve) => {
    let answered = false;
    const req = http.request(`${server.url}${path}`, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Origin: server.url,
        ...(opts.declare ? { "Content-Length": String(total) } : { "Transfer-Encoding": "chunked" }),
      },
    });
    const timer = setTimeout(() => req.destroy(new Error("no answer in 20 s")), 20_000);
    req.on("response", (res) => {
      answered = true;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      const done = () => {
        clearTimeout(timer);
        source.destroy();
        req.destroy();
        resolve({ status: res.statusCode, type: res.headers["content-type"], body, ms: Date.now() - started, sent });
      };
      res.on("end", done);
      res.on("error", done);
    });
    req.on("error", (e) => {
      if (answered) return;
      clearTimeout(timer);
      source.destroy();
      resolve({ body: "", ms: Date.now() - started, sent, error: e.message });
    });
    source.pipe(req);
  });
}

/** Runs `fn` while sampling this process's RSS every 10 ms; answers the growth over the start. */
async function rssGrowth<T>(fn: () => Promise<T>): Promise<{ result: T; growthMb: number }> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growthMb: (peak - start) / MB };
  } finally {
    clearInterval(sampler);
  }
}

async function healthzMs(): Promise<number> {
  const t = Date.now();
  const res = await fetch(`${server.url}/healthz`);
  expect(res.status).toBe(200);
  return Date.now() - t;
}

describe("request body limits", () => {
  it("answers a declared 300 MB POST /login with a zh-TW 413 at once, reading none of it; /healthz stays quick", async () => {
    const { result, growthMb } = await rssGrowth(async () => {
      const upload = bigPost("/login", 300 * MB, { declare: true });
      const health = healthzMs();
      return { upload: await upload, health: await health };
    });
    expect(result.upload.status).toBe(413);
    expect(result.upload.type).toMatch(/text\/html/);
    expect(result.upload.body).toContain("送出的資料太大");
    expect(result.upload.body).toContain("上限 1 MB");
    expect(result.upload.ms).toBeLessThan(3000);
    expect(result.upload.sent).toBeLessThan(64 * MB); // the connection closed long before 300 MB
    expect(result.health).toBeLessThan(1000);
    expect(growthMb).toBeLessThan(50);
  });

  it("cuts a chunked 300 MB body (no Content-Length) at the cap; memory stays flat", async () => {
    const { result, growthMb } = await rssGrowth(async () => {
      const upload = bigPost("/login", 300 * MB, { declare: false });
      const health = healthzMs();
      return { upload: await upload, health: await health };
    });
    // The 413 is sent before the connection closes; a client still writing may see the close first.
    if (result.upload.status !== undefined) expect(result.upload.status).toBe(413);
    else expect(result.upload.error).toMatch(/EPIPE|ECONNRESET|socket hang up|other side closed/i);
    expect(result.upload.ms).toBeLessThan(5000);
    expect(result.upload.sent).toBeLessThan(64 * MB);
    expect(result.health).toBeLessThan(1000);
    expect(growthMb).toBeLessThan(50);
  });

  it("a modest overshoot (8 MB) gets its 413 after the upload completes, as a browser needs", async () => {
    const res = await bigPost("/login", 8 * MB, { declare: true });
    expect(res.error).toBeUndefined();
    expect(res.status).toBe(413);
    expect(res.body).toContain("送出的資料太大");
  });

  it("answers `?_data` fetches as a thrown 413 text and APIs as JSON", async () => {
    const data = await bigPost("/login?_data=routes%2Flogin", 2 * MB, { declare: true });
    expect(data.status).toBe(413);
    expect(data.type).toMatch(/text\/plain/);
    expect(data.body).toMatch(/^送出的資料太大（上限 1 MB）/);
    const api = await bigPost("/api/sso/verify", 100 * 1024, { declare: true });
    expect(api.status).toBe(413);
    expect(JSON.parse(api.body)).toMatchObject({ error: "request_too_large" });
    const oidc = await bigPost("/oidc/token", 100 * 1024, { declare: true });
    expect(oidc.status).toBe(413);
  });

  it("a normal form post is answered as before", async () => {
    const res = await postAs(
      server.url,
      undefined,
      "/login",
      new URLSearchParams({ username: "nobody-here", password: "wrong", redirectTo: "/" }),
    );
    expect(res.status).not.toBe(413);
    expect(await res.text()).not.toContain("送出的資料太大");
  });

  it("a repair report with three photos (12 MB in all, over the 1 MB default) is stored", async () => {
    expect(bodyLimitFor("/repairs/new")).toBeGreaterThan(15 * MB);
    expect(bodyLimitFor("/login")).toBe(DEFAULT_BODY_LIMIT);
    expect(BODY_LIMITS.every((l) => l.bytes > 0)).toBe(true);
    const agency = await makeAgency(c);
    const unit = await makeUnit(c, agency.id);
    const reporter = await makeAccount(c, { unitId: unit.id });
    const vendor = await makeAccount(c, { unitId: unit.id });
    const typeId = (await makeRepairType(c, { agencyId: agency.id, scope: "own", vendors: [vendor.id] })).id;
    const siteId = (await makeSite(c)).id;
    const cookie = await signInOverHttp(server.url, reporter);
    const form = new FormData();
    for (const [k, v] of Object.entries({ typeId, phone: "06-2991234", siteId, floor: "3F", description: "冷氣漏水" }))
      form.set(k, String(v));
    for (let i = 0; i < 3; i++)
      form.append("photos", new File([new Uint8Array(pngOfSize(4 * MB))], `p${i}.png`, { type: "image/png" }));
    const res = await postAs(server.url, cookie, "/repairs/new", form);
    expect(res.status).toBe(303); // redirect-after-POST with a flash message
    const stored = await c.db
      .selectFrom("repair_tickets")
      .select("id")
      .where("reporter_id", "=", reporter.id)
      .execute();
    expect(stored).toHaveLength(1);
  });
});

/** A valid 1×1 PNG made `size` bytes long by a text chunk (correct CRCs throughout). */
function pngOfSize(size: number): Buffer {
  const png = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    "base64",
  );
  const iend = png.subarray(png.length - 12);
  const text = Buffer.concat([Buffer.from("Comment\0"), Buffer.alloc(size - png.length - 12 - 8, "x")]);
  const type = Buffer.from("tEXt");
  const len = Buffer.alloc(4);
  len.writeUInt32BE(text.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([type, text])) >>> 0);
  return Buffer.concat([png.subarray(0, png.length - 12), len, type, text, crc, iend]);
}
