// The registry page in a real browser: in each language accessible
// (axe-core), within the Content-Security-Policy (no console errors),
// filtered by ticking a facet (applied at once with JavaScript, by the
// button without it), paged back and forth with "N–M of T", and a script
// typed into the search box shown as text.
import { Server, launch, axeCheck, shot, watchConsole, assert, run, LANGS } from './harness.mjs';

const srv = await new Server({ demo: true }).start();
const browser = await launch();
const title = { kk: 'Ақпараттандыру объектілері', ru: 'Объекты информатизации', en: 'Informatization objects' };

/** The number in "Records found: N". */
async function total(page) {
  const t = await page.textContent('#results-h');
  const m = t.match(/(\d+)\s*$/);
  assert(m, `no total in "${t}"`);
  return Number(m[1]);
}

const cases = [];
for (const lang of LANGS) {
  cases.push([`registry page in ${lang}: translated, accessible, no CSP or script errors  # REQ: X-I18N-01, REG-01`, async () => {
    const page = await browser.newPage();
    const problems = watchConsole(page);
    const r = await page.goto(`${srv.base}/${lang}/registry`);
    assert(r.status() === 200, `status ${r.status()}`);
    assert(await page.getAttribute('html', 'lang') === lang, 'html lang');
    const h1 = await page.textContent('h1');
    assert(h1.includes(title[lang]), `h1 is ${h1}`);
    assert(await page.locator('table.usa-table tbody tr').count() > 0, 'rows are listed');
    assert(await page.locator('fieldset.portal-facet').count() >= 4, 'facets are shown');
    assert(await total(page) > 0, 'a total');
    await axeCheck(page, `registry ${lang}`);
    await shot(page, `registry-${lang}`);
    assert(problems.length === 0, 'console: ' + problems.join('; '));
    await page.close();
  }]);
}

cases.push(['without JavaScript, ticking a facet and submitting filters the list; the counts agree  # REQ: REG-01', async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto(`${srv.base}/ru/registry`);
  const all = await total(page);
  // the first value of the stage facet, with its count
  const box = page.locator('input[name=filter][value^="stage:"]').first();
  const value = await box.getAttribute('value');
  const id = await box.getAttribute('id');
  const count = Number(await page.textContent(`label[for="${id}"] .portal-count`));
  assert(count > 0 && count <= all, `count ${count} of ${all}`);
  await page.check(`label[for="${id}"]`);
  await page.click('#registry-apply');
  await page.waitForURL(u => String(u).includes('filter='));
  const url = new URL(page.url());
  assert(url.pathname === '/ru/registry' && url.searchParams.getAll('filter').includes(value),
         `the filter is in the address: ${page.url()}`);
  assert(await total(page) === count, `the list holds the facet's count ${count}`);
  assert(await page.isChecked(`input[value="${value}"]`), 'the ticked box stays ticked');
  assert(await page.locator('table.usa-table tbody tr').count() === Math.min(count, 50), 'rows');
  // the selected filter can be removed by its link
  await page.click('.portal-active__item');
  assert(await total(page) === all, 'back to every object');
  await ctx.close();
}]);

cases.push(['with JavaScript, a ticked facet and a chosen sort apply at once; pages say N–M of T', async () => {
  const page = await browser.newPage();
  const problems = watchConsole(page);
  await page.goto(`${srv.base}/en/registry?limit=25`);
  const all = await total(page);
  assert(await page.textContent('#results-range') === `1–25 of ${all}`, 'the first range');
  const box = page.locator('input[name=filter][value^="status:"]').first();
  const value = await box.getAttribute('value');
  const id = await box.getAttribute('id');
  const count = Number(await page.textContent(`label[for="${id}"] .portal-count`));
  await Promise.all([page.waitForURL(u => String(u).includes('filter=')),
                     page.check(`label[for="${id}"]`)]);  // no button pressed
  assert(new URL(page.url()).searchParams.getAll('filter').includes(value), page.url());
  assert(await total(page) === count, `the list holds the facet's count ${count}`);
  await Promise.all([page.waitForURL(u => String(u).includes('sort=-name')),
                     page.selectOption('#registry-sort', '-name')]);
  assert(await page.isChecked(`input[value="${value}"]`), 'the filter stays');
  // the filter groups stand apart: a rule between them
  const border = await page.locator('fieldset.portal-facet').nth(1)
    .evaluate(e => getComputedStyle(e).borderTopStyle);
  assert(border === 'solid', `groups separated by a rule, not ${border}`);
  if (count > 25) {
    await Promise.all([page.waitForURL(u => String(u).includes('cursor=')), page.click('a[rel=next]')]);
    assert((await page.textContent('#results-range')).startsWith('26–'), 'the second range');
    await Promise.all([page.waitForURL(u => !String(u).includes('cursor=')), page.click('a[rel=prev]')]);
    assert(await page.textContent('#results-range') === `1–25 of ${count}`, 'back to the first');
  }
  assert(await page.locator('#csv-semicolon').getAttribute('href')
    .then(h => h.includes('sep=semicolon')), 'the semicolon CSV link');
  await axeCheck(page, 'registry filtered with JavaScript');
  assert(problems.length === 0, 'console: ' + problems.join('; '));
  await page.close();
}]);

cases.push(['without JavaScript, sorting and paging work through the form and links', async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto(`${srv.base}/en/registry`);
  await page.selectOption('#registry-limit', '25');
  await page.selectOption('#registry-sort', '-name');
  await page.click('#registry-apply');
  await page.waitForURL(u => String(u).includes('limit=25'));
  const ids = async () => (await page.locator('tbody th a').evaluateAll(
    as => as.map(a => a.getAttribute('href').split('/').pop())));
  const first = await ids();
  // the English page sorts names in the English alphabet: the API's order with lang=en
  const api = await (await fetch(`${srv.base}/api/v1/objects?sort=-name&limit=25&lang=en`)).json();
  assert(JSON.stringify(first) === JSON.stringify(api.items.map(i => i.id)),
         `the API's order: ${first} vs ${api.items.map(i => i.id)}`);
  assert(await page.locator('#registry-sort option[value="-name"]').evaluate(o => o.selected),
         'the sort stays chosen');
  await page.click('a[rel=next]');
  await page.waitForURL(u => String(u).includes('cursor='));
  const second = await ids();
  assert(second.length > 0 && !second.includes(first[0]), 'the next page holds other rows');
  await page.click('.usa-pagination__previous-page');
  assert((await ids())[0] === first[0], 'first page again');
  await ctx.close();
}]);

cases.push(['a script typed into the search box is shown as text', async () => {
  const page = await browser.newPage();
  const problems = watchConsole(page);
  let dialogs = 0;
  page.on('dialog', d => { dialogs++; d.dismiss(); });
  await page.goto(`${srv.base}/kk/registry`);
  const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  await page.fill('#registry-q', evil);
  await page.press('#registry-q', 'Enter');
  await page.waitForURL(u => String(u).includes('q='));
  assert(await page.inputValue('#registry-q') === evil, 'the words stay in the box as typed');
  assert(await page.locator('main img[src=x]').count() === 0, 'no element was injected');
  assert(dialogs === 0, 'no script ran');
  assert(problems.length === 0, 'console: ' + problems.join('; '));
  await page.close();
}]);

cases.push(['the CSV link downloads the list', async () => {
  const page = await browser.newPage();
  await page.goto(`${srv.base}/ru/registry?filter=status:registered`);
  const [download] = await Promise.all([page.waitForEvent('download'),
                                        page.click('a[href*="registry.csv"]')]);
  assert(/^registry-\d{4}-\d\d-\d\d\.csv$/.test(download.suggestedFilename()),
         download.suggestedFilename());
  await page.close();
}]);

cases.push(['on a phone the registry page fits the screen', async () => {
  const ctx = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const page = await ctx.newPage();
  await page.goto(`${srv.base}/ru/registry`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `wider than the screen by ${overflow}px`);
  await shot(page, 'registry-phone');
  await ctx.close();
}]);

await run(cases, async () => {
  await browser.close();
  await srv.stop();
});
