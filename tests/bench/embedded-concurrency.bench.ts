/**
 * Issue #13 item 1: the embedded database (PGlite, what `npm start` opens without
 * DATABASE_URL) under 12 concurrent signed-in clients. The production server on a fresh
 * DATA_DIR with the demo seed; every response is checked for its status and for the error
 * pages' text, so a wrong answer counts as a failure even when it is a 200.
 */
import { DEMO_PASSWORD, demoAccounts } from "../../db/seed/demo-data.js";
import { pgliteVersion } from "./machine.js";
import { ensureBuilt, rmDir, snapshotApp, startServer } from "./server.js";
import type { Benchmark } from "./types.js";

const CLIENTS = 12;
const REQUESTS_PER_CLIENT = 40;
const BROKEN = ["系統暫時發生問題", "找不到資料", "找不到這個頁面"];
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
const round1 = (n: number) => Math.round(n * 10) / 10;
/** "YYYY-MM-DD" in Taipei, `days` from today. */
const taipeiDay = (days: number) => new Date(Date.now() + days * 86_400_000 + 8 * 3600_000).toISOString().slice(0, 10);

async function signIn(url: string, username: string): Promise<string | undefined> {
  const res = await fetch(`${url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: url },
    body: new URLSearchParams({ username, password: DEMO_PASSWORD, redirectTo: "/" }).toString(),
  });
  const cookie = res.headers.get("set-cookie");
  return res.status === 302 && cookie ? cookie.split(";")[0] : undefined;
}

interface Outcome {
  ms: number;
  ok: boolean;
  what: string;
}

async function timed(what: string, send: () => Promise<Response>, good: (res: Response, body: string) => boolean) {
  const t0 = performance.now();
  try {
    const res = await send();
    const body = await res.text();
    return { ms: performance.now() - t0, ok: good(res, body), what: `${what} ${res.status}` };
  } catch (err) {
    return { ms: performance.now() - t0, ok: false, what: `${what} ${(err as Error).message}` };
  }
}

const page = (res: Response, body: string) => res.status === 200 && !BROKEN.some((b) => body.includes(b));

export default {
  id: "embedded-concurrency",
  title: "Embedded database (PGlite): 12 concurrent signed-in clients, mixed requests, over HTTP",
  issue: "#13",
  async run() {
    ensureBuilt();
    const dir = snapshotApp();
    const server = await startServer({ cwd: dir });
    try {
      const { url } = server;
      const cookies: string[] = [];
      for (const a of demoAccounts) {
        const cookie = await signIn(url, a.username);
        if (cookie) cookies.push(cookie);
      }
      if (cookies.length === 0) throw new Error(`no demo account could sign in\n${server.output()}`);
      const get = (cookie: string, path: string) =>
        fetch(url + path, { headers: { Cookie: cookie }, redirect: "manual" });
      const post = (cookie: string, path: string, form: URLSearchParams) =>
        fetch(url + path, {
          method: "POST",
          redirect: "manual",
          headers: { Cookie: cookie, Origin: url, "Content-Type": "application/x-www-form-urlencoded" },
          body: form.toString(),
        });
      // The demo's public venue open 08:00–18:00 to every agency.
      const list = (await (
        await get(cookies[0]!, `/book?_data=${encodeURIComponent("routes/_app.book._index")}`)
      ).json()) as {
        items: { id: number; name: string }[];
      };
      const venue = list.items.find((i) => i.name === "第一會議室");
      if (!venue) throw new Error("demo venue 第一會議室 not listed");

      const client = async (i: number): Promise<Outcome[]> => {
        const cookie = cookies[i % cookies.length]!;
        const out: Outcome[] = [];
        let posts = 0;
        const steps: (() => Promise<Outcome>)[] = [
          () => timed("GET /", () => get(cookie, "/"), page),
          () => timed("GET /book", () => get(cookie, "/book"), page),
          () =>
            timed(
              "GET /book/:id",
              () => get(cookie, `/book/${venue.id}`),
              (r, b) => page(r, b) && b.includes(venue.name),
            ),
          () =>
            timed(
              "GET /book/:id?_data",
              () => get(cookie, `/book/${venue.id}?_data=${encodeURIComponent("routes/_app.book.$itemId")}`),
              (r, b) => r.status === 200 && b.includes(`"id":${venue.id}`),
            ),
          () => {
            // Client i's own half hour (08:00 + 30 min × i) on day 7 + k: no two requests clash.
            const k = posts++;
            const start = 8 * 60 + 30 * i;
            const hhmm = (m: number) =>
              `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
            const form = new URLSearchParams({
              date: taipeiDay(7 + k),
              start: hhmm(start),
              end: hhmm(start + 30),
              reason: `壓測 ${i}-${k}`,
              attendees: "3",
            });
            return timed(
              "POST /book/:id",
              () => post(cookie, `/book/${venue.id}`, form),
              (r) => r.status === 302 && r.headers.get("location") === "/book/mine?created=1",
            );
          },
          () =>
            timed(
              "GET /book/mine?_data",
              () => get(cookie, `/book/mine?_data=${encodeURIComponent("routes/_app.book.mine")}`),
              (r, b) => r.status === 200 && b.includes('"bookings"'),
            ),
          () => timed("GET /book/mine", () => get(cookie, "/book/mine"), page),
          () => timed("GET /reviews", () => get(cookie, "/reviews"), page),
        ];
        for (let n = 0; n < REQUESTS_PER_CLIENT; n++) out.push(await steps[(n + i) % steps.length]!());
        return out;
      };
      const t0 = performance.now();
      const outcomes = (await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)))).flat();
      const wallS = (performance.now() - t0) / 1000;
      const failed = outcomes.filter((o) => !o.ok);
      const sorted = outcomes.map((o) => o.ms).sort((a, b) => a - b);

      // Same slot from every client at once: one accepted, the rest 409 naming the clash.
      const race = await Promise.all(
        Array.from({ length: CLIENTS }, (_, i) =>
          post(
            cookies[i % cookies.length]!,
            `/book/${venue.id}`,
            new URLSearchParams({
              date: taipeiDay(30),
              start: "15:00",
              end: "16:00",
              reason: `搶位 ${i}`,
              attendees: "3",
            }),
          ).then(async (r) => ({ status: r.status, body: await r.text() })),
        ),
      );
      const accepted = race.filter((r) => r.status === 302).length;
      const refused = race.filter((r) => r.status === 409 && r.body.includes("已有預約，請選擇其他時段。")).length;
      const failures = [...new Set(failed.map((f) => f.what))].slice(0, 5);
      return {
        rows: [
          { metric: "requests", value: outcomes.length, unit: "" },
          {
            metric: "failed (wrong status, error page, or wrong content)",
            value: failed.length,
            unit: "",
            target: "0",
            ok: failed.length === 0,
          },
          { metric: "p50 latency", value: round1(pct(sorted, 50)), unit: "ms" },
          { metric: "p95 latency", value: round1(pct(sorted, 95)), unit: "ms" },
          { metric: "throughput", value: round1(outcomes.length / wallS), unit: "req/s" },
          { metric: "same-slot race: accepted", value: accepted, unit: "", target: "exactly 1", ok: accepted === 1 },
          {
            metric: "same-slot race: refused with 409 「已有預約」",
            value: refused,
            unit: "",
            target: String(CLIENTS - 1),
            ok: refused === CLIENTS - 1,
          },
        ],
        notes: [
          `Production server (\`node build/server.mjs\`, NODE_ENV=production) on a fresh DATA_DIR without DATABASE_URL: PGlite behind pglite-socket with one connection (ADR 0001), demo seed. ${CLIENTS} clients signed in as ${cookies.length} demo accounts, each sending ${REQUESTS_PER_CLIENT} requests one after another, cycling home, /book, a venue page, its \`?_data\` loader, a booking POST for a slot of its own, \`/book/mine?_data\`, /book/mine and /reviews.`,
          "A request fails on a wrong status (pages 200, the POST a 302 to /book/mine?created=1) or a body holding 「系統暫時發生問題」, 「找不到資料」 or 「找不到這個頁面」. Before this design (a pool of 10 over pglite-socket) the issue measured 42 of 240 failed (17.5 %).",
          `Latency is per request from the client, over the whole run (wall ${round1(wallS)} s); the machine is shared, see the load average.`,
          ...(failures.length ? [`Failures seen: ${failures.join("; ")}`] : []),
        ],
        database: await pgliteVersion(),
      };
    } finally {
      await server.stop();
      rmDir(dir);
    }
  },
} satisfies Benchmark;
