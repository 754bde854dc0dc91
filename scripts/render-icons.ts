/**
 * Renders the PWA icons in public/icons/ from public/icons/icon.svg with headless Chromium.
 *
 *   npx tsx scripts/render-icons.ts
 *
 * The PNGs are committed static assets: run this only after changing icon.svg. It needs
 * /usr/bin/chromium (or CHROMIUM_PATH) and no network.
 *
 * Variants:
 * - icon-192 / icon-512 ("any"): the SVG as drawn, rounded square on a transparent canvas.
 * - maskable-512: full-bleed background, glyph shrunk so it sits well inside the safe zone
 *   (the circle of radius 40% of the size in the middle), which is checked on the pixels.
 * - apple-touch-icon (180): full-bleed background, because iOS rounds the corners itself
 *   and fills transparent pixels with black.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Page } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const iconsDir = path.join(root, "public", "icons");

interface Variant {
  file: string;
  size: number;
  /** Full-bleed square background instead of the rounded one. */
  fullBleed: boolean;
  /** Scale of the glyph about the centre of the icon. */
  glyphScale: number;
  /** The glyph must stay inside the maskable safe zone. */
  maskable: boolean;
}

const variants: Variant[] = [
  { file: "icon-192.png", size: 192, fullBleed: false, glyphScale: 1, maskable: false },
  { file: "icon-512.png", size: 512, fullBleed: false, glyphScale: 1, maskable: false },
  { file: "maskable-512.png", size: 512, fullBleed: true, glyphScale: 0.86, maskable: true },
  { file: "apple-touch-icon.png", size: 180, fullBleed: true, glyphScale: 0.94, maskable: false },
];

async function render(page: Page, svg: string, v: Variant): Promise<Buffer> {
  await page.setViewportSize({ width: v.size, height: v.size });
  await page.setContent(
    `<!doctype html><html><head><style>html,body{margin:0;padding:0;background:transparent}svg{display:block}</style></head><body>${svg}</body></html>`,
  );
  await page.evaluate(
    ({ size, fullBleed, glyphScale }) => {
      const el = document.querySelector("svg");
      const bg = document.getElementById("background");
      const glyph = document.getElementById("glyph");
      if (!el || !bg || !glyph) throw new Error("icon.svg needs <svg>, #background and #glyph");
      el.setAttribute("width", String(size));
      el.setAttribute("height", String(size));
      if (fullBleed) bg.setAttribute("rx", "0");
      if (glyphScale !== 1) {
        const c = el.viewBox.baseVal.width / 2;
        glyph.setAttribute("transform", `translate(${c} ${c}) scale(${glyphScale}) translate(${-c} ${-c})`);
      }
    },
    { size: v.size, fullBleed: v.fullBleed, glyphScale: v.glyphScale },
  );
  return page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: v.size, height: v.size } });
}

/** Checks the rendered pixels: corners, and for maskable icons the safe zone. */
async function check(page: Page, png: Buffer, v: Variant): Promise<string[]> {
  return page.evaluate(
    async ({ dataUrl, size, fullBleed, maskable }) => {
      const img = new Image();
      img.src = dataUrl;
      await img.decode();
      const problems: string[] = [];
      if (img.naturalWidth !== size || img.naturalHeight !== size) {
        problems.push(`size is ${img.naturalWidth}x${img.naturalHeight}, expected ${size}x${size}`);
      }
      const canvas = document.createElement("canvas");
      canvas.width = size;
      canvas.height = size;
      const ctx = canvas.getContext("2d");
      if (!ctx) return ["no 2d context"];
      ctx.drawImage(img, 0, 0);
      const { data } = ctx.getImageData(0, 0, size, size);
      // (No helper functions in here: tsx's keepNames would wrap them in an undefined __name.)
      const corner = data[3] ?? 0;
      if (fullBleed && corner !== 255) problems.push(`corner alpha ${corner}, expected opaque`);
      if (!fullBleed && corner !== 0) problems.push(`corner alpha ${corner}, expected transparent`);
      if ((data[((size >> 1) * size + (size >> 1)) * 4 + 3] ?? 0) !== 255) problems.push("centre is not opaque");
      let glyphPixels = 0;
      let outside = 0;
      const c = (size - 1) / 2;
      const safe = size * 0.4;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const i = (y * size + x) * 4;
          // The background is #0b5394 (red 11): anything much redder is part of the white glyph.
          if ((data[i + 3] ?? 0) > 0 && (data[i] ?? 0) > 60) {
            glyphPixels++;
            if (Math.hypot(x - c, y - c) > safe) outside++;
          }
        }
      }
      if (glyphPixels === 0) problems.push("no glyph pixels");
      if (maskable && outside > 0) problems.push(`${outside} glyph pixels outside the safe zone`);
      return problems;
    },
    {
      dataUrl: `data:image/png;base64,${png.toString("base64")}`,
      size: v.size,
      fullBleed: v.fullBleed,
      maskable: v.maskable,
    },
  );
}

async function main() {
  const svg = await readFile(path.join(iconsDir, "icon.svg"), "utf8");
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  let failed = false;
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    for (const v of variants) {
      const png = await render(page, svg, v);
      const problems = await check(page, png, v);
      await writeFile(path.join(iconsDir, v.file), png);
      console.log(`${v.file.padEnd(22)} ${v.size}x${v.size}  ${(png.length / 1024).toFixed(1)} KiB`);
      for (const p of problems) console.error(`  ! ${p}`);
      if (problems.length > 0) failed = true;
    }
  } finally {
    await browser.close();
  }
  if (failed) {
    console.error("Icon checks failed.");
    process.exitCode = 1;
  }
}

await main();
