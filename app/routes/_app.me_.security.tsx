import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { FormMessage, TextField } from "~/components/forms";
import signinStyles from "~/styles/signin.css";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { formatDateTime } from "~/utils/format";
import { requireActor } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "登入安全設定 | 臺南市政府公務入口網" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: signinStyles }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const { auth } = context.services;
  const [totp, phone] = await Promise.all([auth.totp.status(actor), auth.phone.status(actor)]);
  return json({
    totp: {
      enabledAt: totp.enabledAt,
      pending: totp.pending
        ? {
            secret: totp.pending.secret,
            qr: `data:image/svg+xml;base64,${Buffer.from(totp.pending.qrSvg).toString("base64")}`,
          }
        : null,
    },
    phone,
  });
}

type Section = "totp" | "phone";

/** IDN-2 enrolment and NTF-3 phone verification: one intent per form, plain POST. */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  const values = formValues(form, ["intent", "mobile"]);
  const { auth } = context.services;
  const section = sectionOf(values.intent);
  // Every step is kept server-side (the pending secret, the code sent), so each success
  // redirects back here with a flash and the page shows the next step from its loader.
  const done = (message: string) => redirectWithFlash(context, "/me/security", message);
  try {
    switch (values.intent) {
      case "totp-start":
        await auth.totp.startEnrolment(actor);
        return done("請用驗證器 App 掃描 QR Code，再輸入 App 顯示的驗證碼。");
      case "totp-confirm":
        await auth.totp.confirmEnrolment(actor, form.get("code"));
        return done("兩步驟驗證已啟用。之後登入時，輸入密碼後需再輸入驗證碼。");
      case "phone-send": {
        const sent = await auth.phone.requestCode(actor, form.get("mobile"));
        return done(`驗證碼已傳送至 ${sent.mobile}，10 分鐘內有效。`);
      }
      case "phone-confirm": {
        const verified = await auth.phone.confirmCode(actor, form.get("code"));
        return done(`手機號碼 ${verified.mobile} 驗證完成。`);
      }
      default:
        return json(
          { ok: false as const, section, message: "不支援的操作。", fields: {} as Record<string, string>, values },
          { status: 400 },
        );
    }
  } catch (e) {
    return formFailure(e, values);
  }
}

const sectionOf = (intent: string | undefined): Section => (intent?.startsWith("phone") ? "phone" : "totp");

/** "ABCDEFGH…" → "ABCD EFGH …": easier to type into an app by hand. */
const grouped = (secret: string) => secret.replace(/(.{4})(?=.)/g, "$1 ");

export default function Security() {
  const { totp, phone } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const resultSection = result ? ("section" in result ? result.section : sectionOf(result.values.intent)) : null;
  const notice = (section: Section) =>
    result && resultSection === section ? <FormMessage id={`${section}-error`} message={result.message} /> : null;
  const failure = result;
  const fieldError = (section: Section, name: string) =>
    failure && resultSection === section ? failure.fields[name] : undefined;

  return (
    <div>
      <p>
        <Link to="/me">‹ 我的帳號</Link>
      </p>
      <h1 className="page-title">登入安全設定</h1>

      <section className="card" aria-labelledby="sec-totp">
        <h2 id="sec-totp">兩步驟驗證（驗證器 App）</h2>
        {notice("totp")}
        {totp.enabledAt ? (
          <p>
            <span className="status-on">已啟用</span>（{formatDateTime(totp.enabledAt)}{" "}
            起）。登入時輸入密碼後，需再輸入驗證器 App 上的 6 位數驗證碼。手機遺失或更換時，請聯絡機關管理者重設。
          </p>
        ) : totp.pending ? (
          <>
            <ol className="steps">
              <li>在手機安裝 Google Authenticator 或 Microsoft Authenticator。</li>
              <li>在 App 中新增帳號並掃描下方 QR Code；無法掃描時，改為手動輸入金鑰。</li>
              <li>輸入 App 顯示的 6 位數驗證碼，完成啟用。</li>
            </ol>
            <img className="totp-qr" src={totp.pending.qr} alt="兩步驟驗證設定用 QR Code" width="220" height="220" />
            <p className="field-hint" id="totp-secret-label">
              手動輸入金鑰（時間型，30 秒）
            </p>
            <code className="secret-code" aria-labelledby="totp-secret-label" data-secret={totp.pending.secret}>
              {grouped(totp.pending.secret)}
            </code>
            <Form method="post" noValidate>
              <TextField
                label="驗證碼"
                name="code"
                id="totp-code"
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={7}
                error={fieldError("totp", "code")}
                required
              />
              <button type="submit" name="intent" value="totp-confirm" className="btn btn-primary">
                確認並啟用
              </button>
            </Form>
          </>
        ) : (
          <>
            <p>尚未啟用。啟用後，登入時除了密碼，還需輸入手機驗證器 App 產生的驗證碼，帳號更安全。</p>
            <Form method="post">
              <button type="submit" name="intent" value="totp-start" className="btn btn-primary">
                設定兩步驟驗證
              </button>
            </Form>
          </>
        )}
      </section>

      <section className="card" aria-labelledby="sec-phone">
        <h2 id="sec-phone">手機號碼驗證</h2>
        {notice("phone")}
        <p>
          {phone.mobile ? (
            <>
              已驗證：<strong>{phone.mobile}</strong>（{formatDateTime(phone.verifiedAt)}）。可用於以簡訊接收臨時密碼。
            </>
          ) : (
            "尚未驗證手機號碼。驗證後，可用簡訊接收臨時密碼。"
          )}
        </p>
        {/* Remounted when the verified number changes, so the field empties after a success. */}
        <Form method="post" noValidate key={phone.mobile ?? "none"}>
          <TextField
            label={phone.mobile ? "更換手機號碼" : "手機號碼"}
            name="mobile"
            type="tel"
            inputMode="tel"
            autoComplete="tel-national"
            hint="09 開頭共 10 碼，例如 0912345678"
            defaultValue={failure && resultSection === "phone" ? failure.values.mobile : (phone.pending?.mobile ?? "")}
            error={fieldError("phone", "mobile")}
            required
          />
          <button type="submit" name="intent" value="phone-send" className="btn">
            傳送驗證碼
          </button>
        </Form>
        {phone.pending ? (
          <Form method="post" noValidate className="follow-up">
            <p className="field-hint">
              驗證碼已傳送至 {phone.pending.mobile}，{formatDateTime(phone.pending.expiresAt)} 前有效。
            </p>
            <TextField
              label="簡訊驗證碼"
              name="code"
              id="phone-code"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={6}
              error={fieldError("phone", "code")}
              required
            />
            <button type="submit" name="intent" value="phone-confirm" className="btn btn-primary">
              確認驗證碼
            </button>
          </Form>
        ) : null}
      </section>
    </div>
  );
}
