import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { chromiumArgs, chromiumPath } from "../helpers/chromium.js";
import { skipReason } from "../helpers/env.js";

/** Why browser tests cannot run here (no Chromium), or undefined. */
export const browserSkip = () =>
  skipReason(chromiumPath() ? undefined : "Chromium not found (apt-get install chromium)");

export const PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 800 };

/**
 * A persistent context: Chromium reports every page of a plain context as `in-incognito`
 * to the installability check (STACK.md).
 */
export async function phoneContext(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-chromium-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: chromiumPath()!,
    args: chromiumArgs,
    viewport: PHONE,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: "zh-TW",
    timezoneId: "Asia/Taipei",
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs axe-core in the page (through CDP, so the page's CSP does not block it). */
export async function axeViolations(page: Page): Promise<{ id: string; impact: string; nodes: number }[]> {
  const source = fs.readFileSync(path.resolve("node_modules/axe-core/axe.min.js"), "utf8");
  await page.evaluate(source);
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> };
      }
    ).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
}

/** axe's serious and critical findings: what the suite refuses. */
export async function seriousViolations(page: Page) {
  return (await axeViolations(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
}

export function screenshotPath(name: string): string {
  const dir = path.resolve("test-results");
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}

/** Collects the page's Content Security Policy refusals into `into` (a test expects none). */
export function collectCspErrors(page: Page, into: string[]): void {
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/.test(m.text())) into.push(m.text());
  });
}

/** A desktop-sized zh-TW page (admin consoles are desktop tables). */
export function desktopPage(browser: Browser): Promise<Page> {
  return browser.newPage({ viewport: DESKTOP, locale: "zh-TW", timezoneId: "Asia/Taipei" });
}

/** Fills the sign-in form on the current page (/login or an SSO interaction) and submits it. */
export async function submitSignIn(page: Page, a: { username: string; password: string }): Promise<void> {
  await page.getByLabel("帳號").fill(a.username);
  await page.getByLabel("密碼").fill(a.password);
  // Exact: with passkeys on (PUBLIC_ORIGIN set) the page also has 「使用通行金鑰登入」.
  await page.getByRole("button", { name: "登入", exact: true }).click();
}

/** Signs in through the real login page and waits for the home page. */
export async function signInThroughPage(
  page: Page,
  baseUrl: string,
  a: { username: string; password: string },
): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await submitSignIn(page, a);
  await page.waitForURL(`${baseUrl}/`);
}
