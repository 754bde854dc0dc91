/**
 * A signed-in user over plain HTTP, for integration tests that drive the real server the way a
 * browser without JavaScript would: the /login form, then requests carrying the session cookie.
 * Redirects are never followed, so tests can assert on the 302 and its Location.
 */

export interface Credentials {
  username: string;
  password: string;
}

/** Posts the /login form and returns the session cookie as "name=value", ready for a Cookie header. */
export async function signInOverHttp(baseUrl: string, a: Credentials): Promise<string> {
  const res = await postAs(
    baseUrl,
    undefined,
    "/login",
    new URLSearchParams({ username: a.username, password: a.password, redirectTo: "/" }),
  );
  return (res.headers.get("set-cookie") ?? "").split(";")[0]!;
}

/** GET as the holder of `cookie` (signed out when undefined). */
export function getAs(baseUrl: string, cookie: string | undefined, path: string): Promise<Response> {
  return fetch(`${baseUrl}${path}`, { headers: cookie ? { Cookie: cookie } : {}, redirect: "manual" });
}

/** POST a form as the holder of `cookie`, with the same-origin Origin header the CSRF check wants. */
export function postAs(
  baseUrl: string,
  cookie: string | undefined,
  path: string,
  body: URLSearchParams | FormData,
): Promise<Response> {
  // FormData sets its own multipart boundary; a URL-encoded form is sent as its string.
  const form = body instanceof URLSearchParams;
  return fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: {
      ...(cookie ? { Cookie: cookie } : {}),
      Origin: baseUrl,
      ...(form ? { "Content-Type": "application/x-www-form-urlencoded" } : {}),
    },
    body: form ? body.toString() : body,
    redirect: "manual",
  });
}

/**
 * POST a form as a Remix data request (`?_data=<route id>`): what a hydrated page's <Form>
 * sends. The whole HTTP edge runs (Express, the Origin check, routing, the session cookie, the
 * route's action) but neither the loaders nor the page render, so it costs a tenth of a
 * document POST: for generated-input tests of hundreds of requests. The answer is the
 * action's JSON with its status, a thrown Response (404 …) marked X-Remix-Catch, a redirect
 * as 204 with X-Remix-Redirect, or a 500 marked X-Remix-Error.
 */
export function postData(
  baseUrl: string,
  cookie: string | undefined,
  path: string,
  routeId: string,
  body: URLSearchParams | string,
): Promise<Response> {
  const sep = path.includes("?") ? "&" : "?";
  return fetch(`${baseUrl}${path}${sep}_data=${encodeURIComponent(routeId)}`, {
    method: "POST",
    headers: {
      ...(cookie ? { Cookie: cookie } : {}),
      Origin: baseUrl,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: body.toString(),
    redirect: "manual",
  });
}

/** The Location a data request's answer sends the browser to (X-Remix-Redirect), or a document's. */
export const redirectOf = (res: Response) => res.headers.get("x-remix-redirect") ?? res.headers.get("location");

/**
 * The one-time message a redirect-with-flash answer carries (its signed portal_flash cookie),
 * or null; `secret` is the container's cookieSecret.
 */
export async function flashOf(res: Response, secret: string): Promise<{ kind: string; message: string } | null> {
  const { createCookie } = await import("@remix-run/node");
  const header = res.headers.getSetCookie().find((h) => h.startsWith("portal_flash="));
  if (!header) return null;
  return (await createCookie("portal_flash", { secrets: [secret] }).parse(header.split(";")[0]!)) as {
    kind: string;
    message: string;
  } | null;
}
