import { Form, useNavigation, useSubmit } from "@remix-run/react";
import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  WebAuthnError,
} from "@simplewebauthn/browser";
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from "react";
import { FormMessage } from "./forms";

/**
 * Passkeys in the browser (ADR 0034): fetch the server's options (a POST to `optionsUrl`, same
 * origin, so the CSP's connect-src 'self' allows it), let the authenticator answer, then post
 * the answer as JSON in the form's `response` field. The script is the route's own bundle:
 * nothing inline, so the page's CSP needs no exception.
 */
type Ceremony = "register" | "login";

const UNSUPPORTED = "此瀏覽器不支援通行金鑰，請改用其他方式。";

function explain(e: unknown): string {
  const name = e instanceof WebAuthnError ? (e.cause as Error | undefined)?.name : (e as Error | undefined)?.name;
  if (e instanceof WebAuthnError && e.code === "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED") {
    return "這個裝置已有您的通行金鑰，不需重複新增。";
  }
  if (name === "NotAllowedError" || name === "AbortError") return "已取消或逾時，請再試一次。";
  if (e instanceof Error && e.message.startsWith("portal:")) return e.message.slice("portal:".length);
  return "通行金鑰操作失敗，請再試一次或改用其他方式。";
}

async function fetchOptions(optionsUrl: string) {
  const res = await fetch(optionsUrl, { method: "POST", headers: { Accept: "application/json" } });
  const body = (await res.json().catch(() => null)) as { options?: unknown; message?: string } | null;
  if (!res.ok || !body?.options) throw new Error(`portal:${body?.message ?? "暫時無法使用通行金鑰，請稍後再試。"}`);
  return body.options;
}

async function runCeremony(kind: Ceremony, optionsUrl: string): Promise<string> {
  const optionsJSON = (await fetchOptions(optionsUrl)) as never;
  const answer =
    kind === "register" ? await startRegistration({ optionsJSON }) : await startAuthentication({ optionsJSON });
  return JSON.stringify(answer);
}

interface Props {
  kind: Ceremony;
  optionsUrl: string;
  /** The server's refusal of the last answer, if any. */
  failure?: string;
  submitLabel: string;
  busyLabel: string;
  /** Extra fields the action needs (intent, redirectTo). */
  hidden: Record<string, string>;
  /** Fields typed before the ceremony (a passkey's name). */
  children?: ReactNode;
  className?: string;
}

export function PasskeyForm({ kind, optionsUrl, failure, submitLabel, busyLabel, hidden, children, className }: Props) {
  const submit = useSubmit();
  const navigation = useNavigation();
  const formRef = useRef<HTMLFormElement>(null);
  const [working, setWorking] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const [supported, setSupported] = useState(true);
  useEffect(() => setSupported(browserSupportsWebAuthn()), []);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!browserSupportsWebAuthn()) return setProblem(UNSUPPORTED);
    setProblem(undefined);
    setWorking(true);
    try {
      const form = formRef.current!;
      (form.elements.namedItem("response") as HTMLInputElement).value = await runCeremony(kind, optionsUrl);
      submit(form, { method: "post" });
    } catch (e) {
      setProblem(explain(e));
    } finally {
      setWorking(false);
    }
  }

  const busy = working || navigation.state === "submitting";
  const message = problem ?? (navigation.state === "idle" ? failure : undefined);
  const errorId = `passkey-${kind}-error`;
  return (
    <Form
      method="post"
      noValidate
      ref={formRef}
      onSubmit={onSubmit}
      className={className}
      aria-describedby={message ? errorId : undefined}
    >
      <FormMessage id={errorId} message={message} />
      {Object.entries(hidden).map(([k, v]) => (
        <input key={k} type="hidden" name={k} value={v} />
      ))}
      <input type="hidden" name="response" defaultValue="" />
      {children}
      {supported ? null : <p className="field-hint">{UNSUPPORTED}</p>}
      <noscript>
        <p className="field-hint">通行金鑰需要啟用瀏覽器的 JavaScript。</p>
      </noscript>
      <button type="submit" className={kind === "login" ? "btn btn-block" : "btn btn-primary"} disabled={busy}>
        {busy ? busyLabel : submitLabel}
      </button>
    </Form>
  );
}
