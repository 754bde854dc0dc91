import { sql } from "kysely";
import type { Container } from "../../bff/container.js";
import { meta } from "../helpers/factory.js";

/** The newest queued mail to an address (the job's payload, before the worker sends it). */
export async function lastMailTo(c: Container, to: string): Promise<{ subject: string; text: string } | undefined> {
  const row = await c.db
    .selectFrom("jobs")
    .select("payload")
    .where("kind", "=", "mail.send")
    .where(sql<string>`payload->>'to'`, "=", to)
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  return row?.payload as { subject: string; text: string } | undefined;
}

export const codeIn = (text: string | undefined) => /驗證碼為 (\d{6})/.exec(text ?? "")?.[1];
export const tokenIn = (text: string | undefined) => /token=([A-Za-z0-9_-]+)/.exec(text ?? "")?.[1];

/** Proves an address for a purpose: request a code, read it from the queued mail, verify. */
export async function prove(
  c: Container,
  purpose: "apply" | "edit" | "reactivate" | "reset",
  email: string,
  username?: string,
  ip = meta.ip,
): Promise<string> {
  const flows = c.services.applications.signedOut;
  await flows.requestCode(purpose, { email, username }, { ip, userAgent: "vitest" });
  const code = codeIn((await lastMailTo(c, email))?.text);
  if (!code) throw new Error(`no code mailed to ${email}`);
  return (await flows.verifyCode(purpose, { email, code })).proof;
}

export function applyForm(unitId: number, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    username: `ap.${Math.random().toString(36).slice(2, 8)}`,
    name: "陳申請",
    title: "科員",
    unitId: String(unitId),
    officePhone: "06-2991111",
    officeExt: "1234",
    workAddress: "臺南市安平區永華路二段6號",
    needsOfficialMail: "1",
    ...overrides,
  };
}

export async function domainError(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string; fields: Record<string, string> };
  }
  throw new Error("expected a refusal");
}
