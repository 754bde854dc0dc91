import { useFetcher } from "@remix-run/react";
import { useEffect, useState } from "react";

type Support = "checking" | "ok" | "ios-needs-install" | "unsupported" | "denied";

function deviceLabel(): string {
  const ua = navigator.userAgent;
  const os = /iPhone|iPad/.test(ua)
    ? "iOS"
    : /Android/.test(ua)
      ? "Android"
      : /Windows/.test(ua)
        ? "Windows"
        : /Mac OS X/.test(ua)
          ? "macOS"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Chrome\//.test(ua)
      ? "Chrome"
      : /Firefox\//.test(ua)
        ? "Firefox"
        : /Safari\//.test(ua)
          ? "Safari"
          : "瀏覽器";
  return [os, browser].filter(Boolean).join(" · ");
}

/**
 * Turns notifications on for this device. Permission is asked only after the tap (browsers
 * block, and users distrust, a prompt on page load). On iOS, web push reaches only apps
 * added to the home screen, so we say that first.
 */
export function PushSettings({ publicKey }: { publicKey: string }) {
  const fetcher = useFetcher<{ ok: boolean; message: string }>();
  const [support, setSupport] = useState<Support>("checking");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  useEffect(() => {
    const ios = /iPhone|iPad|iPod/.test(navigator.userAgent);
    const standalone =
      window.matchMedia("(display-mode: standalone)").matches ||
      (navigator as { standalone?: boolean }).standalone === true;
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      setSupport(ios && !standalone ? "ios-needs-install" : "unsupported");
    } else if (Notification.permission === "denied") setSupport("denied");
    else setSupport("ok");
  }, []);

  // A subscription the server refused (its push service is not one we send to) is useless
  // on this device: drop it, so the browser does not keep a channel nobody will use.
  useEffect(() => {
    if (fetcher.state !== "idle" || fetcher.data?.ok !== false) return;
    void navigator.serviceWorker.ready
      .then((registration) => registration.pushManager.getSubscription())
      .then((subscription) => subscription?.unsubscribe())
      .catch(() => undefined);
  }, [fetcher.state, fetcher.data]);

  async function enable() {
    setBusy(true);
    setError("");
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        setSupport(permission === "denied" ? "denied" : "ok");
        return;
      }
      const registration = await navigator.serviceWorker.ready;
      const subscription =
        (await registration.pushManager.getSubscription()) ??
        (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey }));
      fetcher.submit({ intent: "subscribe", subscription: subscription.toJSON(), label: deviceLabel() } as never, {
        method: "post",
        encType: "application/json",
      });
    } catch {
      setError("無法在這個裝置開啟通知，請確認瀏覽器設定後再試一次。");
    } finally {
      setBusy(false);
    }
  }

  if (support === "checking") return null;
  if (support === "ios-needs-install") {
    return (
      <p className="alert alert-info">
        iPhone 與 iPad 需先將本網站「加入主畫面」，再從主畫面開啟公務入口網，才能接收通知。
      </p>
    );
  }
  if (support === "unsupported") return <p className="alert alert-info">這個瀏覽器不支援推播通知。</p>;
  if (support === "denied")
    return <p className="alert alert-info">您已封鎖本網站的通知。請在瀏覽器的網站設定中允許通知後，重新整理本頁。</p>;
  return (
    <div>
      <button
        type="button"
        className="btn btn-primary"
        onClick={() => void enable()}
        disabled={busy || fetcher.state !== "idle"}
      >
        {busy ? "設定中…" : "在這個裝置開啟通知"}
      </button>
      <p aria-live="polite" className={error ? "field-error" : "muted"}>
        {error || fetcher.data?.message || ""}
      </p>
    </div>
  );
}
