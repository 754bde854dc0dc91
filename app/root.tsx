import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import {
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLoaderData,
  useRouteError,
} from "@remix-run/react";
import { type ReactNode, useEffect } from "react";
import { FlashMessage } from "./components/FlashMessage";
import { ServiceWorkerUpdate } from "./components/ServiceWorkerUpdate";
import styles from "./styles/app.css";
import { readFlash } from "./utils/flash.server";
import { useNonce } from "./utils/nonce";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: styles },
  { rel: "manifest", href: "/manifest.webmanifest" },
  { rel: "icon", href: "/icons/icon-192.png", type: "image/png" },
  { rel: "apple-touch-icon", href: "/icons/apple-touch-icon.png" },
];

export const meta: MetaFunction = () => [
  { title: "臺南市政府公務入口網" },
  { name: "description", content: "臺南市政府同仁的公務帳號、場地與公務車預約、線上報修及審核入口。" },
];

/** The one-time message a redirect-after-POST left, read once (flash.server.ts). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { flash, headers } = await readFlash(request, context);
  return json({ flash }, { headers });
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  // Effects run only once React has hydrated the page: browser tests wait for this mark
  // (tests/e2e/hydration.test.ts), so a page whose scripts fail is caught, not just slow.
  useEffect(() => {
    document.documentElement.dataset.hydrated = "true";
  }, []);
  return (
    <html lang="zh-Hant-TW">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
        <meta name="theme-color" content="#0b5394" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  const { flash } = useLoaderData<typeof loader>();
  return (
    <>
      <FlashMessage flash={flash} />
      <Outlet />
      <ServiceWorkerUpdate />
    </>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  // 503: the database is away (bff/http/db-unavailable.ts); its text says whether a post was lost.
  const title =
    status === 503
      ? "資料庫暫時無法連線，請稍後再試"
      : status === 404
        ? "找不到這個頁面"
        : status === 403
          ? "無法處理這個請求"
          : status === 413 // a body over its cap (bff/http/bounded-body.ts); the text names the cap
            ? "送出的資料太大"
            : status < 500
              ? "請求有誤"
              : "系統暫時發生問題";
  const detail =
    status === 404
      ? "您要找的資料不存在，或您沒有權限檢視。"
      : (status < 500 || status === 503) && isRouteErrorResponse(error) && typeof error.data === "string"
        ? error.data
        : "請稍後再試；若問題持續，請聯絡系統管理員。";
  const requestId = serverErrorId(error);
  return (
    <main className="error-page" id="main">
      <h1>{title}</h1>
      <p>{detail}</p>
      {requestId ? (
        <p className="error-code">
          錯誤代碼：<code>{requestId}</code>
          <br />
          聯絡系統管理員時，請提供這個代碼。
        </p>
      ) : null}
      <p>
        <Link to="/" className="btn">
          回首頁
        </Link>
      </p>
    </main>
  );
}

/**
 * The request id of a 500 (bff/http/route-errors.ts answers an unexpected error with only
 * `{ requestId }`): shown as 錯誤代碼 so support finds the log lines. Nothing else of the error
 * (its message, its stack) ever reaches the page. The id is checked against the shape of the
 * ids the server hands out before it is shown.
 */
function serverErrorId(error: unknown): string | undefined {
  if (!isRouteErrorResponse(error) || error.status !== 500) return undefined;
  const id = (error.data as { requestId?: unknown } | null)?.requestId;
  return typeof id === "string" && /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/.test(id) ? id : undefined;
}
