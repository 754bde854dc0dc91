import { Form } from "@remix-run/react";
import { FormMessage, TextField } from "~/components/forms";
import type { FormFailure } from "~/utils/errors.server";

/** ACC-19 change my password: the same three fields on 我的帳號 and on the page an expired password leads to. */
export function PasswordChangeForm({ failure }: { failure?: FormFailure }) {
  return (
    <>
      <FormMessage id="password-error" message={failure?.message} />
      <Form method="post" noValidate>
        <TextField
          label="目前密碼"
          name="current"
          type="password"
          autoComplete="current-password"
          error={failure?.fields.current}
          required
        />
        <TextField
          label="新密碼"
          name="next"
          type="password"
          autoComplete="new-password"
          hint="至少 12 個字元，包含大寫字母、小寫字母、數字、符號其中三種，且不可包含帳號。"
          error={failure?.fields.next}
          required
        />
        <TextField
          label="確認新密碼"
          name="confirm"
          type="password"
          autoComplete="new-password"
          error={failure?.fields.confirm}
          required
        />
        <button type="submit" className="btn btn-primary">
          更新密碼
        </button>
      </Form>
    </>
  );
}
