import type { ActionFunctionArgs } from "@remix-run/node";
import { formFailure, readForm } from "./errors.server";
import { redirectWithFlash } from "./flash.server";
import { requireActor } from "./session.server";

/** The action behind PasswordChangeForm: back to `page` with a flash, or the refusal inline. */
export async function changePasswordAction({ request, context }: ActionFunctionArgs, page: string) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  try {
    await context.services.auth.changePassword(actor, {
      current: form.get("current"),
      next: form.get("next"),
      confirm: form.get("confirm"),
    });
  } catch (e) {
    // Passwords are never echoed back into the page.
    return formFailure(e, {});
  }
  return redirectWithFlash(context, page, "密碼已更新。其他裝置上的登入已登出。");
}
