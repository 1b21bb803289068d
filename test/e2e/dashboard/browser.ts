/** A real browser for the dashboard tests: Debian's Chromium driven by playwright-core. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SLIPWAY_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve('test-output/screenshots');

/** Chromium is installed by .ci/run; elsewhere the browser tests say why they did not run. */
export const haveChromium = fs.existsSync(CHROMIUM);

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * Builds the dashboard from ui/ into dist/ui when the build is missing or older than a source, so
 * the test looks at the sources as they are (`npm test` has built it already: nothing to do, and
 * nothing rewritten under servers that other test files start meanwhile).
 */
export function buildUi(): void {
  const built = path.resolve('dist/ui/index.html');
  const newest = (dir: string): number =>
    Math.max(
      ...fs.readdirSync(dir, { withFileTypes: true }).map((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs;
      }),
    );
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newest(path.resolve('ui'))) return;
  execFileSync(
    process.execPath,
    [path.resolve('node_modules/vite/bin/vite.js'), 'build', 'ui', '--logLevel', 'warn'],
    {
      stdio: 'inherit',
    },
  );
}

/** A page that fails the test on any script error the app throws. */
export async function newPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Pixels of a chart's canvas close to a colour: proof that a series was drawn, not just axes
 * (which are grey). `rgb` is the series colour from ui/src/components/palette.ts.
 */
export async function inkOf(chart: Locator, rgb: [number, number, number]): Promise<number> {
  return chart
    .locator('canvas')
    .first()
    .evaluate((el, [r, g, b]) => {
      // Runs in the page: the DOM types are the browser's, not this (Node) project's.
      const canvas = el as unknown as {
        width: number;
        height: number;
        getContext(kind: '2d'): {
          getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
        };
      };
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (
          data[i + 3] > 0 &&
          Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 60
        )
          n++;
      }
      return n;
    }, rgb);
}

/** Palette colours (ui/src/components/palette.ts), by index: a version keeps its colour. */
export const PALETTE_RGB: [number, number, number][] = [
  [0, 114, 178],
  [230, 159, 0],
  [0, 158, 115],
  [204, 121, 167],
  [86, 180, 233],
  [213, 94, 0],
  [107, 107, 107],
  [240, 228, 66],
];

/**
 * Milliseconds from opening `url` (a fresh document: the app starts, then fetches) to `ready`
 * being visible: what a person waits for. The app's files come from the browser cache, as for
 * anyone who opened the dashboard before.
 */
export async function timeLoad(page: Page, url: string, ready: string | string[]): Promise<number> {
  await page.goto('about:blank');
  const started = performance.now();
  await page.goto(url);
  for (const r of Array.isArray(ready) ? ready : [ready])
    await page.locator(r).first().waitFor({ state: 'visible' });
  return Math.round(performance.now() - started);
}

/**
 * The median of `n` loads (see `timeLoad`): the figure a person sees, not one unlucky moment of a
 * machine whose two cores are shared with other test files.
 */
export async function medianLoad(page: Page, url: string, ready: string | string[], n = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push(await timeLoad(page, url, ready));
  return times.sort((a, b) => a - b)[Math.floor(n / 2)];
}
