// The checks every state gets: axe-core (no serious or critical violations), screenshots in light,
// dark and 360 px wide, and visible focus rings (>= 2 px outline, >= 3:1 contrast).

import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { expect, type Frame, type Locator, type Page, type TestInfo } from '@playwright/test';
import { DOCS_SHOTS_DIR, MOBILE, SHOTS_DIR } from './env';

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeResult {
  violations: {
    id: string;
    impact?: string | null;
    help: string;
    nodes: { target: string[]; any: { message?: string }[] }[];
  }[];
}
declare global {
  interface Window {
    axe?: { run: (context: Document, options: object) => Promise<AxeResult> };
  }
}

/** `assert(condition, message)`: a hard check reported by Playwright with its message. */
export function assert(condition: unknown, message: string): asserts condition {
  expect(Boolean(condition), message).toBe(true);
}

export async function shot(page: Page, name: string, { fullPage = false } = {}): Promise<void> {
  // Let transitions and focus rings settle so the picture shows the steady state.
  await page.waitForTimeout(250);
  await mkdir(SHOTS_DIR, { recursive: true });
  const path = `${SHOTS_DIR}${name}.png`;
  await page.screenshot({ path, fullPage });
  if (DOCS_SHOTS_DIR) {
    await mkdir(DOCS_SHOTS_DIR, { recursive: true });
    await copyFile(path, `${DOCS_SHOTS_DIR}${name}.png`);
  }
}

/** axe-core on the page (or a frame of it): no serious or critical violations. */
export async function axe(target: Page | Frame, label: string): Promise<void> {
  const loaded = await target.evaluate(() => typeof window.axe !== 'undefined');
  if (!loaded) await target.addScriptTag({ path: AXE_PATH });
  const violations = await target.evaluate(async () => {
    const result = await (window.axe as NonNullable<Window['axe']>).run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}) ${v.help}: ${v.nodes
            .slice(0, 3)
            .map((n) => `${n.target.join(' ')} [${(n.any[0]?.message ?? '').slice(0, 160)}]`)
            .join(' | ')}`,
      );
  });
  expect(violations, `axe on ${label}`).toEqual([]);
}

/**
 * A state the suite reached: axe in light and dark, and screenshots light, dark and 360 px wide.
 * `frame` (optional) is the frame to audit when the UI is embedded.
 */
export async function visit(page: Page, name: string, { frame = null as Frame | null | undefined, fullPage = false } = {}): Promise<void> {
  const target = frame ?? page;
  // No hover effects in the pictures or the contrast checks.
  await page.mouse.move(0, 0);
  await page.waitForTimeout(150);
  await shot(page, name, { fullPage });
  await axe(target, `${name} (light)`);
  await page.emulateMedia({ colorScheme: 'dark' });
  try {
    await shot(page, `${name}-dark`, { fullPage });
    await axe(target, `${name} (dark)`);
  } finally {
    await page.emulateMedia({ colorScheme: 'light' });
  }
  const size = page.viewportSize();
  await page.setViewportSize(MOBILE);
  try {
    await shot(page, `${name}-mobile-360`, { fullPage });
    await axe(target, `${name} (360 px)`);
  } finally {
    if (size) await page.setViewportSize(size);
  }
}

/** The focused element shows an outline of >= 2 px with >= 3:1 contrast against what surrounds it. */
export async function expectFocusVisible(page: Page, label: string): Promise<void> {
  const check = await page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { ok: false, why: 'nothing focused' };
    const style = getComputedStyle(el);
    const describe = el.outerHTML.slice(0, 90);
    const width = parseFloat(style.outlineWidth);
    if (style.outlineStyle === 'none' || !(width >= 2)) {
      return { ok: false, why: `no outline (${style.outlineStyle} ${style.outlineWidth}) on ${describe}` };
    }
    const parse = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    let background = [255, 255, 255];
    for (let node = el.parentElement; node; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg.length >= 3 && (bg[3] === undefined || bg[3] > 0.5)) {
        background = bg;
        break;
      }
    }
    const luminance = ([r = 0, g = 0, b = 0]: number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const [hi = 0, lo = 0] = [luminance(parse(style.outlineColor)), luminance(background)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    return { ok: ratio >= 3, why: `focus outline contrast ${ratio.toFixed(2)}:1 on ${describe}` };
  });
  assert(check.ok, `${label}: ${check.why}`);
}

export async function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate((el) => el === document.activeElement);
}

/** Presses Tab until `locator` has focus (at most `max` times), then checks the focus is visible. */
export async function tabTo(page: Page, locator: Locator, label: string, max = 60): Promise<number> {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    if (await locator.evaluate((el) => el === document.activeElement).catch(() => false)) {
      await expectFocusVisible(page, label);
      return i + 1;
    }
  }
  throw new Error(`${label}: not reached with ${max} Tabs`);
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 48);
}

/**
 * After a failed test: a full-page screenshot of the scenario's page, attached to the report and
 * written as e2e/screenshots/FAILED-{scenario}-{step}.png (the trace has the rest).
 */
export async function screenshotOnFailure(page: Page | undefined, testInfo: TestInfo): Promise<void> {
  if (testInfo.status === testInfo.expectedStatus || !page || page.isClosed()) return;
  const scenario = testInfo.titlePath.at(-2) ?? 'suite';
  await mkdir(SHOTS_DIR, { recursive: true });
  const path = `${SHOTS_DIR}FAILED-${slug(scenario)}-${slug(testInfo.title)}.png`;
  const saved = await page.screenshot({ path, fullPage: true }).then(
    () => true,
    () => false,
  );
  if (saved) await testInfo.attach('failure', { path, contentType: 'image/png' });
}
