// Opens a matrix report in Debian's Chromium, headless, and says in JSON on
// stdout what a person would see (tests/matrix/test_matrix_browser.py).
//
//   NODE_PATH=adapters/chromium/node_modules node browser_check.cjs INDEX_HTML SHOT_DIR
//
// playwright-core is the one adapters/chromium pins (package-lock.json there).
// With JavaScript on: how long the page takes to open, the table, the
// "disagree" filter, a click on a failing cell and the detail it opens; then
// the same page with JavaScript off. Screenshots go to SHOT_DIR.

'use strict';

const { accessSync, constants, mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { chromium } = require('playwright-core');

function findChromium() {
  for (const c of [process.env.SSESPEC_CHROMIUM, '/usr/lib/chromium/chromium', '/usr/bin/chromium']) {
    if (!c) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  throw new Error('Chromium not found (apt-get install -y chromium)');
}

// The case rows of the matrices that are displayed, with their data-d.
function visibleRows(page) {
  return page.$$eval('table.m tr.case', (rows) => rows
    .filter((r) => r.offsetParent !== null)
    .map((r) => r.dataset.d));
}

async function withJs(browser, url, shots) {
  const out = {};
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'load' });
  out.open_ms = Date.now() - t0;
  out.nav = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return { domcontentloaded_ms: Math.round(n.domContentLoadedEventEnd), load_ms: Math.round(n.loadEventEnd) };
  });
  out.title = await page.title();
  out.tables = await page.$$eval('table.m', (ts) => ts.map((t) => t.getAttribute('aria-label')));
  out.summary_rows = await page.$$eval('#summary tbody tr', (rs) => rs.map((r) => r.innerText));
  out.filters_visible = await page.isVisible('#filters');
  const before = await visibleRows(page);
  await page.click('#f-dis');
  const after = await visibleRows(page);
  out.rows_before = before.length;
  out.agreeing_before = before.filter((d) => d === '0').length;
  out.rows_after = after.length;
  out.agreeing_after = after.filter((d) => d === '0').length;
  out.count_text = await page.textContent('#f-count');
  await page.locator('table.m').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'matrix-disagree.png') });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.click('#f-dis');
  // the rule filter: only one rule's rows stay
  const rules = await page.$$eval('#f-rule option', (os) => os.map((o) => o.value).filter(Boolean));
  await page.selectOption('#f-rule', rules[0]);
  out.rule_filter = { rule: rules[0], shown: await page.$$eval('table.m tbody.rule', (tbs) => tbs
    .filter((t) => t.offsetParent !== null).map((t) => t.dataset.rule)) };
  await page.selectOption('#f-rule', '');
  // keyboard: Tab reaches the filter, '/' focuses the case filter
  await page.keyboard.press('/');
  out.slash_focus = await page.evaluate(() => document.activeElement && document.activeElement.id);
  await page.keyboard.press('Escape');
  await page.screenshot({ path: join(shots, 'matrix-index.png') });
  await page.locator('table.m').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'matrix-table.png') });
  // a failing cell, clicked: its detail opens with its bytes
  const link = await page.$('table.m td.f a');
  out.cell_href = await link.getAttribute('href');
  await Promise.all([page.waitForURL((u) => u.hash.length > 1), link.click()]);
  out.detail_url = page.url();
  out.detail = await page.evaluate(() => {
    const id = decodeURIComponent(location.hash.slice(1));
    const el = document.getElementById(id);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { id, text: el.innerText, in_view: r.top >= -1 && r.top < window.innerHeight,
      targeted: el.matches(':target') };
  });
  await page.screenshot({ path: join(shots, 'matrix-detail.png') });
  await page.close();
  return out;
}

async function withoutJs(browser, url, shots) {
  const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1400, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(url, { waitUntil: 'load' });
  const out = {
    summary_rows: await page.$$eval('#summary tbody tr', (rs) => rs.map((r) => r.innerText)),
    summary_visible: await page.isVisible('#summary table'),
    case_rows_visible: (await visibleRows(page)).length,
    filters_visible: await page.isVisible('#filters'),
  };
  await page.screenshot({ path: join(shots, 'matrix-nojs.png') });
  await ctx.close();
  return out;
}

async function main() {
  const [index, shots] = process.argv.slice(2);
  const url = pathToFileURL(index).href;
  const home = mkdtempSync(join(tmpdir(), 'ssespec-matrix-browser-'));
  const browser = await chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: ['--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    env: { ...process.env, HOME: home },
    timeout: 60000,
  });
  try {
    const result = { js: await withJs(browser, url, shots), nojs: await withoutJs(browser, url, shots),
      chromium: browser.version() };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await browser.close();
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`browser_check: ${err.stack || err}\n`);
  process.exit(1);
});
