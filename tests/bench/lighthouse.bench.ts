/**
 * Lighthouse (mobile, simulated throttling: the default config) on the production build,
 * /login and / signed in, median of 3 runs, each in a fresh Chromium with a fresh
 * profile. Below-target categories list their failing audits in the notes.
 */
import { spawn } from "node:child_process";
import lighthouse, { type Flags, type Result } from "lighthouse";
import { chromiumPath } from "../helpers/chromium.js";
import { pgliteVersion } from "./machine.js";
import { BENCH_USER, rmDir, sharedServer, signIn, tempDir, trackGroup } from "./server.js";
import type { Benchmark, BenchRow } from "./types.js";

const RUNS = Number(process.env.BENCH_LIGHTHOUSE_RUNS ?? 3);

export const CHROME_FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

const CATEGORIES = [
  { id: "performance", target: 0.95 },
  { id: "accessibility", target: 1 },
  { id: "best-practices", target: 1 },
] as const;

const METRICS = [
  ["first-contentful-paint", "FCP"],
  ["largest-contentful-paint", "LCP"],
  ["total-blocking-time", "TBT"],
  ["cumulative-layout-shift", "CLS"],
  ["speed-index", "SI"],
] as const;

interface Chrome {
  port: number;
  close(): Promise<void>;
}

/** Launches Chromium on a free DevTools port with a fresh user-data-dir. */
async function launchChrome(): Promise<Chrome> {
  const exe = chromiumPath();
  if (!exe) throw new Error("Chromium not found (apt-get install chromium, or set CHROMIUM_PATH)");
  const profile = tempDir("portal-bench-lh-profile-");
  const child = spawn(
    exe,
    [...CHROME_FLAGS, "--remote-debugging-port=0", `--user-data-dir=${profile}`, "about:blank"],
    {
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const untrack = trackGroup(child.pid!);
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const close = async () => {
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      // gone
    }
    const force = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // gone
      }
    }, 5000);
    await exited;
    clearTimeout(force);
    untrack();
    rmDir(profile);
  };
  let log = "";
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Chromium did not open DevTools in 30 s:\n${log}`)), 30_000);
      child.stderr!.on("data", (c: Buffer) => {
        log = (log + c.toString()).slice(-8192);
        const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on("exit", () => reject(new Error(`Chromium exited at start:\n${log}`)));
    });
    return { port, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export async function runOnce(url: string, cookie?: string): Promise<Result> {
  const chrome = await launchChrome();
  try {
    const flags: Flags = {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      onlyCategories: CATEGORIES.map((c) => c.id),
      ...(cookie ? { extraHeaders: { Cookie: cookie } } : {}),
    };
    const result = await lighthouse(url, flags);
    if (!result) throw new Error(`Lighthouse returned no result for ${url}`);
    if (result.lhr.runtimeError) {
      throw new Error(
        `Lighthouse runtime error on ${url}: ${result.lhr.runtimeError.code} ${result.lhr.runtimeError.message}`,
      );
    }
    return result.lhr;
  } finally {
    await chrome.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const clip = (s: string, n = 200) =>
  (s.length > n ? `${s.slice(0, n)}…` : s).replace(/\s+/g, " ").replace(/\|/g, "\\|");

/** A few words on one row of an audit's details: the element, the URL, the message. */
function describeItem(item: Record<string, unknown>): string {
  const parts: string[] = [];
  const node = (item.node ?? (item as { element?: unknown }).element) as
    { selector?: string; snippet?: string; nodeLabel?: string; explanation?: string } | undefined;
  if (node && typeof node === "object") {
    if (node.selector) parts.push(`\`${clip(node.selector, 120)}\``);
    if (node.snippet) parts.push(`\`${clip(node.snippet, 160)}\``);
    if (node.explanation) parts.push(clip(node.explanation, 300));
  }
  for (const key of [
    "url",
    "source",
    "sourceLocation",
    "description",
    "label",
    "value",
    "fontSize",
    "wastedMs",
    "wastedBytes",
    "totalBytes",
  ]) {
    const v = item[key];
    if (v === undefined || v === null || v === "") continue;
    if (typeof v === "object") {
      const o = v as { url?: string; type?: string; value?: unknown; text?: string };
      const text = o.url ?? o.text ?? (o.value !== undefined ? String(o.value) : undefined);
      if (text) parts.push(`${key}: ${clip(String(text), 160)}`);
    } else {
      parts.push(`${key}: ${typeof v === "number" ? Math.round(v) : clip(String(v), 200)}`);
    }
  }
  const sub = item.subItems as { items?: Record<string, unknown>[] } | undefined;
  if (sub?.items?.length) parts.push(`(${sub.items.slice(0, 3).map(describeItem).join("; ")})`);
  return parts.join(" — ");
}

interface Failing {
  id: string;
  title: string;
  runs: number;
  scores: number[];
  displayValue?: string;
  items: string[];
}

/** Audits of a category that fail in a run (score below 1; below 0.9 for performance). */
export function failingAudits(
  lhr: Result,
  categoryId: string,
): { id: string; title: string; score: number; displayValue?: string; items: string[] }[] {
  const cat = lhr.categories[categoryId];
  if (!cat) return [];
  const out = [];
  for (const ref of cat.auditRefs) {
    if (ref.group === "hidden") continue;
    const audit = lhr.audits[ref.id];
    if (!audit || audit.score === null) continue;
    if (["notApplicable", "manual", "informative", "error"].includes(audit.scoreDisplayMode)) continue;
    const threshold = categoryId === "performance" ? 0.9 : 1;
    if (audit.score >= threshold) continue;
    const details = audit.details as { items?: Record<string, unknown>[] } | undefined;
    const items = (details?.items ?? []).slice(0, 8).map(describeItem).filter(Boolean);
    out.push({ id: audit.id, title: audit.title, score: audit.score, displayValue: audit.displayValue, items });
  }
  return out;
}

const fmtScore = (n: number) => n.toFixed(2);

const bench: Benchmark = {
  id: "lighthouse",
  title: "Lighthouse (mobile, simulated throttling) on /login and / (signed in)",
  issue: "#2",
  async run() {
    const server = await sharedServer();
    const cookie = await signIn(server.url);
    const pages = [
      { path: "/login", label: "`/login`", cookie: undefined as string | undefined },
      { path: "/", label: "`/` (signed in)", cookie },
    ];
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    let version = "";
    let env = "";
    let setup = "";
    const metricTable = ["| page | FCP | LCP | TBT | CLS | SI |", "| --- | ---: | ---: | ---: | ---: | ---: |"];

    for (const page of pages) {
      const lhrs: Result[] = [];
      for (let i = 0; i < RUNS; i++) {
        process.stderr.write(`[lighthouse] ${page.path} run ${i + 1}/${RUNS}\n`);
        const lhr = await runOnce(server.url + page.path, page.cookie).catch((err: Error) => {
          err.message += `\nServer log (last lines):\n${server.output().split("\n").slice(-15).join("\n")}`;
          throw err;
        });
        if (new URL(lhr.finalDisplayedUrl).pathname !== page.path) {
          throw new Error(`Lighthouse on ${page.path} ended on ${lhr.finalDisplayedUrl} (signed out?)`);
        }
        lhrs.push(lhr);
      }
      version = lhrs[0]!.lighthouseVersion;
      const { formFactor, throttlingMethod, throttling, screenEmulation } = lhrs[0]!.configSettings;
      setup =
        `${formFactor}, ${screenEmulation.width}×${screenEmulation.height} @${screenEmulation.deviceScaleFactor}x, ` +
        `${throttlingMethod} throttling: ${throttling.rttMs} ms RTT, ` +
        `${Math.round(((throttling.throughputKbps ?? 0) / 1024) * 10) / 10} Mbps, ` +
        `${throttling.cpuSlowdownMultiplier}× CPU slowdown`;
      env =
        `${lhrs[0]!.environment.hostUserAgent.match(/(?:Headless)?Chrome\/[\d.]+/)?.[0] ?? "Chromium"}, ` +
        `benchmarkIndex ${lhrs.map((l) => Math.round(l.environment.benchmarkIndex)).join("/")}`;

      const cells = METRICS.map(([id, _]) => {
        const values = lhrs.map((l) => l.audits[id]?.numericValue ?? NaN);
        const m = median(values);
        if (id === "cumulative-layout-shift") return m.toFixed(3);
        return id === "total-blocking-time" ? `${Math.round(m)} ms` : `${(m / 1000).toFixed(2)} s`;
      });
      metricTable.push(`| ${page.label} | ${cells.join(" | ")} |`);

      for (const cat of CATEGORIES) {
        const scores = lhrs.map((l) => l.categories[cat.id]?.score ?? 0);
        const med = median(scores);
        const ok = med >= cat.target;
        rows.push({
          metric: `${page.label} ${lhrs[0]!.categories[cat.id]?.title ?? cat.id}, median of ${RUNS}`,
          value: fmtScore(med),
          unit: "score (0–1)",
          target: cat.target === 1 ? "= 1.00" : `≥ ${fmtScore(cat.target)}`,
          ok,
        });
        const anyBelow = scores.some((s) => s < cat.target);
        if (!anyBelow) continue;
        const failing = new Map<string, Failing>();
        for (const lhr of lhrs) {
          for (const f of failingAudits(lhr, cat.id)) {
            const prev = failing.get(f.id);
            if (prev) {
              prev.runs++;
              prev.scores.push(f.score);
            } else {
              failing.set(f.id, { ...f, runs: 1, scores: [f.score] });
            }
          }
        }
        const lines = [...failing.values()].map((f) => {
          const head =
            `- \`${f.id}\` — ${f.title} (failed in ${f.runs}/${RUNS} runs, score ${f.scores.map(fmtScore).join("/")}` +
            `${f.displayValue ? `, ${f.displayValue}` : ""})`;
          return [head, ...f.items.map((i) => `  - ${i}`)].join("\n");
        });
        notes.push(
          `**${page.label} ${cat.id}: ${fmtScore(med)}** (runs: ${scores.map(fmtScore).join(", ")}; target ` +
            `${cat.target === 1 ? "1.00" : fmtScore(cat.target)})${ok ? ", median on target but some runs below" : ""}. ` +
            (lines.length
              ? `Failing audits:\n\n${lines.join("\n")}`
              : "No individual audit fails; the score comes from the weighted metrics below."),
        );
        if (cat.id === "performance") {
          const lcp = lhrs[0]!.audits["largest-contentful-paint-element"];
          const items = ((lcp?.details as { items?: { items?: Record<string, unknown>[] }[] } | undefined)?.items?.[0]
            ?.items ?? []) as Record<string, unknown>[];
          if (items.length) notes.push(`${page.label} LCP element (run 1): ${describeItem(items[0]!)}`);
        }
      }
      const warnings = [...new Set(lhrs.flatMap((l) => l.runWarnings))];
      if (warnings.length)
        notes.push(`${page.label} Lighthouse warnings: ${warnings.map((w) => clip(w, 300)).join("; ")}`);
    }

    notes.unshift(
      `Lighthouse ${version} through its Node API, default config (${setup}), categories performance, ` +
        `accessibility and best-practices; ${RUNS} run${RUNS === 1 ? "" : "s"} per page, each in a newly launched Chromium (${env}) with a fresh ` +
        `user-data-dir and flags \`${CHROME_FLAGS.join(" ")}\`; the median score per category is reported. ` +
        `The production build is served by \`NODE_ENV=production node build/server.mjs\` on 127.0.0.1 from a ` +
        `private copy of bff/, db/, build/ and public/ (embedded PGlite, fresh DATA_DIR, demo seed); \`/\` is signed in as \`${BENCH_USER.username}\` through ` +
        "`extraHeaders: { Cookie }`. Median metrics:\n\n" +
        metricTable.join("\n"),
    );
    return { rows, notes, database: await pgliteVersion() };
  },
};

export default bench;
