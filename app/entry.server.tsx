import { PassThrough } from "node:stream";
import type { ActionFunctionArgs, AppLoadContext, EntryContext, LoaderFunctionArgs } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { isRouteErrorResponse, RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { errorFields } from "../bff/logger.js";
import { NonceContext } from "./utils/nonce";

const ABORT_DELAY = 5_000;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext.cspNonce;
  nameRoute(remixContext, loadContext, responseStatusCode);
  const waitForAll = isbot(request.headers.get("user-agent") ?? "");
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <NonceContext.Provider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
      </NonceContext.Provider>,
      {
        nonce,
        [waitForAll ? "onAllReady" : "onShellReady"]() {
          shellRendered = true;
          const body = new PassThrough();
          responseHeaders.set("Content-Type", "text/html; charset=utf-8");
          resolve(
            new Response(createReadableStreamFromReadable(body), {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          );
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // Before the shell, the error rejects the promise and reaches handleError below.
          if (shellRendered) logError(loadContext, request, "render failed", error);
        },
      },
    );
    setTimeout(abort, ABORT_DELAY);
  });
}

/**
 * The request's route for its log line and metrics (ADR 0029): the deepest matched route,
 * whether or not it has a loader. A path no route matches renders root's 404 boundary and
 * stays "unmatched".
 */
function nameRoute(remixContext: EntryContext, context: AppLoadContext, status: number) {
  const matches = remixContext.staticHandlerContext.matches;
  if (status === 404 && matches.length <= 1) return;
  const deepest = matches[matches.length - 1]?.route.id;
  if (deepest && context.requestInfo) context.requestInfo.route = deepest;
}

/**
 * Remix's hook for errors its own handling met (a render that threw before the shell, an
 * internal failure); loaders' and actions' errors are logged, with their route, by
 * bff/http/route-errors.ts. JSON with the request id, never Remix's plain console.error.
 */
export function handleError(error: unknown, { request, context }: LoaderFunctionArgs | ActionFunctionArgs) {
  if (request.signal.aborted) return; // the browser went away: nothing failed
  // Remix hands its own answers here too (no route matched: 404, no action: 405): the request
  // line already says so. A 5xx one carries the error it wraps.
  if (isRouteErrorResponse(error)) {
    if (error.status < 500) return;
    error = (error as { error?: unknown }).error ?? error.data;
  }
  logError(context, request, "request failed", error);
}

function logError(context: AppLoadContext, request: Request, msg: string, error: unknown) {
  const info = context.requestInfo;
  context.logger.error(msg, { requestId: info?.id, route: info?.route, method: request.method, ...errorFields(error) });
}
