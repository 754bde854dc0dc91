/** What went wrong, in terms the UI can act on. One place maps these to HTTP status. */
export type DomainErrorCode =
  | "invalid" // bad input: show the message, keep what was typed
  | "unauthenticated" // no valid session
  | "forbidden" // signed in, but the action is not theirs (used only where 404 would mislead)
  | "not_found" // absent, or outside the actor's scope: never say which
  | "conflict" // the state changed under them (already decided, overlap …)
  | "rate_limited";

export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Per-field messages for forms, keyed by the form field's name. */
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

const statusOf: Record<DomainErrorCode, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
};

export function httpStatus(code: DomainErrorCode): number {
  return statusOf[code];
}

/**
 * Remix bundles its own copy of any module it imports, so `instanceof` across the
 * server/Remix boundary is unreliable: recognise the error by its shape.
 */
export function isDomainError(e: unknown): e is DomainError {
  return (
    typeof e === "object" &&
    e !== null &&
    (e as { name?: unknown }).name === "DomainError" &&
    typeof (e as { code?: unknown }).code === "string" &&
    (e as { code: string }).code in statusOf
  );
}

export const notFound = () => new DomainError("not_found", "找不到資料，或您沒有權限檢視。");

/** PostgreSQL's unique violation (23505): the database, not a read before the write, decided a race. */
export const isUniqueViolation = (e: unknown) => (e as { code?: string }).code === "23505";

/**
 * For `.catch(…)` on an insert or update that a unique index guards: the loser of the race
 * hears `error` (a zh-TW DomainError); anything else is rethrown untouched.
 */
export const onUniqueViolation =
  (error: () => DomainError) =>
  (e: unknown): never => {
    throw isUniqueViolation(e) ? error() : e;
  };
