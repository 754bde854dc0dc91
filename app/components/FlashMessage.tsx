import { useEffect, useState } from "react";
import type { Flash } from "~/utils/flash";

/**
 * Shows the message the last POST left (once). The live region is always in the page, so a
 * screen reader announces a message that arrives with a client-side navigation; errors use
 * role="alert" so they interrupt.
 */
export function FlashMessage({ flash }: { flash: Flash | null }) {
  const [shown, setShown] = useState(flash);
  useEffect(() => setShown(flash), [flash]);
  return (
    <div className="flash-region" role={shown?.kind === "error" ? "alert" : "status"}>
      {shown ? (
        <div className={`flash flash-${shown.kind}`}>
          <p>{shown.message}</p>
          <button type="button" className="btn btn-small btn-ghost" aria-label="關閉訊息" onClick={() => setShown(null)}>
            關閉
          </button>
        </div>
      ) : null}
    </div>
  );
}
