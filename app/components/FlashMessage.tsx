import { useLocation } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import type { Flash } from "~/utils/flash";

/**
 * Shows the message the last POST left (once). The live region is always in the page, so a
 * screen reader announces a message that arrives with a client-side navigation; errors use
 * role="alert" so they interrupt. A client-side navigation that does not reload the root's
 * data leaves the message behind: it belongs to the page it arrived with.
 */
export function FlashMessage({ flash }: { flash: Flash | null }) {
  const location = useLocation();
  const [shown, setShown] = useState(flash);
  const seen = useRef({ flash, key: location.key });
  useEffect(() => {
    if (flash !== seen.current.flash) setShown(flash);
    else if (location.key !== seen.current.key) setShown(null);
    seen.current = { flash, key: location.key };
  }, [flash, location.key]);
  return (
    <div className="flash-region" role={shown?.kind === "error" ? "alert" : "status"}>
      {shown ? (
        <div className={`flash flash-${shown.kind}`}>
          <p>{shown.message}</p>
          <button
            type="button"
            className="btn btn-small btn-ghost"
            aria-label="關閉訊息"
            onClick={() => setShown(null)}
          >
            關閉
          </button>
        </div>
      ) : null}
    </div>
  );
}
