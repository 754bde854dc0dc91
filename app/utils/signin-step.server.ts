import { type AppLoadContext, redirect } from "@remix-run/node";
import type { SignInStep } from "../../bff/auth/service.js";
import { appendDeviceCookie } from "./known-device.server";
import { startSession } from "./session.server";
import { clearChallenge, commitChallenge } from "./signin-challenge.server";

/**
 * After the first factor (password, temporary password): signed in, or on to the TOTP
 * step with the challenge cookie (IDN-2). `to` is already a safe same-site path.
 */
export async function afterFirstFactor(request: Request, context: AppLoadContext, step: SignInStep, to: string) {
  if (step.kind === "session") {
    const headers = new Headers();
    for (const c of await startSession(request, context, step)) headers.append("Set-Cookie", c);
    headers.append("Set-Cookie", await clearChallenge(context));
    await appendDeviceCookie(headers, context, step.device);
    return redirect(to, { headers });
  }
  return redirect(`/login/totp?redirectTo=${encodeURIComponent(to)}`, {
    headers: { "Set-Cookie": await commitChallenge(context, step.challenge) },
  });
}
