/**
 * Builds public/sw.js: bundles service-worker/sw.ts with esbuild, then lets workbox-build
 * inject the precache list (self.__WB_MANIFEST). Run after `remix build`:
 *
 *   tsx service-worker/build.ts        (part of `npm run build`)
 *
 * Needs no network. public/sw.js is a build artefact (gitignored).
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { injectManifest } from "workbox-build";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const publicDir = path.join(root, "public");
const swSrc = path.join(root, "service-worker", "sw.ts");
const swDest = path.join(publicDir, "sw.js");

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  if (!(await exists(path.join(publicDir, "build")))) {
    throw new Error("public/build/ does not exist: run `remix build` first.");
  }

  const tmpDir = await mkdtemp(path.join(tmpdir(), "portal-sw-"));
  const bundled = path.join(tmpDir, "sw.js");
  try {
    await build({
      entryPoints: [swSrc],
      outfile: bundled,
      bundle: true,
      format: "iife",
      platform: "browser",
      target: "es2020",
      minify: true,
      legalComments: "none",
      // Strips workbox's development logging and assertions.
      define: { "process.env.NODE_ENV": '"production"' },
      logLevel: "warning",
    });

    const { count, size, warnings } = await injectManifest({
      swSrc: bundled,
      swDest,
      globDirectory: publicDir,
      globPatterns: ["build/**/*.{js,css}", "offline.html", "offline.css", "manifest.webmanifest", "icons/*.png"],
      // Remix's assets carry a content hash in their names: no ?__WB_REVISION__ needed.
      dontCacheBustURLsMatching: /^build\//,
    });

    for (const w of warnings) console.warn(`warning: ${w}`);
    const swSize = (await stat(swDest)).size;
    console.log(
      `service worker: ${path.relative(root, swDest)} (${kib(swSize)}), precaching ${count} files, ${kib(size)}`,
    );
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (err) {
  console.error(`service worker build failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
