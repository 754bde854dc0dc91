import { randomBytes } from "node:crypto";
import path from "node:path";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import { coalesceFlushes } from "./coalesce-flush.js";
import express, { type NextFunction, type Request, type Response } from "express";
import helmet from "helmet";
import type { Container } from "../container.js";
import { boundedRemixHandler, refuseDeclaredOversize } from "./bounded-body.js";
import { noStoreByDefault } from "./cache-control.js";
import { answerDatabaseOutages, retryAfterOn503 } from "./db-unavailable.js";
import { errorFields } from "../logger.js";
import { metricsBehindToken } from "../metrics/server.js";
import { healthRoutes } from "./health.js";
import { requestInfoOf, requestLog, routeName } from "./request-log.js";
import { observeRoutes } from "./route-errors.js";
import { moveLegacySessionCookie } from "./session-cookie-move.js";
import { stylesheetsOf } from "./stylesheets.js";

/**
 * The Express app: /healthz and /readyz (health.ts), security headers with a per-request
 * CSP nonce, compression, static files, the Origin check for form posts, then Remix.
 */
export function createApp(opts: {
  container: Container;
  build: ServerBuild;
  publicDir: string;
  /** True once SIGTERM started the drain: /readyz then answers 503. */
  isDraining?: () => boolean;
}) {
  const { container, build, publicDir } = opts;
  const { config } = container;
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.trustProxy);
  // Issue 15 item 4 (ADR 0029): the request id and the request's one log line come first, so
  // every answer below (probes and refusals included) carries the id and is counted.
  app.use(requestLog(container.logger, container.metrics.observeRequest));
  // Never on the public port without the token: without METRICS_TOKEN, /metrics is the 404 page.
  if (config.METRICS_TOKEN) {
    app.use(
      routeFor("/metrics"),
      metricsBehindToken(container.metrics.registry, config.METRICS_TOKEN, container.logger),
    );
  }
  app.use(healthRoutes(container, opts.isDraining)); // /healthz, /readyz: first, so nothing else runs (or touches the database) before them

  app.use(retryAfterOn503);
  app.use((_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString("base64");
    next();
  });
  // Single sign-on pages post a form whose answer redirects to the other system; browsers
  // hold redirects after a form post to form-action, so that system's origin is allowed
  // there (only on those pages, and only an origin the provider already checked).
  app.use(async (req, res, next) => {
    try {
      res.locals.formTarget = await container.services.oidc.formTarget(req.path, req.query);
    } catch {
      res.locals.formTarget = undefined;
    }
    next();
  });
  // IDN-4: the pages where the card signs call the local signing component from the browser;
  // only they may connect to it, and only to its configured origin.
  const signerOrigin = container.services.certificates.enabled ? new URL(config.CERT_SIGNER_URL).origin : undefined;
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", (_req, res) => `'nonce-${(res as Response).locals.cspNonce}'`],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", "data:", "blob:"],
          connectSrc: [
            (req) =>
              signerOrigin && CARD_SIGNING_PAGES.test((req as Request).path) ? `'self' ${signerOrigin}` : "'self'",
          ],
          fontSrc: ["'self'"],
          manifestSrc: ["'self'"],
          workerSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: [
            (_req, res) => {
              const target = (res as Response).locals.formTarget as string | undefined;
              return target ? `'self' ${target}` : "'self'";
            },
          ],
          frameAncestors: ["'none'"],
          ...(config.isProduction && !config.embedded ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      // HSTS only where TLS is terminated in front of us (production behind the LB).
      strictTransportSecurity: config.isProduction && !config.embedded,
      crossOriginEmbedderPolicy: false,
      // "no-referrer" would also make browsers send `Origin: null` on a plain form post, so a
      // form submitted before the JS loads (slow network) would fail the Origin check.
      // same-origin keeps referrers away from other sites and the Origin intact here.
      referrerPolicy: { policy: "same-origin" },
    }),
  );
  // A component that does not answer our origin is reached through its own /popupForm window,
  // which must keep its opener to post the signature back (helmet's COOP would cut it).
  app.use((req, res, next) => {
    if (signerOrigin && CARD_SIGNING_PAGES.test(req.path)) {
      res.setHeader("Cross-Origin-Opener-Policy", "same-origin-allow-popups");
      // upgrade-insecure-requests would try https:// on the component, which serves plain
      // http on the user's own machine; these pages load nothing else over http.
      const csp = res.getHeader("Content-Security-Policy");
      if (typeof csp === "string") res.setHeader("Content-Security-Policy", withoutUpgrade(csp));
    }
    next();
  });
  app.use(compression());
  app.use(coalesceFlushes);

  // Static files are one route name (a file name is not a route); what they do not serve is Remix's to name.
  app.use(routeName("static"));
  // Remix's fingerprinted assets never change: cache them for a year.
  app.use("/build", express.static(path.join(publicDir, "build"), { immutable: true, maxAge: "1y", index: false }));
  // The service worker must be revalidated on every load or updates would stall.
  app.get("/sw.js", (_req, res, next) => {
    res.set("Cache-Control", "no-cache");
    next();
  });
  app.use(express.static(publicDir, { maxAge: "1h", index: false }));
  app.use(routeName(undefined));
  // Everything after the static files is personal or may be: never cached (ASVS V8.2.1).
  app.use(noStoreByDefault);

  // Issue 14 item 4 (ADR 0024): bounded input. A body declared larger than its route's cap
  // (body-limits.ts) is refused with 413 before a byte is read; Remix reads the rest through
  // a counter that cuts a chunked body at the cap (boundedRemixHandler below).
  app.use(refuseDeclaredOversize);

  // Single sign-on (IDN-6): oidc-provider answers everything under /oidc; its sign-in and
  // consent pages are Remix routes (/sso/interaction/:uid).
  app.use("/oidc", routeName("oidc"), container.services.oidc.callback);

  app.use(originCheck(config.PUBLIC_ORIGIN));
  // The provider's own pages (sign-out, errors) wear the portal's stylesheet.
  container.services.oidc.useStylesheets(stylesheetsOf(build));
  const secureCookies = config.isProduction && !config.embedded;
  app.use(moveLegacySessionCookie(secureCookies, container.services.auth));

  app.all(
    "*",
    boundedRemixHandler({
      // A database outage is a 503 page, not a 500 (issue 13 item 2).
      // Issue 15 item 4: route names and unexpected errors (logged with the request id, answered as a 500 carrying it).
      build: observeRoutes(answerDatabaseOutages(build, container.logger), container.logger),
      mode: config.isProduction ? "production" : "development",
      getLoadContext: (req, res) => ({
        services: container.services,
        cspNonce: res.locals.cspNonce as string,
        clientIp: req.ip ?? "",
        http: { req, res },
        // Secure cookies need HTTPS, which a local or demo install (embedded database) lacks.
        secureCookies,
        cookieSecret: container.cookieSecret,
        requestInfo: requestInfoOf(res)!,
        logger: container.logger,
      }),
    }),
  );
  app.use(lastErrorHandler(container.logger));
  return app;
}

/** The one path a middleware names itself for (a mount would cut req.path). */
const routeFor = (path: string) => (req: Request, res: Response, next: NextFunction) => {
  if (req.path === path) routeName(path)(req, res, next);
  else next();
};

/**
 * What reaches Express's error handling (an error outside Remix's loaders, a body stream
 * that broke): JSON in the log with the request id, and a zh-TW page with 錯誤代碼 — never
 * Express's default, which prints the stack as plain text and sends it in development.
 */
function lastErrorHandler(logger: Container["logger"]) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const info = requestInfoOf(res);
    const declared =
      (err as { status?: unknown; statusCode?: unknown })?.status ?? (err as { statusCode?: unknown })?.statusCode;
    const status = typeof declared === "number" && declared >= 400 && declared < 500 ? declared : 500;
    if (status >= 500) {
      logger.error("request failed", {
        requestId: info?.id,
        route: info?.route,
        method: req.method,
        ...errorFields(err),
      });
    }
    // Half an answer already went out: cut it rather than let it pass for a whole one.
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const text = status >= 500 ? "系統暫時發生問題，請稍後再試；若問題持續，請聯絡系統管理員。" : "請求有誤。";
    const code = info ? `<p>錯誤代碼：<code>${escapeHtml(info.id)}</code></p>` : "";
    res
      .status(status)
      .set("Cache-Control", "no-store")
      .type("text/html; charset=utf-8")
      .send(
        `<!doctype html><html lang="zh-Hant-TW"><meta charset="utf-8"><title>${text}</title><p>${text}</p>${code}</html>`,
      );
  };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export const withoutUpgrade = (csp: string) =>
  csp
    .split(";")
    .filter((d) => d.trim() !== "upgrade-insecure-requests")
    .join(";");

/** Pages that load with a connect-src for the card's signing component (full document loads). */
const CARD_SIGNING_PAGES = /^\/(login\/certificate|me\/certificate)\/?$/;

/**
 * Browser form posts must come from our own pages (CSRF, ASVS V4.2.2 / V13.2.3). Endpoints that
 * authenticate by token instead of cookie (/oidc, /api) are exempt. The Origin must equal ours
 * as a whole — scheme, host and port — so a page on `http://` cannot post to the `https://`
 * site (issue 14 item 6).
 */
function originCheck(publicOrigin: string | undefined) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return next();
    if (req.path.startsWith("/oidc/") || req.path === "/oidc" || req.path.startsWith("/api/")) return next();
    const origin = req.get("origin");
    const expected = publicOrigin ? originOf(publicOrigin) : requestOrigin(req);
    if (origin && expected && originOf(origin) === expected) return next();
    res.status(403).type("text/plain; charset=utf-8").send("請求來源不符，請重新整理頁面後再試一次。");
  };
}

/**
 * Without PUBLIC_ORIGIN, our origin is what the browser asked for: the scheme from
 * `req.protocol` and the host (with its port) from Host — both from X-Forwarded-* only when
 * the proxy in front is trusted, by the same `trust proxy` rule Express uses for the scheme.
 */
export function requestOrigin(req: Request): string | null {
  const trust = req.app.get("trust proxy fn") as (addr: string | undefined, i: number) => boolean;
  const forwarded = trust(req.socket.remoteAddress, 0) ? req.get("x-forwarded-host")?.split(",")[0]?.trim() : "";
  const host = forwarded || req.get("host");
  return host ? originOf(`${req.protocol}://${host}`) : null;
}

/** The serialised origin (default ports dropped, lower case), or null for anything unparsable or opaque. */
function originOf(value: string): string | null {
  try {
    const o = new URL(value).origin;
    return o === "null" ? null : o;
  } catch {
    return null;
  }
}
