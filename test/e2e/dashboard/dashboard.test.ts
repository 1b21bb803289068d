/**
 * The web dashboard in a real browser (Debian's Chromium through playwright-core) against a real
 * server holding the scenario of scenario.ts: each page shows the right data, its charts draw,
 * the drift heat map opens a feature's distributions, and the rollback button on the front page
 * changes the live revision. With SLIPWAY_TOKEN set, the page asks for the token and keeps it in
 * sessionStorage only. With 200 models, 10,000 runs and a week of per-minute points, every page
 * loads in under a second (the figures go to test-output/dashboard-load-times.json).
 * A screenshot of each page lands in test-output/screenshots/.
 */
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSlipway, type Slipway } from '../../../src/index.js';
import { type RunningServer, startServer } from '../../../src/server/index.js';
import { tempHome } from '../../helpers/fixtures.js';
import {
  buildUi,
  haveChromium,
  inkOf,
  launchBrowser,
  medianLoad,
  newPage,
  PALETTE_RGB,
  screenshot,
} from './browser.js';
import { buildScenario, type Scenario } from './scenario.js';
import { buildVolume, type Volume } from './volume.js';

const skip = !haveChromium && !process.env.CI;
if (skip)
  console.warn(
    'dashboard browser tests skipped: no Chromium at /usr/bin/chromium (apt-get install chromium)',
  );

describe.skipIf(skip)('the dashboard on a scenario with drift', () => {
  let s: Scenario;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const url = (hash: string) => `${s.server.url}/#${hash}`;

  beforeAll(async () => {
    buildUi();
    [s, browser] = await Promise.all([buildScenario(), launchBrowser()]);
    ({ page, errors } = await newPage(browser));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('serves the built app at / with no outside resource, the API beside it', async () => {
    const res = await fetch(`${s.server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)![1];
    const js = await fetch(`${s.server.url}/${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    // Unknown paths keep the API's own 404.
    expect((await fetch(`${s.server.url}/nope`)).status).toBe(404);
  });

  it('front page: names the drifted deployment and offers its rollback', async () => {
    await page.goto(url('/'));
    const attention = page.getByTestId('attention-cancer-prod');
    await attention.waitFor();
    await expect(attention.textContent()).resolves.toMatch(/3\/30 features drifted/);
    const text = (await attention.textContent()) ?? '';
    for (const f of s.shifted) expect(text).toContain(f);
    expect(text).toContain('cancer:2');
    expect(text).toContain('cancer-drift');
    await expect(page.getByTestId('rollback-cancer-prod').textContent()).resolves.toBe(
      'Roll back to revision 1',
    );
    // The healthy one is listed, not flagged.
    await expect(page.getByTestId('deployment-row-digits-prod').textContent()).resolves.toContain('healthy');
    await expect(page.getByTestId('attention-digits-prod').count()).resolves.toBe(0);
    await screenshot(page, '01-overview');
  });

  it('models: every model with versions, aliases, placement; a model with signature, lineage and run', async () => {
    await page.goto(url('/models'));
    const table = page.getByTestId('models-table');
    await table.waitFor();
    await expect(page.getByTestId('models-count').textContent()).resolves.toBe('1–2 of 2 models');
    const cancerRow = table.locator('tr', { hasText: 'cancer' }).first();
    await expect(cancerRow.textContent()).resolves.toMatch(/@champion → v2.*cancer-prod · v2.*100%/);
    await screenshot(page, '02-models');

    await page.goto(url('/models/cancer'));
    const detail = page.getByTestId('version-detail');
    await detail.waitFor();
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain('cancer v2');
    expect(text).toContain('9d81b07c55e2'); // code version
    expect(text).toContain('breast_cancer_train.csv'); // training dataset
    expect(text).toContain('gbdt-38'); // the run behind v2, with its params and metrics
    expect(text).toContain('max_depth');
    expect(text).toMatch(/cancer-prod — revision 3, primary, 100%/);
    await expect(page.getByTestId('signature-inputs').textContent()).resolves.toMatch(
      /features.*FP32.*\[-1, 30\]/,
    );
    await expect(page.getByTestId('signature-outputs').textContent()).resolves.toMatch(
      /label.*INT64.*probabilities.*FP32/,
    );
    await expect(page.getByTestId('versions-table').textContent()).resolves.toMatch(
      /v1.*accuracy 0\.95.*mlp-39/,
    );
    await screenshot(page, '03-model');
  });

  it('deployment: live revision and split, figures per version, charts that draw, the timeline', async () => {
    await page.goto(url('/deployments/cancer-prod'));
    await page.getByTestId('live-revision').waitFor();
    await expect(page.getByTestId('live-revision').textContent()).resolves.toBe('3');
    await expect(page.getByTestId('live-description').textContent()).resolves.toBe('single: cancer:2');
    const status = page.getByTestId('live-status');
    await status.locator('tbody tr').first().waitFor();
    await expect(status.textContent()).resolves.toMatch(/cancer:2.*primary.*100%.*v2/);
    const history = page.getByTestId('revision-history');
    const items = await history.locator('li').allTextContents();
    expect(items).toHaveLength(3);
    expect(items[0]).toMatch(/revision 3.*promote.*by bo.*GBDT as good as the MLP/);
    expect(items[1]).toMatch(/revision 2.*canary.*cancer:1 70% · cancer:2 30%.*by ana.*try the GBDT/);
    expect(items[2]).toMatch(/revision 1.*create.*by ana.*first release/);
    // Both versions answered in the range: the charts draw each in its colour.
    const latency = page.getByTestId('chart-latency');
    await latency.locator('canvas').waitFor();
    await expect.poll(() => inkOf(latency, PALETTE_RGB[2])).toBeGreaterThan(20);
    await expect.poll(() => inkOf(latency, PALETTE_RGB[1])).toBeGreaterThan(20);
    await expect.poll(() => inkOf(page.getByTestId('chart-rate'), PALETTE_RGB[2])).toBeGreaterThan(20);
    await expect(page.getByTestId('promote').isDisabled()).resolves.toBe(true); // no candidate left
    await screenshot(page, '04-deployment');
  });

  it('monitoring: heat map features × windows, a click shows the distributions, quality vs baseline, alerts', async () => {
    await page.goto(url('/monitoring?deployment=cancer-prod'));
    const heatmap = page.getByTestId('drift-heatmap');
    await heatmap.waitFor();
    await expect(page.getByTestId('heatmap-version').textContent()).resolves.toBe('cancer:2');
    const cells = heatmap.locator('rect.heatmap-cell');
    const rows = await heatmap.locator('text.heatmap-label').allTextContents();
    expect(rows).toHaveLength(30);
    // Most drifted first: the three shifted features top the map.
    expect(rows.slice(0, 3).sort()).toEqual([...s.shifted].sort());
    const windows = (await cells.count()) / 30;
    expect(windows).toBeGreaterThanOrEqual(4);
    // Drift started with the shifted rows: the newest window of a shifted feature is red, its first is not.
    const first = heatmap.locator(`rect[data-feature="${s.shifted[0]}"][data-window="0"]`);
    const last = heatmap.locator(`rect[data-feature="${s.shifted[0]}"][data-window="${windows - 1}"]`);
    const red = (fill: string | null) => {
      const [r, g] = (fill ?? '').match(/\d+/g)!.map(Number);
      return r > 120 && g < 120 && r - g > 60;
    };
    expect(red(await last.getAttribute('fill'))).toBe(true);
    expect(red(await first.getAttribute('fill'))).toBe(false);

    // Where the drift started: the shifted features, drifting in every window since the shift.
    const summary = (await page.getByTestId('drift-summary').textContent()) ?? '';
    for (const f of s.shifted) expect(summary).toContain(f);
    expect(summary).toMatch(/in every window since/);

    await last.click();
    const dist = page.getByTestId('distribution');
    await dist.getByTestId('chart-distribution').locator('canvas').waitFor();
    await expect(dist.textContent()).resolves.toMatch(new RegExp(`${s.shifted[0]}.*drifted`));
    await expect(dist.textContent()).resolves.toMatch(/398 reference/);
    const chart = dist.getByTestId('chart-distribution');
    await expect.poll(() => inkOf(chart, PALETTE_RGB[6])).toBeGreaterThan(50); // reference bars
    await expect.poll(() => inkOf(chart, PALETTE_RGB[5])).toBeGreaterThan(50); // current bars

    const quality = page.getByTestId('quality-table');
    await quality.waitFor();
    await expect(quality.textContent()).resolves.toMatch(/accuracy.*0\.96/); // the baseline recorded at registration
    await expect(page.getByTestId('alert-history').textContent()).resolves.toMatch(/cancer-drift.*fired/);
    await expect.poll(() => inkOf(page.getByTestId('chart-latency'), PALETTE_RGB[2])).toBeGreaterThan(20);
    await screenshot(page, '05-monitoring');
  });

  it('experiments: the MLflow filter grammar, server-side sort, compare selected runs with their histories', async () => {
    await page.goto(url('/experiments'));
    await page.getByTestId('experiments-table').waitFor();
    await expect(page.getByTestId('experiments-table').textContent()).resolves.toMatch(/breast-cancer.*40/);
    await screenshot(page, '06-experiments');

    await page.goto(url(`/experiments/${s.runs.experimentId}`));
    const table = page.getByTestId('runs-table');
    await table.waitFor();
    await expect(table.locator('tbody tr').count()).resolves.toBe(40);
    await page.getByTestId('runs-filter').fill("metrics.accuracy >= 0.94 and params.model_type = 'gbdt'");
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => table.locator('tbody tr').count()).toBeLessThan(40);
    const expected = await s.slipway.tracking.searchRuns({
      experimentIds: [s.runs.experimentId],
      filter: "metrics.accuracy >= 0.94 and params.model_type = 'gbdt'",
      maxResults: 100,
      orderBy: [],
    });
    await expect.poll(() => table.locator('tbody tr').count()).toBe(expected.items.length);
    // Sort by accuracy (on the server): the first row has the highest.
    await table.getByRole('button', { name: 'accuracy' }).click();
    await expect.poll(() => page.url()).toContain('order=metrics');
    const best = Math.max(...expected.items.map((r) => r.metrics.find((m) => m.key === 'accuracy')!.value));
    await expect
      .poll(async () => table.locator('tbody tr').first().textContent())
      .toContain(String(Number(best.toPrecision(4))));
    await screenshot(page, '07-runs');

    const boxes = table.locator('tbody input[type=checkbox]');
    // The best and the worst of the filtered runs: their histories differ, so both lines show.
    await boxes.first().check();
    await boxes.last().check();
    await page.getByTestId('compare').click();
    const compare = page.getByTestId('compare-table');
    await compare.waitFor();
    await expect(compare.textContent()).resolves.toMatch(/learning_rate.*accuracy/);
    const charts = page.getByTestId('metric-charts');
    await charts.locator('canvas').first().waitFor();
    await expect
      .poll(() => inkOf(charts.locator('figure', { hasText: 'accuracy' }), PALETTE_RGB[0]))
      .toBeGreaterThan(20);
    await expect
      .poll(() => inkOf(charts.locator('figure', { hasText: 'accuracy' }), PALETTE_RGB[1]))
      .toBeGreaterThan(20);
    await screenshot(page, '08-compare');
  });

  it('batch jobs: status, progress, counts and provenance', async () => {
    await page.goto(url('/jobs'));
    const table = page.getByTestId('jobs-table');
    await table.waitFor();
    const rows = await table.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows.join('\n')).toMatch(/succeeded.*cancer:1.*holdout-dirty\.csv.*100%.*171.*170.*1/);
    await page.goto(url(`/jobs/${s.jobId}`));
    const detail = page.getByTestId('job-detail');
    await detail.waitFor();
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain('cancer@champion → cancer:2');
    expect(text).toContain('breast_cancer_holdout.csv');
    expect(text).toMatch(/171 read · 171 written · 0 rejected/);
    expect(text).toContain('slipway_version'); // provenance, written when the job finished
    await screenshot(page, '09-jobs');
  });

  it('rolls back from the front page after a confirmation, and the live revision changes', async () => {
    await page.goto(url('/'));
    await page.getByTestId('rollback-cancer-prod').click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.textContent()).resolves.toMatch(
      /Live now: revision 3.*back to revision 1.*single: cancer:1/,
    );
    await dialog.getByRole('textbox').fill('drift on area_error since the new rows');
    await screenshot(page, '10-rollback-confirm');
    // Cancel changes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await s.slipway.deployments.get('cancer-prod')).liveRevision).toBe(3);

    await page.getByTestId('rollback-cancer-prod').click();
    await page.getByRole('dialog').getByRole('textbox').fill('drift on area_error since the new rows');
    await page.getByRole('dialog').getByRole('button', { name: 'Roll back to revision 1' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    const live = await s.slipway.deployments.status('cancer-prod');
    expect(live.revision.revision).toBe(4);
    expect(live.revision.action).toBe('rollback');
    expect(live.revision.message).toBe('drift on area_error since the new rows');
    expect(live.targets.map((t) => `${t.model}→${t.version}`)).toEqual(['cancer:1→1']);
    // The server answers with the old version now.
    const res = await fetch(`${s.server.url}/v2/models/cancer-prod/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 30], data: new Array(30).fill(1) }],
      }),
    });
    expect(((await res.json()) as { model_version: string }).model_version).toBe('1');

    await page.goto(url('/deployments/cancer-prod'));
    await expect.poll(() => page.getByTestId('live-revision').textContent()).toBe('4');
    await expect(page.getByTestId('live-description').textContent()).resolves.toBe('single: cancer:1');
    await expect(page.getByTestId('revision-history').locator('li').first().textContent()).resolves.toMatch(
      /revision 4.*rollback.*drift on area_error/,
    );
    await screenshot(page, '11-after-rollback');
    expect(errors).toEqual([]);
  });
});

describe.skipIf(skip)('the dashboard behind SLIPWAY_TOKEN', () => {
  const token = 'a-long-dashboard-token';
  let slipway: Slipway;
  let server: RunningServer;
  let home: string;
  let browser: Browser;

  beforeAll(async () => {
    home = tempHome();
    slipway = await openSlipway({ home });
    [server, browser] = await Promise.all([
      startServer(slipway, { port: 0, host: '127.0.0.1', selection: [], token, monitoring: false }),
      launchBrowser(),
    ]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await slipway?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('asks for the token, sends it as a bearer token, keeps it in sessionStorage only', async () => {
    // The page itself is open; its data is not.
    expect((await fetch(`${server.url}/`)).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/dashboard/overview`)).status).toBe(401);

    const { page, errors } = await newPage(browser);
    const sent: (string | undefined)[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/dashboard/overview')) sent.push(r.headers().authorization);
    });
    await page.goto(`${server.url}/`);
    const prompt = page.getByRole('dialog');
    await expect(prompt.textContent()).resolves.toContain('needs a token');
    await screenshot(page, '12-token-prompt');

    await prompt.getByLabel('Token').fill('wrong');
    await prompt.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.getByRole('dialog').textContent()).toContain('refused the token');

    await page.getByRole('dialog').getByLabel('Token').fill(token);
    await page.getByRole('dialog').getByRole('button', { name: 'Continue' }).click();
    await page.locator('[data-ready=overview]').waitFor();
    expect(sent.at(-1)).toBe(`Bearer ${token}`);
    // A string: it runs in the page, whose globals this (Node) project does not type.
    const stored = await page.evaluate(
      "({ session: sessionStorage.getItem('slipway.token'), local: localStorage.length, cookie: document.cookie })",
    );
    expect(stored).toEqual({ session: token, local: 0, cookie: '' });
    // A new tab (a new session) asks again.
    const other = await browser.newContext();
    const second = await other.newPage();
    await second.goto(`${server.url}/`);
    await expect(second.getByRole('dialog').textContent()).resolves.toContain('needs a token');
    await other.close();
    expect(errors).toEqual([]);
  });
});

describe.skipIf(skip)('the dashboard with 200 models, 10,000 runs and a week of per-minute points', () => {
  let v: Volume;
  let browser: Browser;
  const times: Record<string, number> = {};

  beforeAll(async () => {
    buildUi();
    [v, browser] = await Promise.all([buildVolume(), launchBrowser()]);
  }, 120_000);

  afterAll(async () => {
    if (Object.keys(times).length > 0) {
      fs.mkdirSync('test-output', { recursive: true });
      fs.writeFileSync('test-output/dashboard-load-times.json', `${JSON.stringify(times, null, 2)}\n`);
      console.log('dashboard load times (ms, navigation to data on screen):', times);
    }
    await browser?.close();
    await v?.close();
  });

  it('loads every page in under a second (median of 3 loads)', async () => {
    const { page, errors } = await newPage(browser);
    const url = (hash: string) => `${v.server.url}/#${hash}`;
    // Warm the browser's cache of the app itself once, as a returning user has it.
    await page.goto(url('/jobs'));
    await page.getByTestId('page-jobs').waitFor();

    times.overview = await medianLoad(page, url('/'), '[data-ready=overview]');
    await expect(page.locator('.stat', { hasText: 'Models' }).textContent()).resolves.toContain('200');
    await expect(page.locator('.stat', { hasText: 'Runs' }).textContent()).resolves.toContain('10,000');

    times.models = await medianLoad(page, url('/models'), '[data-testid=models-table]');
    await expect(page.getByTestId('models-count').textContent()).resolves.toBe('1–50 of 200 models');
    times.models_page_4 = await medianLoad(page, url('/models?offset=150'), '[data-testid=models-table]');
    await expect(page.getByTestId('models-count').textContent()).resolves.toBe('151–200 of 200 models');
    await screenshot(page, '13-volume-models');

    times.model = await medianLoad(page, url('/models/fraud'), '[data-testid=version-detail]');

    times.runs = await medianLoad(
      page,
      url(`/experiments/${v.experimentId}`),
      '[data-testid=runs-table] tbody tr',
    );
    await expect(page.getByTestId('runs-range').textContent()).resolves.toContain('Runs 1–50');
    let started = performance.now();
    await page.getByTestId('runs-next').click();
    await expect.poll(() => page.getByTestId('runs-range').textContent()).toContain('Runs 51–100');
    times.runs_next_page = Math.round(performance.now() - started);
    const before = await page.getByTestId('runs-table').locator('tbody tr').first().textContent();
    started = performance.now();
    await page.getByTestId('runs-table').getByRole('button', { name: 'accuracy' }).click();
    await expect
      .poll(() => page.getByTestId('runs-table').locator('tbody tr').first().textContent())
      .not.toBe(before);
    times.runs_sorted_by_metric = Math.round(performance.now() - started);
    await expect(page.getByTestId('runs-table').locator('tbody tr').first().textContent()).resolves.toContain(
      '0.9998',
    );
    times.runs_filtered = await medianLoad(
      page,
      url(
        `/experiments/${v.experimentId}?filter=${encodeURIComponent("metrics.accuracy > 0.95 and params.max_depth = '4'")}`,
      ),
      '[data-testid=runs-table] tbody tr',
    );
    await screenshot(page, '14-volume-runs');

    // A week of per-minute traffic (aggregated to 2-hour points on the server) and 168 hourly
    // drift evaluations (48 columns), charts and heat map on screen.
    times.monitoring_week = await medianLoad(page, url('/monitoring?deployment=fraud-prod&since=7d'), [
      '[data-testid=drift-heatmap] rect.heatmap-cell',
      '[data-testid=chart-rate] canvas',
      '[data-testid=chart-latency] canvas',
    ]);
    await expect.poll(() => inkOf(page.getByTestId('chart-rate'), PALETTE_RGB[1])).toBeGreaterThan(100);
    expect(await page.getByTestId('drift-heatmap').locator('text.heatmap-label').count()).toBe(30);
    await screenshot(page, '15-volume-monitoring-week');

    times.deployment = await medianLoad(page, url('/deployments/fraud-prod'), [
      '[data-testid=live-revision]',
      '[data-testid=chart-rate] canvas',
    ]);
    started = performance.now();
    await page.getByRole('button', { name: '7d' }).click();
    await expect
      .poll(() => page.getByTestId('chart-rate').locator('figcaption').textContent())
      .toContain('120 min');
    await page.getByTestId('chart-rate').locator('canvas').waitFor();
    times.deployment_switch_to_week = Math.round(performance.now() - started);

    // The deepest page of runs, through the API the page uses (offset 9,950).
    let token: string | undefined;
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${v.server.url}/api/2.0/mlflow/runs/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          experiment_ids: [v.experimentId],
          max_results: i < 9 ? 1000 : 950,
          page_token: token,
        }),
      });
      token = ((await res.json()) as { next_page_token?: string }).next_page_token;
    }
    started = performance.now();
    const last = await fetch(`${v.server.url}/api/2.0/mlflow/runs/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ experiment_ids: [v.experimentId], max_results: 50, page_token: token }),
    });
    const body = (await last.json()) as { runs: unknown[] };
    times.api_runs_page_at_9950 = Math.round(performance.now() - started);
    expect(body.runs).toHaveLength(50);

    for (const [what, ms] of Object.entries(times)) expect(ms, what).toBeLessThan(1000);
    expect(errors).toEqual([]);
  });
});
