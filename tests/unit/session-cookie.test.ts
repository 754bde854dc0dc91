import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HOST_NAME,
  LEGACY_NAME,
  readSessionCookie,
  sessionClearCookies,
  sessionSetCookie,
} from "../../bff/auth/session-cookie.js";
import { moveLegacySessionCookie } from "../../bff/http/session-cookie-move.js";

/** Issue 14 item 6 / ADR 0023: `__Host-` in production, both names read for one release. */
const encode = (token: string) => encodeURIComponent(Buffer.from(JSON.stringify(token)).toString("base64"));
const expires = new Date("2030-01-01T00:00:00Z");

describe("session cookie names", () => {
  it("sets __Host-portal_session with Secure, Path=/ and no Domain when cookies are secure", async () => {
    const set = await sessionSetCookie(true, "tok", expires);
    expect(set.startsWith(`${HOST_NAME}=`)).toBe(true);
    expect(set).toMatch(/; Path=\//);
    expect(set).toMatch(/; Secure/);
    expect(set).toMatch(/; HttpOnly/);
    expect(set).not.toMatch(/Domain=/i);
  });

  it("keeps the plain name without secure cookies (embedded, development)", async () => {
    const set = await sessionSetCookie(false, "tok", expires);
    expect(set.startsWith(`${LEGACY_NAME}=`)).toBe(true);
    expect(set).not.toMatch(/Secure/);
    expect(await readSessionCookie(`${HOST_NAME}=${encode("new")}`, false)).toBeUndefined();
    expect(await readSessionCookie(`${LEGACY_NAME}=${encode("old")}`, false)).toEqual({ token: "old", legacy: false });
  });

  it("reads the new name first, then the old one", async () => {
    const both = `${LEGACY_NAME}=${encode("old")}; ${HOST_NAME}=${encode("new")}`;
    expect(await readSessionCookie(both, true)).toEqual({ token: "new", legacy: false });
    expect(await readSessionCookie(`${LEGACY_NAME}=${encode("old")}`, true)).toEqual({ token: "old", legacy: true });
    expect(await readSessionCookie(undefined, true)).toBeUndefined();
  });

  it("sign-out clears both names in secure mode", async () => {
    const cleared = await sessionClearCookies(true);
    expect(cleared.map((c) => c.split("=")[0])).toEqual([HOST_NAME, LEGACY_NAME]);
    for (const c of cleared) expect(c).toMatch(/Max-Age=0/);
  });
});

describe("moving a session from the old cookie name (rolling deploy)", () => {
  let url: string;
  let close: () => void;
  const live = new Map([["old-live", expires]]);

  beforeAll(async () => {
    const app = express();
    app.use(moveLegacySessionCookie(true, { sessionExpiry: async (t) => live.get(t) ?? null }));
    app.get("/", async (req, res) => {
      res.json((await readSessionCookie(req.headers.cookie, true)) ?? null);
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    close = () => server.close();
  });
  afterAll(() => close?.());

  it("an old-name session stays signed in and is re-set under the new name, the old cleared", async () => {
    const res = await fetch(url, { headers: { cookie: `${LEGACY_NAME}=${encode("old-live")}` } });
    expect(await res.json()).toEqual({ token: "old-live", legacy: true }); // this request is signed in
    const set = res.headers.getSetCookie();
    const moved = set.find((c) => c.startsWith(`${HOST_NAME}=`))!;
    expect(moved).toContain(encode("old-live"));
    expect(moved).toContain(`Expires=${expires.toUTCString()}`);
    expect(moved).toMatch(/; Secure/);
    expect(set.find((c) => c.startsWith(`${LEGACY_NAME}=`))).toMatch(/Max-Age=0/);

    // The browser's next request carries only the new name and is still signed in.
    const next = await fetch(url, { headers: { cookie: `${HOST_NAME}=${encode("old-live")}` } });
    expect(await next.json()).toEqual({ token: "old-live", legacy: false });
    expect(next.headers.getSetCookie()).toEqual([]);
  });

  it("an old-name cookie of an ended session is only cleared, never moved", async () => {
    const res = await fetch(url, { headers: { cookie: `${LEGACY_NAME}=${encode("gone")}` } });
    const set = res.headers.getSetCookie();
    expect(set).toHaveLength(1);
    expect(set[0]).toMatch(new RegExp(`^${LEGACY_NAME}=;.*Max-Age=0`));
  });
});
