/**
 * First-load JavaScript of the sign-in and home pages, gzip-compressed: every script and
 * modulepreload the server-rendered HTML names, plus whatever those import statically.
 * Chunks imported dynamically (after hydration) and the service worker's precache are
 * reported apart, not counted.
 */
import http from "node:http";
import zlib from "node:zlib";
import { pgliteVersion } from "./machine.js";
import { BENCH_USER, sharedServer, signIn } from "./server.js";
import type { Benchmark, BenchRow } from "./types.js";

/** 110 KB, with KB = 1000 bytes (as Chrome DevTools and Lighthouse count). */
const TARGET_BYTES = 110_000;
const GZIP_LEVEL = zlib.constants.Z_DEFAULT_COMPRESSION; // level 6: what the compression middleware sends

interface Asset {
  url: string;
  raw: number;
  gzip: number;
  /** Bytes on the wire when fetched with Accept-Encoding: gzip (compression middleware). */
  wire: number;
  /** Named by the HTML (script src / modulepreload) rather than found by following imports. */
  inHtml: boolean;
}

/** GET with Accept-Encoding: gzip; returns the decoded body and the bytes received. */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer; wire: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { "Accept-Encoding": "gzip", ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        const gzipped = res.headers["content-encoding"] === "gzip";
        resolve({ status: res.statusCode ?? 0, body: gzipped ? zlib.gunzipSync(raw) : raw, wire: raw.length });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

const gzipSize = (b: Buffer) => zlib.gzipSync(b, { level: GZIP_LEVEL }).length;

const decode = (s: string) =>
  s
    .replace(/&amp;/g, "&")
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">");

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
    out[m[1]!.toLowerCase()] = decode(m[2] ?? m[3] ?? m[4] ?? "");
  }
  return out;
}

/** Module specifiers a piece of JS imports: static (`import … from "x"`, `import "x"`) and dynamic. */
function imports(js: string): { static: string[]; dynamic: string[] } {
  const spec = `["']((?:\\.{1,2}/|/)[^"'\\s]+\\.m?js)["']`;
  const stat = [
    ...js.matchAll(new RegExp(`\\bfrom\\s*${spec}`, "g")),
    ...js.matchAll(new RegExp(`\\bimport\\s*${spec}`, "g")),
  ].map((m) => m[1]!);
  const dyn = [...js.matchAll(new RegExp(`\\bimport\\(\\s*${spec}\\s*\\)`, "g"))].map((m) => m[1]!);
  return { static: stat, dynamic: dyn };
}

interface PageJs {
  path: string;
  status: number;
  htmlGzip: number;
  inlineScriptBytes: number;
  first: Asset[];
  lazy: Asset[];
}

async function measurePage(base: string, pagePath: string, cookie?: string): Promise<PageJs> {
  const pageUrl = new URL(pagePath, base).href;
  const page = await get(pageUrl, cookie ? { Cookie: cookie } : {});
  if (page.status !== 200) throw new Error(`GET ${pagePath} answered ${page.status}, expected 200`);
  const html = page.body.toString("utf8");

  const named = new Set<string>();
  const pending: string[] = [];
  const lazyPending: string[] = [];
  const add = (spec: string, from: string, into: string[]) => into.push(new URL(spec, from).href);

  for (const m of html.matchAll(/<(script|link)\b([^>]*)>/gi)) {
    const a = attrs(m[2]!);
    const src = m[1]!.toLowerCase() === "script" ? a.src : a.rel === "modulepreload" ? a.href : undefined;
    if (src) {
      const url = new URL(src, pageUrl).href;
      named.add(url);
      pending.push(url);
    }
  }
  let inlineScriptBytes = 0;
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (attrs(m[1]!).src) continue;
    inlineScriptBytes += Buffer.byteLength(m[2]!);
    const found = imports(m[2]!);
    // The inline module's static imports and its import("entry.client") both run on load.
    for (const s of [...found.static, ...found.dynamic]) add(s, pageUrl, pending);
  }

  const first = new Map<string, Asset>();
  while (pending.length) {
    const url = pending.shift()!;
    if (first.has(url)) continue;
    const res = await get(url);
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
    first.set(url, {
      url,
      raw: res.body.length,
      gzip: gzipSize(res.body),
      wire: res.wire,
      inHtml: named.has(url),
    });
    const found = imports(res.body.toString("utf8"));
    for (const s of found.static) add(s, url, pending);
    for (const s of found.dynamic) add(s, url, lazyPending);
  }
  const lazy = new Map<string, Asset>();
  while (lazyPending.length) {
    const url = lazyPending.shift()!;
    if (first.has(url) || lazy.has(url)) continue;
    const res = await get(url);
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
    lazy.set(url, { url, raw: res.body.length, gzip: gzipSize(res.body), wire: res.wire, inHtml: false });
    const found = imports(res.body.toString("utf8"));
    for (const s of [...found.static, ...found.dynamic]) add(s, url, lazyPending);
  }
  return {
    path: pagePath,
    status: page.status,
    htmlGzip: gzipSize(page.body),
    inlineScriptBytes,
    first: [...first.values()],
    lazy: [...lazy.values()],
  };
}

/** The service worker and the files its install step precaches (self.__WB_MANIFEST). */
async function serviceWorker(base: string) {
  const sw = await get(new URL("/sw.js", base).href);
  if (sw.status !== 200) return undefined;
  const urls = [...sw.body.toString("utf8").matchAll(/"url":"([^"]+)"/g)].map((m) => new URL(m[1]!, base).href);
  let raw = 0;
  let gzip = 0;
  for (const url of new Set(urls)) {
    const res = await get(url);
    raw += res.body.length;
    gzip += gzipSize(res.body);
  }
  return { swRaw: sw.body.length, swGzip: gzipSize(sw.body), files: new Set(urls).size, raw, gzip };
}

const kb = (bytes: number) => Math.round(bytes / 100) / 10;
const sum = (xs: Asset[], k: "raw" | "gzip" | "wire") => xs.reduce((n, a) => n + a[k], 0);
const short = (url: string) => new URL(url).pathname;

function table(assets: Asset[], limit: number): string {
  const rows = [...assets].sort((a, b) => b.gzip - a.gzip).slice(0, limit);
  return [
    "| file | raw (KB) | gzip (KB) |",
    "| --- | ---: | ---: |",
    ...rows.map((a) => `| \`${short(a.url)}\`${a.inHtml ? "" : " (imported)"} | ${kb(a.raw)} | ${kb(a.gzip)} |`),
  ].join("\n");
}

const bench: Benchmark = {
  id: "first-load-js",
  title: "First-load JavaScript (gzip) of /login and / (signed in)",
  issue: "#2",
  async run() {
    const server = await sharedServer();
    const cookie = await signIn(server.url);
    const pages = await Promise.all([measurePage(server.url, "/login"), measurePage(server.url, "/", cookie)]).catch(
      (err: Error) => {
        err.message += `\nServer log (last lines):\n${server.output().split("\n").slice(-15).join("\n")}`;
        throw err;
      },
    );
    const sw = await serviceWorker(server.url);

    const rows: BenchRow[] = [];
    const notes: string[] = [
      `Method: start the production build (\`npm run build\`, then \`NODE_ENV=production node build/server.mjs\`, ` +
        "from a private copy of bff/, db/, build/ and public/ so a rebuild elsewhere cannot swap the assets; " +
        "embedded PGlite on a fresh DATA_DIR with the demo seed); fetch the HTML of each page (`/` with the session " +
        `cookie of \`${BENCH_USER.username}\`, signed in by posting the login form with our Origin); take every ` +
        '`<script src>` and `<link rel="modulepreload" href>`, plus the modules the inline bootstrap script imports, ' +
        "and follow their static imports; fetch each file and gzip it with Node's zlib at the **default level (6)** — " +
        "the level the `compression` middleware serves. KB = 1000 bytes. Dynamic `import()`s are followed " +
        "separately and reported as lazy (loaded after hydration, not counted).",
    ];
    for (const p of pages) {
      const label = p.path === "/" ? "`/` (signed in)" : `\`${p.path}\``;
      const gz = sum(p.first, "gzip");
      rows.push({
        metric: `${label} first-load JS, gzip`,
        value: kb(gz),
        unit: "KB",
        target: "≤ 110 KB",
        ok: gz <= TARGET_BYTES,
      });
      rows.push({ metric: `${label} first-load JS, uncompressed`, value: kb(sum(p.first, "raw")), unit: "KB" });
      const imported = p.first.filter((a) => !a.inHtml).map((a) => `\`${short(a.url)}\``);
      notes.push(
        `**${label}**: ${p.first.length} files, ${sum(p.first, "gzip")} bytes gzip (${sum(p.first, "raw")} raw; ` +
          `${sum(p.first, "wire")} bytes as actually served). ` +
          (imported.length
            ? `Reached only through imports, not named by the HTML: ${imported.join(", ")}. `
            : "Every file is named by the HTML (modulepreload or script). ") +
          `Inline scripts (Remix context, manifest, scroll restoration): ${kb(p.inlineScriptBytes)} KB uncompressed, ` +
          `part of the HTML document (${kb(p.htmlGzip)} KB gzip), not counted. Biggest files:\n\n${table(p.first, 6)}`,
      );
    }
    const lazy = new Map(pages.flatMap((p) => p.lazy.map((a) => [a.url, a] as const)));
    if (lazy.size) {
      rows.push({
        metric: "lazy chunks after hydration, gzip (not counted)",
        value: kb(sum([...lazy.values()], "gzip")),
        unit: "KB",
      });
      notes.push(
        `**Lazy** (dynamic \`import()\` after hydration, same on both pages unless marked): ` +
          [...lazy.values()]
            .map((a) => {
              const on = pages.filter((p) => p.lazy.some((l) => l.url === a.url)).map((p) => p.path);
              return `\`${short(a.url)}\` ${kb(a.gzip)} KB gzip (${kb(a.raw)} KB raw)${on.length < pages.length ? ` on ${on.join(", ")}` : ""}`;
            })
            .join("; ") +
          ".",
      );
    }
    if (sw) {
      rows.push({
        metric: "`/sw.js`, gzip (registered after hydration, not counted)",
        value: kb(sw.swGzip),
        unit: "KB",
      });
      notes.push(
        `**Service worker**: \`/sw.js\` is ${kb(sw.swGzip)} KB gzip (${kb(sw.swRaw)} KB raw), registered by the lazy ` +
          `workbox-window chunk; on install it precaches ${sw.files} files, ${kb(sw.gzip)} KB gzip ` +
          `(${kb(sw.raw)} KB raw), in the background after the first load.`,
      );
    }
    return { rows, notes, database: await pgliteVersion() };
  },
};

export default bench;
