import type { NextFunction, Request, Response } from "express";

/**
 * Issue 14 item 6 (ASVS V8.2.1): nothing the application answers may stay in a browser's or
 * a proxy's cache — on a shared PC the next person would find the previous one's pages in
 * the back button and the disk cache. So every response from here on (Remix documents,
 * `?_data` loader answers, resource routes such as exports and photos, 404 and error pages,
 * single sign-on pages) carries `Cache-Control: no-store` unless the route chose its own
 * value. Mounted after the static files, whose fingerprinted or public bytes keep their caching.
 *
 * Set just before the headers go out (as `retryAfterOn503` does), because the Remix adapter
 * appends the route's headers onto the Express response: setting it up front would send two.
 */
export function noStoreByDefault(_req: Request, res: Response, next: NextFunction) {
  const writeHead = res.writeHead;
  res.writeHead = function (this: Response, ...args: Parameters<typeof writeHead>) {
    if (!res.hasHeader("Cache-Control") && !headerArgSets(args, "cache-control")) {
      res.setHeader("Cache-Control", "no-store");
    }
    return writeHead.apply(this, args);
  } as typeof writeHead;
  next();
}

/** writeHead(status, [message], headers) may carry the header itself. */
function headerArgSets(args: unknown[], name: string): boolean {
  const headers = args.find((a, i) => i > 0 && a !== null && typeof a === "object");
  if (!headers) return false;
  if (Array.isArray(headers)) return headers.some((h, i) => i % 2 === 0 && String(h).toLowerCase() === name);
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}
