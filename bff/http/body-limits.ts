import { IMAGE_MAX_BYTES } from "../items/images.js";
import { MAX_PHOTOS } from "../repairs/schemas.js";

/**
 * Issue 14 item 4 (ADR 0024): how many bytes of request body each route may send, in one
 * table. Enforced in Express before anything buffers (bounded-body.ts): a declared
 * Content-Length over the cap is answered 413 without reading a byte; a body without one
 * (chunked) is counted as it streams and cut at the cap.
 *
 * The first matching entry wins; everything else gets DEFAULT_BODY_LIMIT. A route that
 * streams large files (a later issue's 檔案下載區 uploads) adds its own entry here with its
 * own cap, and must stream to storage rather than buffer.
 */
export interface BodyLimit {
  path: RegExp;
  bytes: number;
  /** Why this cap: shown in review, not to users. */
  why: string;
}

const KiB = 1024;
const MiB = 1024 * KiB;
/** Form fields and multipart framing around the files. */
const FORM_ALLOWANCE = 256 * KiB;

/** Urlencoded and text forms (sign-in, every admin form): far more than any of them needs. */
export const DEFAULT_BODY_LIMIT = 1 * MiB;

export const BODY_LIMITS: readonly BodyLimit[] = [
  {
    path: /^\/repairs\/(new|\d+)\/?$/,
    bytes: MAX_PHOTOS * IMAGE_MAX_BYTES + FORM_ALLOWANCE,
    why: `報修照片: at most ${MAX_PHOTOS} photos of 5 MB (RPR-1) plus the form`,
  },
  {
    path: /^\/admin\/items\/(cars|venues|drivers)\/[^/]+\/?$/,
    bytes: IMAGE_MAX_BYTES + FORM_ALLOWANCE,
    why: "物品圖片: one image of 5 MB per upload plus the form",
  },
  {
    // oidc-provider also refuses more than 56 KiB while it reads; this refuses a larger
    // declared length before it starts.
    path: /^\/oidc(\/|$)/,
    bytes: 64 * KiB,
    why: "OpenID Connect token, revocation and logout requests are small forms",
  },
  {
    path: /^\/api\//,
    bytes: 64 * KiB,
    why: "JSON APIs (帳號驗證, push decisions) carry a few fields",
  },
];

/** The cap for a request path (no query string). */
export function bodyLimitFor(path: string): number {
  return BODY_LIMITS.find((l) => l.path.test(path))?.bytes ?? DEFAULT_BODY_LIMIT;
}

/** "1 MB", "15.3 MB", "64 KB": the cap as the 413 page says it. */
export function formatBytes(bytes: number): string {
  if (bytes >= MiB) return `${Math.round((bytes / MiB) * 10) / 10} MB`;
  return `${Math.round(bytes / KiB)} KB`;
}
