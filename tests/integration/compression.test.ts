import http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";
import compression from "compression";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { coalesceFlushes } from "../../bff/http/coalesce-flush.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeItem, makeSite, makeUnit } from "../helpers/factory.js";
import { signInOverHttp } from "../helpers/http-session.js";

/**
 * Issue 18 item 8: a page is gzipped as a whole, not as many sync-flushed pieces; a stream that
 * waits between chunks is still delivered chunk by chunk.
 */
function getGzip(url: string, cookie?: string): Promise<{ raw: Buffer; body: Buffer; firstAt: number; endAt: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const headers: Record<string, string> = { "Accept-Encoding": "gzip" };
    if (cookie) headers.Cookie = cookie;
    http
      .get(url, { headers }, (res) => {
        const parts: Buffer[] = [];
        const gunzip = zlib.createGunzip();
        let firstAt = 0;
        gunzip.on("data", () => (firstAt ||= Date.now() - t0));
        res.on("data", (d: Buffer) => {
          parts.push(d);
          gunzip.write(d);
        });
        res.on("end", () => {
          const raw = Buffer.concat(parts);
          resolve({ raw, body: zlib.gunzipSync(raw), firstAt, endAt: Date.now() - t0 });
        });
      })
      .on("error", reject);
  });
}

describe("compression without a sync flush per chunk", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let cookie: string;
  let itemId: number;
  beforeAll(async () => {
    c = await testContainer();
    server = await startTestServer(c);
    const agency = (await makeAgency(c)).id;
    const user = await makeAccount(c, { unitId: (await makeUnit(c, agency)).id });
    const site = (await makeSite(c)).id;
    for (let i = 0; i < 20; i++) itemId = (await makeItem(c, { agencyId: agency, siteId: site })).id;
    cookie = await signInOverHttp(server.url, user);
  });
  afterAll(async () => {
    await server?.close();
    await c?.close();
  });

  it.each(["/book", "/book/ITEM"])("%s is within 10%% of gzipping the page in one go", async (path) => {
    const r = await getGzip(`${server.url}${path.replace("ITEM", String(itemId))}`, cookie);
    const oneGo = zlib.gzipSync(r.body).length;
    console.info(`[compression] ${path}: ${r.body.length} B → ${r.raw.length} B gzip (one go: ${oneGo} B)`);
    expect(r.raw.length / oneGo).toBeLessThan(1.1);
  });

  it("a stream that waits between chunks still reaches the client before it ends", async () => {
    const app = express();
    app.use(compression());
    app.use(coalesceFlushes);
    app.get("/slow", (_req, res) => {
      res.type("text/plain");
      res.write("first part ".repeat(50));
      (res as unknown as { flush(): void }).flush();
      setTimeout(() => res.end("the rest"), 400);
    });
    const s = app.listen(0, "127.0.0.1");
    await new Promise((r) => s.once("listening", r));
    try {
      const r = await getGzip(`http://127.0.0.1:${(s.address() as AddressInfo).port}/slow`);
      expect(r.body.toString()).toMatch(/^first part .*the rest$/);
      expect(r.firstAt).toBeLessThan(r.endAt - 200);
    } finally {
      s.close();
    }
  });
});
