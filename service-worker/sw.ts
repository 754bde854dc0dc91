/// <reference lib="webworker" />
/**
 * The portal's service worker, bundled by service-worker/build.ts into public/sw.js.
 *
 * What it does, on purpose, and no more:
 * - precaches the static shell: Remix's fingerprinted /build assets, the offline page and
 *   its CSS, the web app manifest and the icons (the list is injected at build time);
 * - lets every page navigation go to the network and, only when that fails, answers with
 *   the precached /offline.html;
 * - never caches pages or API/loader data: they are per-user and may be sensitive, so a
 *   shared or signed-out device must not be able to show them offline.
 *
 * Updates: a new version waits until the page asks it to take over (workbox-window's
 * messageSkipWaiting(), see app/components/ServiceWorkerUpdate.tsx), so nobody is switched
 * to a new version while filling in a form.
 */
import { clientsClaim } from "workbox-core";
import {
  cleanupOutdatedCaches,
  precacheAndRoute,
  PrecacheFallbackPlugin,
  type PrecacheEntry,
} from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";
import { NetworkOnly } from "workbox-strategies";
import { registerPushHandlers, type SwScope } from "./push";

declare const self: ServiceWorkerGlobalScope & {
  /** Replaced by workbox-build's injectManifest with the list of files to precache. */
  __WB_MANIFEST: Array<PrecacheEntry | string>;
};

const OFFLINE_URL = "/offline.html";

// --- Lifecycle ------------------------------------------------------------------------

self.addEventListener("message", (event: ExtendableMessageEvent) => {
  const data: unknown = event.data;
  if (typeof data === "object" && data !== null && (data as { type?: unknown }).type === "SKIP_WAITING") {
    void self.skipWaiting();
  }
});

// Once active (first install, or after SKIP_WAITING), control the open pages at once.
clientsClaim();

self.addEventListener("activate", (event: ExtendableEvent) => {
  // Navigation preload starts the page request while the worker boots; NetworkOnly below
  // uses event.preloadResponse automatically.
  if (self.registration.navigationPreload) {
    event.waitUntil(self.registration.navigationPreload.enable());
  }
});

// --- Precache -------------------------------------------------------------------------

cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);

// --- Pages ----------------------------------------------------------------------------

// GET navigations only (form POSTs are not routed and go straight to the network).
registerRoute(
  new NavigationRoute(
    new NetworkOnly({
      plugins: [new PrecacheFallbackPlugin({ fallbackURL: OFFLINE_URL })],
    }),
  ),
);

// Everything else (loader/action data, /api, /healthz, files not precached) has no route,
// so the service worker does not answer it and the browser fetches it as usual.

// --- Push notifications ---------------------------------------------------------------

registerPushHandlers(self as unknown as SwScope);
