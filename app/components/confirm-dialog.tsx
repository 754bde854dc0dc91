import { Form, Link, useLocation, useNavigate, useNavigation } from "@remix-run/react";
import { type RefObject, useEffect, useRef } from "react";

/** The query parameter that opens a confirmation: `?confirm=<name>`. */
export const CONFIRM_PARAM = "confirm";

interface Props {
  /** Unique on the page: `?confirm=<name>` opens this one (e.g. "rotate", "cancel-42"). */
  name: string;
  /** The button that asks first (「重新產生用戶端密鑰」). */
  label: string;
  /** What happens, named plainly (「舊密鑰將立即失效…」). */
  consequence: string;
  /** The dialog's heading; 「確定要{label}嗎？」 unless given. */
  title?: string;
  /** The button that does it; the label unless given. */
  confirmLabel?: string;
  /** Hidden fields posted with the confirmation (intent, id…). */
  fields: Record<string, string | number>;
  /** The trigger's look: a small button in table rows. */
  small?: boolean;
  /** The trigger's accessible name when the label alone is ambiguous (rows). */
  ariaLabel?: string;
}

/**
 * A destructive action that asks first (issue 17). Works without scripts: the trigger is a link
 * to `?confirm=<name>`, and the server renders the dialog open; 取消 links back. With scripts the
 * same dialog becomes modal (focus moves into it, Esc closes it like 取消). The form posts to the
 * page without `?confirm`, so the answer never reopens the dialog.
 */
export function ConfirmAction({ name, label, consequence, title, confirmLabel, fields, small, ariaLabel }: Props) {
  const location = useLocation();
  const sp = new URLSearchParams(location.search);
  const open = sp.get(CONFIRM_PARAM) === name;
  sp.delete(CONFIRM_PARAM);
  const rest = sp.toString();
  const closedHref = `${location.pathname}${rest ? `?${rest}` : ""}`;
  sp.set(CONFIRM_PARAM, name);
  const cls = `btn btn-danger${small ? " btn-small" : ""}`;
  return (
    <>
      <Link
        to={`${location.pathname}?${sp.toString()}`}
        className={cls}
        preventScrollReset
        aria-label={ariaLabel}
        aria-haspopup="dialog"
      >
        {label}
      </Link>
      {open ? (
        <ConfirmDialog
          name={name}
          title={title ?? `確定要${label}嗎？`}
          consequence={consequence}
          confirmLabel={confirmLabel ?? label}
          fields={fields}
          closedHref={closedHref}
        />
      ) : null}
    </>
  );
}

/**
 * A dialog the server rendered open (it works without scripts) becomes modal once scripts run:
 * focus moves into it (to `focus`, else its first control), and Esc leaves for `closedHref` like
 * its 取消 / 關閉 link.
 */
export function useModalDialog(ref: RefObject<HTMLDialogElement>, closedHref: string, focus?: RefObject<HTMLElement>) {
  const navigate = useNavigate();
  useEffect(() => {
    const d = ref.current;
    if (!d || typeof d.showModal !== "function") return;
    if (d.open) d.close();
    d.showModal();
    focus?.current?.focus();
    const onCancel = (e: Event) => {
      e.preventDefault();
      navigate(closedHref, { preventScrollReset: true, replace: true });
    };
    d.addEventListener("cancel", onCancel);
    return () => d.removeEventListener("cancel", onCancel);
  }, [ref, focus, closedHref, navigate]);
}

function ConfirmDialog(p: {
  name: string;
  title: string;
  consequence: string;
  confirmLabel: string;
  fields: Record<string, string | number>;
  closedHref: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLAnchorElement>(null);
  const busy = useNavigation().state !== "idle";
  const id = `confirm-${p.name}`;
  // 取消 first: Enter on an open dialog must not do the irreversible thing.
  useModalDialog(ref, p.closedHref, cancelRef);
  return (
    <dialog open ref={ref} className="confirm-dialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-text`}>
      <h2 id={`${id}-title`}>{p.title}</h2>
      <p id={`${id}-text`}>{p.consequence}</p>
      <Form method="post" action={p.closedHref} preventScrollReset className="dialog-actions">
        {Object.entries(p.fields).map(([k, v]) => (
          <input key={k} type="hidden" name={k} value={v} />
        ))}
        <Link to={p.closedHref} className="btn" preventScrollReset replace ref={cancelRef} autoFocus>
          取消
        </Link>
        <button type="submit" className="btn btn-danger" disabled={busy}>
          {p.confirmLabel}
        </button>
      </Form>
    </dialog>
  );
}
