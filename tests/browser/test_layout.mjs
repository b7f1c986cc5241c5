// The page frame in a real browser, measured rather than looked at: for
// every role of the rights file and at 390, 1366 and 1920 px, the header's
// items overlap neither the logo nor each other and its user menu says who
// is signed in and holds sign-out; the registry's table fits 1366 px; on a
// phone the results come before the collapsible filters, the rows stack
// into cards and the search button shows its icon and its name; the footer
// stays at the bottom of a short page; the relations picture keeps labels
// of at least 11 CSS pixels and its edges clear of the labels. One server,
// one browser; axe on every page measured. The README's screenshots (the
// card, the review screen, the registry on a phone) are renewed in
// docs/screenshots/ by a run with README_SHOTS=1.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Server, launch, axeCheck, shot, readmeShot, watchConsole, assert, run, SOURCE } from './harness.mjs';

const srv = await new Server({ demo: true }).start();
const browser = await launch();
const PASSWORD = 'Corr3ct-Horse-Battery';
const WIDTHS = [390, 1366, 1920];
const ORG = 'org-mdai'; /* an owner organisation of the demo with many objects */
const GRAPH_CARD = 'obj-dc-astana'; /* the demo's record with the most relations */
const rights = JSON.parse(readFileSync(path.join(SOURCE, 'model/rights-kz.json'), 'utf8'));
const ROLES = Object.keys(rights.roles);

async function signedIn(role, width) {
  const email = srv.user(role, ORG, PASSWORD);
  const ctx = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(`${srv.base}/ru/signin`);
  await page.fill('#signin-email', email);
  await page.fill('#signin-password', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
  return { ctx, page };
}

/** The visible header items' boxes: the logo, then every other visible
 * link, button and user menu of the header (not those inside the closed
 * user menu or a closed mobile drawer). */
function headerBoxes(page) {
  return page.evaluate(() => {
    const seen = el => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && el.closest('details:not([open]) > :not(summary)') === null;
    };
    const box = (el, name) => { const r = el.getBoundingClientRect(); return { name, x: r.left, y: r.top, w: r.width, h: r.height, inNav: !!el.closest('.usa-nav') }; };
    const header = document.querySelector('header');
    const logo = header.querySelector('.usa-logo a');
    const items = [...header.querySelectorAll('a, button, summary')]
      .filter(el => el !== logo && seen(el) && !el.closest('.usa-logo'))
      .map(el => box(el, (el.textContent || el.getAttribute('aria-label') || el.className).trim().replace(/\s+/g, ' ').slice(0, 40)));
    return { logo: box(logo, 'logo'), items, vw: window.innerWidth };
  });
}

function overlap(a, b) {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0.5 && h > 0.5;
}

const cases = [];
for (const role of ROLES) {
  cases.push([`${role}: the header's items overlap neither the logo nor each other at ${WIDTHS.join(', ')} px; the user menu says who, where and as what, and holds sign-out`, async () => {
    const { ctx, page } = await signedIn(role, WIDTHS[0]);
    const problems = watchConsole(page);
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${srv.base}/ru/registry`);
      const { logo, items, vw } = await headerBoxes(page);
      assert(items.length >= (width < 1024 ? 1 : 3), `${width}: header items ${JSON.stringify(items)}`);
      for (const it of items) {
        assert(!overlap(logo, it), `${width}: "${it.name}" ${JSON.stringify(it)} is drawn over the logo ${JSON.stringify(logo)}`);
        assert(it.x >= -0.5 && it.x + it.w <= vw + 0.5, `${width}: "${it.name}" leaves the screen`);
      }
      for (let i = 0; i < items.length; i++)
        for (let j = i + 1; j < items.length; j++)
          assert(!overlap(items[i], items[j]), `${width}: "${items[i].name}" overlaps "${items[j].name}"`);
      if (width < 1024) /* the menu behind the button */
        await page.click('.usa-menu-btn');
      const menu = page.locator('header details.portal-user');
      assert(await menu.count() === 1, `${width}: a user menu in the header`);
      await menu.locator('summary').click();
      const text = (await menu.innerText()).replace(/\s+/g, ' ');
      for (const want of ['Тестов Тест', 'Министерство цифрового развития', rights.roles[role].label.ru])
        assert(text.includes(want), `${width}: the user menu says "${want}": ${text}`);
      assert(await menu.locator('form[action="/ru/signout"] button').isVisible(), `${width}: sign-out inside the menu`);
      if (width < 1024) { /* the drawer, drawn over the page: its own items apart */
        const open = (await headerBoxes(page)).items.filter(it => it.inNav);
        for (let i = 0; i < open.length; i++)
          for (let j = i + 1; j < open.length; j++)
            assert(!overlap(open[i], open[j]), `${width}, menu open: "${open[i].name}" overlaps "${open[j].name}"`);
      }
      if (width === 1366) await axeCheck(page, `registry as ${role}`);
    }
    assert(problems.length === 0, 'console: ' + problems.join('; '));
    await ctx.close();
  }]);
}

cases.push(['admin in Kazakh and English (the longest menu words): the header\'s items overlap neither the logo nor each other at 1366 and 1920 px', async () => {
  const { ctx, page } = await signedIn('admin', 1366);
  for (const lang of ['kk', 'en'])
    for (const width of [1366, 1920]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${srv.base}/${lang}/registry`);
      const { logo, items } = await headerBoxes(page);
      for (const it of items)
        assert(!overlap(logo, it), `${lang} ${width}: "${it.name}" is drawn over the logo`);
      for (let i = 0; i < items.length; i++)
        for (let j = i + 1; j < items.length; j++)
          assert(!overlap(items[i], items[j]), `${lang} ${width}: "${items[i].name}" overlaps "${items[j].name}"`);
    }
  await ctx.close();
}]);

cases.push(['signing out from the user menu ends the session', async () => {
  const { ctx, page } = await signedIn('owner-editor', 1366);
  await page.locator('header details.portal-user summary').click();
  await Promise.all([page.waitForNavigation(), page.click('header form[action="/ru/signout"] button')]);
  await page.goto(`${srv.base}/ru/registry`);
  assert(await page.locator('header details.portal-user').count() === 0, 'no user menu after signing out');
  assert(await page.locator('header a[href="/ru/signin"]').count() === 1, 'the sign-in link instead');
  await ctx.close();
}]);

cases.push(['the registry at 1366 px: the table fits, nothing scrolls sideways', async () => {
  const { ctx, page } = await signedIn('admin', 1366);
  await page.goto(`${srv.base}/kk/registry?limit=50`);
  const m = await page.evaluate(() => {
    const c = document.querySelector('.portal-registry-table').parentElement;
    const t = document.querySelector('.portal-registry-table').getBoundingClientRect();
    return { scroll: c.scrollWidth, client: c.clientWidth, right: t.right, page: document.documentElement.scrollWidth, vw: window.innerWidth };
  });
  assert(m.scroll <= m.client + 1, `the table's box scrolls: ${m.scroll} > ${m.client}`);
  assert(m.right <= m.vw && m.page <= m.vw, `wider than the window: ${JSON.stringify(m)}`);
  await axeCheck(page, 'registry kk at 1366');
  await ctx.close();
}]);

for (const js of [true, false]) {
  cases.push([`the registry on a phone (390 px${js ? '' : ', no JavaScript'}): results first, filters folded, rows as cards, the search button with icon and name`, async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, javaScriptEnabled: js });
    const page = await ctx.newPage();
    await page.goto(`${srv.base}/ru/registry`);
    const filters = page.locator('details.portal-filters');
    assert(await filters.count() === 1, 'the filters in a <details>');
    /* sent open for the pages without JavaScript, which still have them after the results */
    if (js) assert(await filters.getAttribute('open') === null, 'folded on a phone');
    const order = await page.evaluate(() => {
      const top = s => document.querySelector(s).getBoundingClientRect().top;
      return { results: top('#results-h'), table: top('.portal-registry-table'), filters: top('details.portal-filters') };
    });
    assert(order.results < order.filters && order.table < order.filters, `results come first: ${JSON.stringify(order)}`);
    const row = await page.evaluate(() => {
      const cells = [...document.querySelectorAll('.portal-registry-table tbody tr:first-child > *')];
      const r = cells.map(c => c.getBoundingClientRect());
      return { tops: r.map(b => b.top), width: r[0].width, labels: cells.slice(1).map(c => getComputedStyle(c, '::before').content),
               overflow: document.documentElement.scrollWidth - window.innerWidth };
    });
    for (let i = 1; i < row.tops.length; i++)
      assert(row.tops[i] > row.tops[i - 1], `a row's cells stack: ${row.tops}`);
    assert(row.labels.every(l => l && l !== 'none' && l !== '""'), `each stacked cell says its column: ${row.labels}`);
    assert(row.overflow <= 0, `the page scrolls sideways by ${row.overflow}px`);
    const icon = page.locator('.usa-search button[type=submit] .usa-search__submit-icon');
    const name = page.locator('.usa-search button[type=submit] .usa-search__submit-text');
    assert(await icon.isVisible() && await name.isVisible(), 'the search button shows its icon and its name');
    assert((await name.innerText()).trim() === 'Найти', 'the search button is named');
    if (js) await filters.locator('summary').click();
    assert(await page.locator('details.portal-filters fieldset').first().isVisible(), 'the filters unfold');
    await filters.locator('summary').click();
    assert(!await page.locator('details.portal-filters fieldset').first().isVisible(), 'and fold again');
    if (js) await axeCheck(page, 'registry on a phone'); /* axe needs JavaScript */
    if (js) {
      await page.evaluate(() => window.scrollTo(0, 0));
      await readmeShot(page, 'registry-phone');
    }
    if (!js) { /* the main menu is reachable without the drawer's script */
      assert(await page.locator('header nav .usa-nav__primary a[href="/ru/registry"]').isVisible(), 'the menu without JavaScript');
    }
    await ctx.close();
  }]);
}

cases.push(['the footer stays at the bottom of a short page at every width', async () => {
  for (const width of WIDTHS) {
    const ctx = await browser.newContext({ viewport: { width, height: 1400 } });
    const page = await ctx.newPage();
    await page.goto(`${srv.base}/en/no-such-page`);
    const m = await page.evaluate(() => ({ bottom: document.querySelector('footer').getBoundingClientRect().bottom,
                                          doc: document.documentElement.scrollHeight, vh: window.innerHeight }));
    assert(m.doc <= m.vh, `the page is short: ${JSON.stringify(m)}`);
    assert(Math.abs(m.bottom - m.vh) <= 1, `${width}: the footer ends at ${m.bottom}, the window at ${m.vh}`);
    await ctx.close();
  }
}]);

cases.push([`the relations picture: labels of at least 11 CSS pixels at every width, edges clear of the labels`, async () => {
  for (const width of WIDTHS) {
    const ctx = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(`${srv.base}/ru/objects/${GRAPH_CARD}`);
    const m = await page.evaluate(() => {
      const svg = document.querySelector('.portal-card-graph svg');
      const texts = [...svg.querySelectorAll('text')];
      /* a label's size in CSS pixels: its font size times the scale the
       * picture is drawn at (its viewBox to its box, and its transforms) */
      const sizes = texts.map(t => parseFloat(t.getAttribute('font-size')) * t.getScreenCTM().a);
      /* every edge's path sampled; no sample inside another element's label */
      const boxes = texts.map(t => ({ g: t.closest('g.node, g.edge'), b: t.getBBox() }));
      const crossings = [];
      for (const e of svg.querySelectorAll('g.edge')) {
        const p = e.querySelector('path');
        const len = p.getTotalLength();
        for (let s = 0; s <= len; s += 2) {
          const pt = p.getPointAtLength(s);
          for (const { g, b } of boxes)
            if (g !== e && pt.x > b.x + 1 && pt.x < b.x + b.width - 1 && pt.y > b.y + 1 && pt.y < b.y + b.height - 1)
              crossings.push(`${e.querySelector('title').textContent} through "${g.querySelector('text').textContent}"`);
        }
      }
      return { min: Math.min(...sizes), n: texts.length, crossings: [...new Set(crossings)],
               overflow: document.documentElement.scrollWidth - window.innerWidth };
    });
    assert(m.n > 10, `labels in the picture: ${m.n}`);
    assert(m.min >= 11, `${width}: the smallest label is ${m.min.toFixed(1)} CSS px`);
    assert(m.crossings.length === 0, `${width}: edges through labels: ${m.crossings.slice(0, 5).join('; ')}`);
    assert(m.overflow <= 0, `${width}: the page scrolls sideways by ${m.overflow}px (the picture scrolls in its own box)`);
    await axeCheck(page, `card with its picture at ${width} px`); /* scrolling in its box at 390 */
    await ctx.close();
  }
}]);

cases.push(['the dashboards\' charts keep labels of at least 11 CSS pixels at every width; the page does not scroll sideways', async () => {
  const ctx = await browser.newContext({ viewport: { width: WIDTHS[0], height: 900 } });
  const page = await ctx.newPage();
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${srv.base}/kk/dashboards`);
    const m = await page.evaluate(() => ({
      min: Math.min(...[...document.querySelectorAll('svg.portal-chart text')].map(t =>
        parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)),
      overflow: document.documentElement.scrollWidth - window.innerWidth }));
    assert(m.min >= 11, `${width}: the smallest chart label is ${m.min.toFixed(1)} CSS px`);
    assert(m.overflow <= 0, `${width}: the page scrolls sideways by ${m.overflow}px`);
    if (width === 390) await axeCheck(page, 'dashboards on a phone');
  }
  await ctx.close();
}]);

cases.push(['the README\'s card and review screen (1366 px, as the integrator\'s verifier)', async () => {
  const { ctx, page } = await signedIn('integrator-verifier', 1366);
  await page.setViewportSize({ width: 1366, height: 1000 });
  await page.goto(`${srv.base}/ru/objects/obj-egov-portal`);
  assert(await page.locator('h1').count() === 1, 'the card');
  await readmeShot(page, 'card');
  await page.goto(`${srv.base}/ru/objects/obj-isna/verify`);
  assert((await page.locator('h1').innerText()).length > 0, 'the review screen');
  await axeCheck(page, 'review screen');
  await readmeShot(page, 'review');
  await ctx.close();
}]);

await run(cases, async () => {
  await browser.close();
  await srv.stop();
});
