import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../ports/clock.js";
import { providerFollowingKeys } from "./key-cache.js";
import { orderForSigning, type PublishedKeys } from "./keys.js";

const set = (fingerprint: string): PublishedKeys => ({ fingerprint, keys: [] });
const logger = {
  errors: [] as string[],
  info: () => undefined,
  warn: () => undefined,
  error: (m: string) => void logger.errors.push(m),
};
const req = {} as IncomingMessage;
const res = {} as ServerResponse;

function harness(reads: (() => Promise<PublishedKeys>)[]) {
  const clock = fixedClock(new Date("2026-12-03T00:00:00Z"));
  const served: string[] = [];
  let built = 0;
  let n = 0;
  const cache = providerFollowingKeys({
    initial: set("k0"),
    load: () => {
      const r = reads[Math.min(n, reads.length - 1)]!;
      n++;
      return r();
    },
    build: () => {
      const id = `p${built++}`;
      return { id, callback: () => () => void served.push(id) };
    },
    clock,
    logger,
    ttlMs: 60_000,
  });
  const request = async () => {
    cache.callback(req, res);
    await new Promise((r) => setTimeout(r, 0));
    return served.at(-1);
  };
  return { clock, cache, request, reads: () => n, builds: () => built };
}

describe("the provider following the signing keys", () => {
  it("re-reads the keys once they are a cache period old, and rebuilds only on a change", async () => {
    const h = harness([async () => set("k0"), async () => set("k0,k1")]);
    expect(await h.request()).toBe("p0");
    h.clock.advance(59_999);
    expect(await h.request()).toBe("p0");
    expect(h.reads()).toBe(0);
    h.clock.advance(1);
    expect(await h.request()).toBe("p0"); // same set: no rebuild
    expect(h.builds()).toBe(1);
    h.clock.advance(60_000);
    expect(await h.request()).toBe("p1");
    expect(h.reads()).toBe(2);
  });

  it("a failed read keeps the keys read before and tries again soon, not on every request", async () => {
    const h = harness([
      async () => {
        throw new Error("connection terminated");
      },
      async () => set("k1"),
    ]);
    h.clock.advance(60_000);
    expect(await h.request()).toBe("p0");
    expect(logger.errors.at(-1)).toContain("re-reading failed");
    expect(await h.request()).toBe("p0");
    expect(h.reads()).toBe(1);
    h.clock.advance(5_000);
    expect(await h.request()).toBe("p1");
  });
});

describe("the signing order", () => {
  const t = (m: number) => new Date(Date.UTC(2026, 11, 3, 0, m));
  it("signs with the newest key whose time has come; waiting keys next; retired ones last", () => {
    const rows = [
      { kid: "retired", sign_from: t(0), retired_at: t(10) },
      { kid: "waiting", sign_from: t(60), retired_at: null },
      { kid: "signing", sign_from: t(10), retired_at: t(60) },
    ];
    expect(orderForSigning(rows, t(30)).map((r) => r.kid)).toEqual(["signing", "waiting", "retired"]);
    expect(orderForSigning(rows, t(60)).map((r) => r.kid)).toEqual(["waiting", "signing", "retired"]);
  });
});
