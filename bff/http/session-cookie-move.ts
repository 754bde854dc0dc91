import type { NextFunction, Request, Response } from "express";
import { legacyClearCookie, readSessionCookie, sessionSetCookie } from "../auth/session-cookie.js";

/**
 * One release of both cookie names (ADR 0023): a browser that still carries the session under
 * the old name `portal_session` gets it re-set as `__Host-portal_session` (same token, same
 * expiry) and the old one cleared, on whatever request it makes first. Nobody is signed out
 * by the rename, whichever release of a rolling deploy answered their sign-in.
 */
export function moveLegacySessionCookie(secure: boolean, auth: { sessionExpiry(token: string): Promise<Date | null> }) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!secure || !req.headers.cookie?.includes("portal_session=")) return next();
    void (async () => {
      const found = await readSessionCookie(req.headers.cookie, true);
      if (!found?.legacy) return;
      const expiresAt = await auth.sessionExpiry(found.token);
      if (expiresAt) res.append("Set-Cookie", await sessionSetCookie(true, found.token, expiresAt));
      res.append("Set-Cookie", await legacyClearCookie());
    })().then(() => next(), next);
  };
}
