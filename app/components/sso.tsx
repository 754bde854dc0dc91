import type { LinksFunction } from "@remix-run/node";
import consoleStyles from "~/styles/console.css";
import ssoStyles from "~/styles/sso.css";

/** Pieces shared by the single sign-on pages (IDN-6/8): status labels, check groups, secrets. */

/** The stylesheets of every single sign-on console page. */
export const ssoLinks: LinksFunction = () => [
  { rel: "stylesheet", href: consoleStyles },
  { rel: "stylesheet", href: ssoStyles },
];

export const applicationStatusLabels: Record<string, string> = {
  pending: "審核中",
  approved: "已通過",
  rejected: "已駁回",
};

export const methodLabels: Record<string, string> = { sso: "單一登入", api: "帳號驗證 API" };

export function StatusTag({ status }: { status: string }) {
  return <span className={`sso-status sso-status-${status}`}>{applicationStatusLabels[status] ?? status}</span>;
}

/** Checkboxes under one legend, with the group's error tied to it for screen readers. */
export function CheckGroup({
  name,
  legend,
  options,
  checked,
  error,
}: {
  name: string;
  legend: string;
  options: { value: string; label: string }[];
  checked: string[];
  error?: string;
}) {
  const errorId = `f-${name}-error`;
  return (
    <fieldset className={`choice-group${error ? " field-invalid" : ""}`} aria-describedby={error ? errorId : undefined}>
      <legend>{legend}</legend>
      {options.map((o) => (
        <label key={o.value} className="choice">
          <input type="checkbox" name={name} value={o.value} defaultChecked={checked.includes(o.value)} />
          {o.label}
        </label>
      ))}
      {error ? (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

/** A secret shown once: in a box the user can select, with a warning that it will not return. */
export function OneTimeSecret({ clientId, secret }: { clientId: string; secret: string }) {
  return (
    <div className="alert alert-success sso-secret" role="status">
      <p>
        <strong>請立即複製並妥善保存用戶端密鑰，離開此頁後將無法再次顯示。</strong>
      </p>
      <dl className="facts">
        <dt>用戶端識別碼（client_id）</dt>
        <dd>
          <code>{clientId}</code>
        </dd>
        <dt>用戶端密鑰（client_secret）</dt>
        <dd>
          <code className="sso-secret-value" data-testid="client-secret">
            {secret}
          </code>
        </dd>
      </dl>
    </div>
  );
}
