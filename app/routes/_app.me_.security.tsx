import { ConfirmAction } from "~/components/confirm-dialog";
import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { FormMessage, TextField } from "~/components/forms";
import { PasskeyForm } from "~/components/passkey";
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
  const [totp, phone, passkeys] = await Promise.all([
    auth.totp.status(actor),
    auth.phone.status(actor),
    auth.passkeys.list(actor),
  ]);
  return json({
    passkeys: { enabled: auth.passkeys.enabled, list: passkeys },
    totp: {
      enabledAt: totp.enabledAt,
      recoveryCodesLeft: totp.recoveryCodesLeft,
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

type Section = "totp" | "phone" | "passkey";

/**
 * Recovery codes are shown once, in this answer only (ADR 0031's one-time secrets): never
 * stored in the page's history or a cache.
 */
const showCodes = (codes: string[], message: string) =>
  json({ ok: true as const, codes, message }, { headers: { "Cache-Control": "no-store" } });

/** IDN-2 enrolment, recovery codes, passkeys (ADR 0034) and NTF-3 phone verification: one intent per form, plain POST. */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  const values = formValues(form, ["intent", "mobile", "name"]);
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
      case "totp-confirm": {
        const { recoveryCodes } = await auth.totp.confirmEnrolment(actor, form.get("code"));
        return showCodes(recoveryCodes, "兩步驟驗證已啟用。之後登入時，輸入密碼後需再輸入驗證碼。");
      }
      case "recovery-regenerate":
        return showCodes(await auth.totp.regenerateRecoveryCodes(actor), "已產生新的復原碼，舊的復原碼已全部失效。");
      case "passkey-register": {
        const added = await auth.passkeys.register(actor, { name: form.get("name"), response: form.get("response") });
        return done(`已新增通行金鑰「${added.name}」。之後可在登入頁選擇「使用通行金鑰登入」。`);
      }
      case "passkey-remove": {
        const removed = await auth.passkeys.remove(actor, form.get("id"));
        return done(`已移除通行金鑰「${removed.name}」。`);
      }
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

const sectionOf = (intent: string | undefined): Section =>
  intent?.startsWith("phone") ? "phone" : intent?.startsWith("passkey") ? "passkey" : "totp";

/** "ABCDEFGH…" → "ABCD EFGH …": easier to type into an app by hand. */
const grouped = (secret: string) => secret.replace(/(.{4})(?=.)/g, "$1 ");

export default function Security() {
  const { totp, phone, passkeys } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const shown = answer && "codes" in answer ? answer : null;
  const result = answer && !("codes" in answer) ? answer : null;
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

      {shown ? <RecoveryCodes codes={shown.codes} message={shown.message} /> : null}

      <section className="card" aria-labelledby="sec-totp">
        <h2 id="sec-totp">兩步驟驗證（驗證器 App）</h2>
        {notice("totp")}
        {totp.enabledAt ? (
          <>
            <p>
              <span className="status-on">已啟用</span>（{formatDateTime(totp.enabledAt)}{" "}
              起）。登入時輸入密碼後，需再輸入驗證器 App 上的 6
              位數驗證碼。手機遺失或更換時，可改輸入復原碼；沒有復原碼時，請聯絡機關管理者重設。
            </p>
            <h3>復原碼</h3>
            <p>
              尚未使用的復原碼：<strong data-testid="recovery-left">{totp.recoveryCodesLeft}</strong> 組
              {totp.recoveryCodesLeft <= 3 ? "，所剩不多，建議重新產生。" : "。"}
            </p>
            <Form method="post">
              <button type="submit" name="intent" value="recovery-regenerate" className="btn">
                重新產生復原碼
              </button>
              <p className="field-hint">重新產生後，舊的復原碼會立即全部失效。</p>
            </Form>
          </>
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

      <PasskeySection passkeys={passkeys} notice={notice("passkey")} nameError={fieldError("passkey", "name")} />

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

/** The recovery codes, this once (after enabling TOTP or regenerating). */
function RecoveryCodes({ codes, message }: { codes: string[]; message: string }) {
  return (
    <section className="card recovery-codes" aria-labelledby="sec-recovery">
      <div className="alert alert-success" role="status">
        {message}
      </div>
      <h2 id="sec-recovery">請立即保存您的復原碼</h2>
      <p>
        手機遺失或不在身邊時，可在兩步驟驗證頁輸入一組復原碼代替驗證碼。每組限用一次；
        <strong>離開此頁後不會再顯示</strong>
        ，請抄寫或列印後妥善保管。
      </p>
      <ol className="recovery-code-list">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <Link to="/me/security" className="btn btn-primary">
        我已保存
      </Link>
    </section>
  );
}

interface PasskeySectionProps {
  passkeys: { enabled: boolean; list: { id: number; name: string; createdAt: string; lastUsedAt: string | null }[] };
  notice: React.ReactNode;
  nameError?: string;
}

/** ADR 0034: the signed-in user's passkeys; add one with this device, remove any. */
function PasskeySection({ passkeys, notice, nameError }: PasskeySectionProps) {
  return (
    <section className="card" aria-labelledby="sec-passkey">
      <h2 id="sec-passkey">通行金鑰</h2>
      {passkeys.enabled ? null : (
        <div className="alert alert-info" role="status">
          本系統尚未設定對外網址（PUBLIC_ORIGIN），暫不提供通行金鑰；請洽系統管理者。
        </div>
      )}
      <p>通行金鑰以手機或電腦的指紋、臉部辨識或螢幕鎖登入，不必輸入密碼；經裝置驗證身分時，視同已完成兩步驟驗證。</p>
      {passkeys.list.length > 0 ? (
        <ul className="passkey-list" aria-label="我的通行金鑰">
          {passkeys.list.map((p) => (
            <li key={p.id}>
              <div>
                <strong>{p.name}</strong>
                <p className="field-hint">
                  建立：{formatDateTime(p.createdAt)}；最後使用：
                  {p.lastUsedAt ? formatDateTime(p.lastUsedAt) : "尚未使用"}
                </p>
              </div>
              <ConfirmAction
                name={`passkey-${p.id}`}
                label="移除"
                title={`確定要移除通行金鑰「${p.name}」嗎？`}
                consequence="移除後，這個裝置上的通行金鑰就不能再用來登入入口網；之後可再新增。"
                fields={{ intent: "passkey-remove", id: p.id }}
                ariaLabel={`移除通行金鑰「${p.name}」`}
                small
              />
            </li>
          ))}
        </ul>
      ) : (
        <p>尚未新增通行金鑰。</p>
      )}
      {passkeys.enabled ? (
        <PasskeyForm
          kind="register"
          optionsUrl="/me/security/passkey-options"
          submitLabel="以此裝置新增通行金鑰"
          busyLabel="等待裝置確認…"
          hidden={{ intent: "passkey-register" }}
        >
          {notice}
          <TextField
            label="通行金鑰名稱"
            name="name"
            id="passkey-name"
            maxLength={50}
            hint="方便辨認的名稱，例如「公務手機」；未填寫時為「通行金鑰」。"
            error={nameError}
          />
        </PasskeyForm>
      ) : null}
    </section>
  );
}
