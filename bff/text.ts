/**
 * Makes untrusted text safe to store and log: PostgreSQL refuses U+0000, control
 * characters garble logs, and lone surrogates are not valid UTF-8.
 */
export function cleanText(value: unknown, maxLength: number): string {
  if (typeof value !== "string") return "";
  return value
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd")
    .slice(0, maxLength);
}

/** True when the string holds control characters or lone surrogates. */
export function hasUnsafeChars(value: string): boolean {
  return cleanText(value, Number.MAX_SAFE_INTEGER) !== value;
}
