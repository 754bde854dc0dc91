import type { ServerBuild } from "@remix-run/node";

/** The stylesheet URLs the root route links (fingerprinted by the build). */
export function stylesheetsOf(build: ServerBuild): string[] {
  const links = build.routes.root?.module.links?.() ?? [];
  return links.flatMap((l) =>
    "rel" in l && l.rel === "stylesheet" && typeof (l as { href?: unknown }).href === "string"
      ? [(l as { href: string }).href]
      : [],
  );
}
