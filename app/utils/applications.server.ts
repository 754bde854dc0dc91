import { type AppLoadContext, json } from "@remix-run/node";
import type { EmailCodePurpose } from "../../db/schema/account-applications.js";
import { httpStatus, isDomainError } from "../../bff/errors.js";
import type { StepData } from "~/components/applications";
import { formValues } from "./errors.server";
import { requestMeta } from "./session.server";

export const accountFieldKeys = [
  "username",
  "name",
  "title",
  "agencyId",
  "unitId",
  "officePhone",
  "officeExt",
  "workAddress",
  "needsOfficialMail",
  "backupEmail",
];

/** A refusal at a step: the message, the field messages, what was typed, and where to stay. */
export function stepFailure(e: unknown, data: StepData) {
  if (!isDomainError(e)) throw e;
  // A used or stale proof sends the applicant back to proving the address.
  const restart = e.message.startsWith("信箱驗證已逾時");
  const body: StepData = {
    ...data,
    ok: false,
    message: e.message,
    fields: e.fields,
    ...(restart ? { step: undefined, proof: undefined } : {}),
  };
  return json(body, { status: httpStatus(e.code) });
}

/**
 * The two steps every signed-out flow shares: mail a code (intent "send") and check it
 * (intent "verify"). Returns null for any other intent.
 */
export async function proofSteps(
  purpose: EmailCodePurpose,
  form: FormData,
  request: Request,
  context: AppLoadContext,
  onProved?: (proof: string) => Promise<Partial<StepData>>,
) {
  const flows = context.services.applications.signedOut;
  const values = formValues(form, ["intent", "email", "username", "code"]);
  if (values.intent === "send") {
    try {
      const r = await flows.requestCode(
        purpose,
        { email: values.email, username: values.username },
        requestMeta(request, context),
      );
      return json<StepData>({
        ok: true,
        step: "code",
        message: r.message,
        email: r.email,
        username: r.username,
        values: {},
      });
    } catch (e) {
      return stepFailure(e, { values: { email: values.email ?? "", username: values.username ?? "" } });
    }
  }
  if (values.intent === "verify") {
    try {
      const { proof, email } = await flows.verifyCode(purpose, { email: values.email, code: values.code });
      const extra = onProved ? await onProved(proof) : {};
      return json<StepData>({
        ok: true,
        step: "form",
        proof,
        email,
        values: { backupEmail: email },
        fields: {},
        ...extra,
      });
    } catch (e) {
      return stepFailure(e, { step: "code", email: values.email, username: values.username, values: {} });
    }
  }
  return null;
}
