import type { IncomingMessage } from "node:http";
import { Transform, type Readable } from "node:stream";
import {
  type AppLoadContext,
  createReadableStreamFromReadable,
  createRequestHandler,
  type ServerBuild,
  writeReadableStreamToWritable,
} from "@remix-run/node";
import type { NextFunction, Request, Response } from "express";
import { bodyLimitFor, formatBytes } from "./body-limits.js";

/**
 * Issue 14 item 4 (ADR 0024): no request body is buffered past its route's cap
 * (body-limits.ts). Before, an anonymous 300 MB `POST /login` was read whole (1.1 GB RSS,
 * 51 s) and stalled /healthz. Two guards:
 *
 * 1. `refuseDeclaredOversize` (Express middleware, before /oidc and Remix): a Content-Length
 *    over the cap is answered 413 at once, before the body is read; over DISCARD_AT_MOST,
 *    `Connection: close` makes Node drop the connection once the answer is out instead of
 *    draining the rest.
 * 2. `boundedRemixHandler` (in place of @remix-run/express's handler): Remix reads the body
 *    through a counting stream, so a body without Content-Length (chunked) is cut at the cap:
 *    the 413 goes out, the action's read fails, and the connection closes.
 */
export function refuseDeclaredOversize(req: Request, res: Response, next: NextFunction) {
  const declared = Number(req.headers["content-length"] ?? 0);
  const cap = bodyLimitFor(req.path);
  if (Number.isFinite(declared) && declared > cap) {
    return answerTooLarge(req, res, cap, { close: declared > DISCARD_AT_MOST });
  }
  next();
}

/**
 * A browser that is still uploading when the 413 arrives may report a reset connection
 * instead of the page if the server closes on unread data. So a modest overshoot (a form
 * with a few too-large photos) is read and discarded by Node after the answer, on a
 * connection that stays usable; anything larger gets `Connection: close` and is never read.
 */
const DISCARD_AT_MOST = 32 * 1024 * 1024;

const message = (cap: number) => `送出的資料太大（上限 ${formatBytes(cap)}），請縮小檔案或減少內容後再送出一次。`;

/**
 * The 413: a page for a document, JSON for /api and /oidc, text for a Remix `?_data` fetch
 * (marked as a thrown response, so the route's error boundary shows it).
 */
export function answerTooLarge(req: IncomingMessage, res: Response, cap: number, opts = { close: true }) {
  if (res.headersSent) {
    req.destroy();
    return;
  }
  const url = new URL(req.url ?? "/", "http://portal.invalid");
  res.status(413).set("Cache-Control", "no-store");
  if (opts.close) res.set("Connection", "close");
  if (/^\/(api|oidc)(\/|$)/.test(url.pathname)) {
    res.json({ error: "request_too_large", error_description: message(cap) });
  } else if (url.searchParams.has("_data")) {
    res.set("X-Remix-Catch", "yes").type("text/plain; charset=utf-8").send(message(cap));
  } else {
    res.type("html").send(tooLargePage(cap));
  }
}

/** Self-contained (the CSP allows no inline style): the offline page's stylesheet. */
function tooLargePage(cap: number): string {
  return `<!doctype html>
<html lang="zh-Hant-TW">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>送出的資料太大｜臺南市政府公務入口網</title>
    <link rel="stylesheet" href="/offline.css" />
    <link rel="icon" href="/icons/icon-192.png" type="image/png" />
  </head>
  <body>
    <header class="offline-header">
      <img src="/icons/icon-192.png" alt="" width="32" height="32" />
      <span>臺南市政府公務入口網</span>
    </header>
    <main class="offline-main">
      <div class="offline-card">
        <h1>送出的資料太大</h1>
        <p>${message(cap)}</p>
        <p class="offline-note">照片或圖片每張不超過 5 MB；若問題持續，請聯絡系統管理員。</p>
        <a class="offline-button" href="/">回首頁</a>
      </div>
    </main>
  </body>
</html>
`;
}

/** The request body as Remix will read it: counted, and cut at `cap`. */
function countedBody(req: IncomingMessage, cap: number, onOver: () => void): Readable {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > cap) {
        onOver();
        done(new Error("request body over its cap"));
        return;
      }
      done(null, chunk);
    },
  });
  req.on("error", (e) => counter.destroy(e));
  req.on("aborted", () => counter.destroy(new Error("request aborted")));
  return req.pipe(counter);
}

/**
 * @remix-run/express's handler, with the body read through `countedBody`. (Its own
 * createRemixRequest reads `req` directly, so the counter cannot be put in between.)
 */
export function boundedRemixHandler(opts: {
  build: ServerBuild;
  mode: string;
  getLoadContext: (req: Request, res: Response) => AppLoadContext;
}) {
  const handle = createRequestHandler(opts.build, opts.mode);
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const request = remixRequest(req, res);
      const response = await handle(request, opts.getLoadContext(req, res));
      if (res.headersSent) return; // the body went over its cap: the 413 is already out
      await sendResponse(res, response);
    } catch (e) {
      if (res.headersSent) return;
      next(e);
    }
  };
}

function remixRequest(req: Request, res: Response): globalThis.Request {
  // As @remix-run/express: the port from X-Forwarded-Host or Host, the host from req.hostname
  // (which respects "trust proxy").
  const portOf = (h: string | undefined) => Number.parseInt(h?.split(":")[1] ?? "", 10);
  const port = [portOf(req.get("X-Forwarded-Host")), portOf(req.get("host"))].find(Number.isSafeInteger);
  const url = new URL(`${req.protocol}://${req.hostname}${port ? `:${port}` : ""}${req.originalUrl}`);
  let controller: AbortController | null = new AbortController();
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) value.forEach((v) => headers.append(key, v));
    else if (value !== undefined) headers.set(key, value);
  }
  const init: RequestInit & { duplex?: "half" } = { method: req.method, headers, signal: controller.signal };
  if (req.method !== "GET" && req.method !== "HEAD") {
    const cap = bodyLimitFor(req.path);
    const body = countedBody(req, cap, () => {
      answerTooLarge(req, res, cap);
      controller?.abort();
    });
    init.body = createReadableStreamFromReadable(body);
    init.duplex = "half";
  }
  // Abort loaders and actions once no answer can be written (closed without finishing).
  res.on("finish", () => (controller = null));
  res.on("close", () => controller?.abort());
  return new globalThis.Request(url.href, init);
}

async function sendResponse(res: Response, response: globalThis.Response) {
  res.statusMessage = response.statusText;
  res.status(response.status);
  for (const [key, value] of response.headers.entries()) res.append(key, value);
  if (/text\/event-stream/i.test(response.headers.get("Content-Type") ?? "")) res.flushHeaders();
  if (response.body) await writeReadableStreamToWritable(response.body, res);
  else res.end();
}
