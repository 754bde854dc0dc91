import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { z } from "zod";
import { DomainError } from "../errors.js";
import { field, parseInput } from "../validation.js";

/**
 * What the passkey forms post (ADR 0034): the browser's answer as the JSON
 * @simplewebauthn/browser makes, in one hidden field. Its shape is checked here; what it
 * proves is checked by @simplewebauthn/server.
 */
export const PASSKEY_RESPONSE_MAX = 16_000;
export const BAD_RESPONSE = "通行金鑰的回應無法辨識，請重新操作。";

const b64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/);
const common = {
  id: b64url(1400).min(1),
  rawId: b64url(1400).min(1),
  type: z.literal("public-key"),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
};

const registrationSchema = z.object({
  ...common,
  response: z.object({
    clientDataJSON: b64url(4000).min(1),
    attestationObject: b64url(12_000).min(1),
    transports: z.array(z.string().max(20)).max(10).optional(),
  }),
});

const authenticationSchema = z.object({
  ...common,
  response: z.object({
    clientDataJSON: b64url(4000).min(1),
    authenticatorData: b64url(4000).min(1),
    signature: b64url(1000).min(1),
    userHandle: b64url(200).optional(),
  }),
});

function readJson(raw: unknown): unknown {
  if (typeof raw !== "string" || raw === "" || raw.length > PASSKEY_RESPONSE_MAX) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

/** The answer to a sign-in's options, or null when it is not one. */
export function readAuthentication(raw: unknown): AuthenticationResponseJSON | null {
  const parsed = authenticationSchema.safeParse(readJson(raw));
  return parsed.success ? (parsed.data as AuthenticationResponseJSON) : null;
}

/** 我的 › 登入安全設定: a passkey's name and the authenticator's answer to register it. */
const registerSchema = z.object({
  name: field.optionalText("通行金鑰名稱", 50).transform((s) => s ?? "通行金鑰"),
  response: z.unknown(),
});

export function readRegistration(raw: { name?: unknown; response?: unknown }): {
  name: string;
  response: RegistrationResponseJSON;
} {
  const input = parseInput(registerSchema, raw);
  const parsed = registrationSchema.safeParse(readJson(input.response));
  if (!parsed.success) throw new DomainError("invalid", BAD_RESPONSE);
  return { name: input.name, response: parsed.data as RegistrationResponseJSON };
}
