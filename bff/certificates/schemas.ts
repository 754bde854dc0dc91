import { z } from "zod";
import type { FormInput } from "../validation.js";
import { decodeBase64, MAX_SIGNATURE_CHARS, parseCertificate } from "./encoding.js";
import { certificateMessages as M } from "./messages.js";

/** A field the signing component fills in: there, and readable by `read`, else `M.malformed`. */
const signed = <T>(read: (s: string) => T | null) =>
  z
    .string({ error: M.missing })
    .min(1, { error: M.missing })
    .transform((s, ctx) => {
      const value = read(s);
      if (value === null) {
        ctx.addIssue({ code: "custom", message: M.malformed });
        return z.NEVER;
      }
      return value;
    });

/**
 * What the sign-in and link pages post back (IDN-4): the challenge they were given, and the
 * component's answer — a base64 signature and the signer's certificate (PEM or base64 DER).
 * Refused input is a login record too, so the service reads it with `safeParse` and
 * `refusalOf`, not parseInput.
 */
export const signedChallengeSchema = z.object({
  challengeId: signed((s) => s),
  signature: signed((s) => (s.length <= MAX_SIGNATURE_CHARS ? decodeBase64(s) : null)),
  certificate: signed(parseCertificate),
});
export type SignedChallenge = FormInput<typeof signedChallengeSchema>;

/** Something missing says so first; else the data is malformed. */
export const refusalOf = (e: z.ZodError) => (e.issues.some((i) => i.message === M.missing) ? M.missing : M.malformed);
