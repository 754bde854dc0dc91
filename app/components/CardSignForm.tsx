import { Form, useNavigation, useSubmit } from "@remix-run/react";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { detectSigner, NOT_RUNNING, openSignerPopup, type SignerMode, signWithCard } from "~/utils/card-signer";
import { FormMessage } from "./forms";

interface Props {
  /** The server's challenge: its id goes back with the answer, its text is what the card signs. */
  challenge: { id: string; tbs: string };
  signerUrl: string;
  /** The server's refusal of the last attempt, if any. */
  failure?: string;
  submitLabel: string;
  busyLabel: string;
  /** Extra fields the action needs (e.g. redirectTo). */
  hidden?: Record<string, string>;
}

/**
 * IDN-4: the PIN field and button that have the citizen card sign the challenge through
 * the local component, then post the signature and certificate (never the PIN: its input
 * has no name, so no form submission can carry it).
 */
export function CardSignForm({ challenge, signerUrl, failure, submitLabel, busyLabel, hidden = {} }: Props) {
  const submit = useSubmit();
  const navigation = useNavigation();
  const formRef = useRef<HTMLFormElement>(null);
  const [pin, setPin] = useState("");
  const [signing, setSigning] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const [pinError, setPinError] = useState<string | undefined>();

  const mode = useRef<SignerMode>("direct");

  useEffect(() => {
    let live = true;
    void detectSigner(signerUrl).then((found) => {
      mode.current = found;
      if (live && found === "absent") setProblem(NOT_RUNNING);
    });
    return () => {
      live = false;
    };
  }, [signerUrl]);

  // Each answer from the server comes with a new challenge; the old PIN is not kept around.
  useEffect(() => setPin(""), [challenge.id]);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pin.trim() === "") {
      setPinError("請輸入 PIN 碼");
      return;
    }
    // The component's window must open in the click itself, before anything is awaited.
    const popup = mode.current === "popup" ? openSignerPopup(signerUrl) : null;
    setPinError(undefined);
    setProblem(undefined);
    setSigning(true);
    const result = await signWithCard(signerUrl, challenge.tbs, pin, mode.current, popup);
    setSigning(false);
    if (!result.ok) {
      setProblem(result.message);
      // Started or trusted us since the page loaded? The next click takes the right path.
      void detectSigner(signerUrl).then((found) => (mode.current = found));
      return;
    }
    const form = formRef.current!;
    (form.elements.namedItem("signature") as HTMLInputElement).value = result.signature;
    (form.elements.namedItem("certificate") as HTMLInputElement).value = result.certificate;
    submit(form, { method: "post" });
  }

  const busy = signing || navigation.state === "submitting";
  const message = problem ?? (navigation.state === "idle" ? failure : undefined);
  return (
    <Form
      method="post"
      noValidate
      ref={formRef}
      onSubmit={onSubmit}
      aria-describedby={message ? "card-error" : undefined}
    >
      <FormMessage id="card-error" message={message} />
      <input type="hidden" name="challengeId" value={challenge.id} />
      <input type="hidden" name="signature" defaultValue="" />
      <input type="hidden" name="certificate" defaultValue="" />
      {Object.entries(hidden).map(([k, v]) => (
        <input key={k} type="hidden" name={k} value={v} />
      ))}
      <div className={`field${pinError ? " field-invalid" : ""}`}>
        <label htmlFor="card-pin">自然人憑證 PIN 碼</label>
        <p className="field-hint" id="card-pin-hint">
          PIN 碼只送到您電腦上的跨平台網頁元件，不會傳給入口網。
        </p>
        <input
          id="card-pin"
          type="password"
          autoComplete="off"
          value={pin}
          onChange={(e) => setPin(e.target.value)}
          maxLength={16}
          aria-invalid={pinError ? true : undefined}
          aria-describedby={pinError ? "card-pin-hint card-pin-error" : "card-pin-hint"}
          required
        />
        {pinError ? (
          <p className="field-error" id="card-pin-error">
            {pinError}
          </p>
        ) : null}
      </div>
      <noscript>
        <p className="field-hint">以憑證卡簽章需要啟用瀏覽器的 JavaScript。</p>
      </noscript>
      <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
        {busy ? busyLabel : submitLabel}
      </button>
      <p className="card-status" role="status">
        {signing ? "正在請跨平台網頁元件以憑證卡簽章…" : ""}
      </p>
    </Form>
  );
}
