import type { AppLoadContext, ServerBuild } from "@remix-run/node";

/** A route module's loader or action, as the wrappers here see it. */
export type RouteHandler = (args: { request: globalThis.Request; context: AppLoadContext }) => Promise<unknown>;

/**
 * The build with every route's loader and action replaced by `wrap(handler, routeId, kind)`.
 * One place for the walk over the build, so each concern (database outages, error logging)
 * only says what it does around a handler.
 */
export function wrapRouteHandlers(
  build: ServerBuild,
  wrap: (fn: RouteHandler, routeId: string, kind: "loader" | "action") => RouteHandler,
): ServerBuild {
  const routes = Object.fromEntries(
    Object.entries(build.routes).map(([id, route]) => {
      const module = { ...route.module };
      if (module.loader) module.loader = wrap(module.loader as RouteHandler, id, "loader") as typeof module.loader;
      if (module.action) module.action = wrap(module.action as RouteHandler, id, "action") as typeof module.action;
      return [id, { ...route, module }];
    }),
  );
  return { ...build, routes };
}
