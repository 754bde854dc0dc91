import { useEffect, useState } from "react";

/**
 * Registers /sw.js with workbox-window and offers a reload when a new worker is waiting,
 * so nobody is moved to a new version in the middle of filling in a form.
 */
export function ServiceWorkerUpdate() {
  const [update, setUpdate] = useState<(() => void) | null>(null);

  useEffect(() => {
    if (!("serviceWorker" in navigator)) return;
    let cancelled = false;
    void import("workbox-window").then(({ Workbox }) => {
      if (cancelled) return;
      const wb = new Workbox("/sw.js");
      wb.addEventListener("waiting", () => {
        setUpdate(() => () => {
          wb.addEventListener("controlling", () => window.location.reload());
          wb.messageSkipWaiting();
        });
      });
      void wb.register();
    });
    return () => {
      cancelled = true;
    };
  }, []);

  if (!update) return null;
  return (
    <div className="update-banner" role="status">
      <span>有新版本可以使用。</span>
      <button type="button" className="btn btn-small" onClick={update}>
        立即更新
      </button>
    </div>
  );
}
