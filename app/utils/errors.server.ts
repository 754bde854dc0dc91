import { json } from "@remix-run/node";
import { httpStatus, isDomainError } from "../../bff/errors.js";

export interface FormFailure {
  ok: false;
  message: string;
  fields: Record<string, string>;
  /** What the user typed, so the form can show it again. */
  values: Record<string, string>;
}

/**
 * Turns a service's DomainError into the action's answer: a zh-TW message, the HTTP status
 * for its code and what the user typed. Out of scope is a plain 404, like a missing record.
 * Anything else is a bug: rethrown to the error boundary.
 */
export function formFailure(e: unknown, values: Record<string, string>) {
  if (!isDomainError(e)) throw e;
  if (e.code === "not_found") throw new Response(e.message, { status: 404 });
  const failure: FormFailure = { ok: false, message: e.message, fields: e.fields, values };
  return json(failure, { status: httpStatus(e.code) });
}

/** For loaders: absent or out of scope becomes a 404 page, nothing more. */
export async function load<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isDomainError(e)) throw new Response(e.message, { status: httpStatus(e.code) });
    throw e;
  }
}

/** Form fields as strings (files and repeated keys are not used by these forms). */
export function formValues(form: FormData, keys: string[]): Record<string, string> {
  return Object.fromEntries(
    keys.map((k) => {
      const v = form.get(k);
      return [k, typeof v === "string" ? v : ""];
    }),
  );
}

/** A body that is not a form (wrong type, cut short) reads as an empty form, not a 500. */
export async function readForm(request: Request): Promise<FormData> {
  try {
    return await request.formData();
  } catch {
    return new FormData();
  }
}

export { isDomainError };
