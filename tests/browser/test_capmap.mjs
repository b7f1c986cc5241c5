// The architecture's pages in a real browser (issue 15): the capability map
// in kk, ru and en (axe), its measure switched with JavaScript (the select
// applies itself) and without (the Show button), its difference view (axe), on a phone (tiles wrap,
// nothing wider than the screen), a matrix; the trace page in kk, ru and en
// (axe); a data type's inherited attributes on its card (axe).
import { Server, launch, axeCheck, shot, watchConsole, assert, run, LANGS } from './harness.mjs';

const srv = await new Server({ demo: true }).start();
const browser = await launch();
const PASSWORD = 'Corr3ct-Horse-Battery';
const admin = srv.user('admin', undefined, PASSWORD);
const MEASURE = { kk: 'Оның жүйелерінің өмірлік цикл кезеңдері', ru: 'Этапы жизненного цикла её систем',
                  en: 'Life-cycle stages of its systems' };

/** A browser context signed in as the admin (the architecture is for
 * signed-in users); its CSRF token for API writes. */
async function signedIn(options = {}) {
  const ctx = await browser.newContext(options);
  const r = await ctx.request.post(`${srv.base}/api/v1/session`, { data: { email: admin, password: PASSWORD } });
  assert(r.ok(), `sign-in: ${r.status()} ${await r.text()}`);
  return { ctx, csrf: (await r.json()).csrf_token };
}

const { ctx, csrf } = await signedIn();
const cases = [];

for (const lang of LANGS) {
  cases.push([`the capability map in ${lang}: tiles, legend, table, accessible  # REQ: ARC-03`, async () => {
    const page = await ctx.newPage();
    const problems = watchConsole(page);
    const r = await page.goto(`${srv.base}/${lang}/capabilities/map?measure=stages`);
    assert(r.status() === 200, `status ${r.status()}`);
    assert(await page.getAttribute('html', 'lang') === lang, 'html lang');
    assert(await page.locator('#map-measure option:checked').textContent() === MEASURE[lang], 'measure chosen');
    const roots = await page.locator('.portal-map__root').count();
    assert(roots >= 4, `top-level tiles: ${roots}`);
    assert(await page.locator('.portal-map__root .portal-map__tiles .portal-map__tiles > li').count() >= 1,
           'a third level');
    assert(await page.locator('.portal-map-legend li').count() === 6, 'five steps and "no systems"');
    // the table: one row per tile, with a share per stage group
    const rows = await page.locator('#map-table tbody tr').count();
    assert(rows === await page.locator('.portal-map li[class*="portal-heat-"]').count(), `table rows ${rows}`);
    assert(await page.locator('#map-table thead th').count() === 4 + 3, 'stage columns');
    await axeCheck(page, `capability map ${lang}`);
    await shot(page, `capmap-${lang}`);
    assert(problems.length === 0, 'console: ' + problems.join('; '));
    await page.close();
  }]);
}

cases.push(['the measure switches as it is chosen with JavaScript, and with the button without it', async () => {
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await page.goto(`${srv.base}/en/capabilities/map`);
  assert(await page.locator('#map-measure').inputValue() === 'systems', 'the first measure by default');
  await Promise.all([page.waitForURL(u => String(u).includes('measure=completeness')),
                     page.selectOption('#map-measure', 'completeness')]);
  assert(await page.locator('#map-legend-h').textContent() === "Completeness of its systems' records", 'legend heading');
  // the difference (REQ ARC-12): each tile says its change in words, the
  // legend lists the changes, accessible
  await Promise.all([page.waitForURL(u => String(u).includes('view=difference')),
                     page.selectOption('#map-view', 'difference')]);
  const tiles = await page.locator('.portal-map li[class*="portal-heat-"]').count();
  assert(tiles > 0 && await page.locator('.portal-map .portal-map__change').count() === tiles, `marks of ${tiles} tiles`);
  assert(await page.locator('#map-changes li').count() === 5, 'kept and the four changes');
  assert((await page.locator('.portal-map__value').first().textContent()).includes('→'), 'before → after');
  await axeCheck(page, 'capability map, the difference');
  assert(problems.length === 0, 'console: ' + problems.join('; '));
  await page.close();
  const plain = await signedIn({ javaScriptEnabled: false });
  const p2 = await plain.ctx.newPage();
  await p2.goto(`${srv.base}/ru/capabilities/map`);
  await p2.selectOption('#map-measure', 'stages');
  await p2.selectOption('#map-filter', 'dom-social');
  await Promise.all([p2.waitForURL(u => String(u).includes('measure=stages')), p2.click('#map-apply')]);
  assert(new URL(p2.url()).searchParams.get('domain') === 'dom-social', p2.url());
  const names = await p2.locator('.portal-map__root > .portal-map__name').allTextContents();
  assert(names.length === 1 && names[0] === 'Социальное обеспечение', `one domain: ${names}`);
  await plain.ctx.close();
}]);

cases.push(['on a phone the tiles wrap and nothing is wider than the screen; the matrix  # REQ: ARC-03', async () => {
  const phone = await signedIn({ viewport: { width: 390, height: 844 } });
  const page = await phone.ctx.newPage();
  await page.goto(`${srv.base}/kk/capabilities/map`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `wider than the screen by ${overflow}px`);
  const boxes = await page.locator('.portal-map__root').evaluateAll(els => els.map(e => {
    const b = e.getBoundingClientRect();
    return [b.left, b.right];
  }));
  assert(boxes.every(([l, r]) => l >= 0 && r <= 390), `tiles within the screen: ${JSON.stringify(boxes)}`);
  await axeCheck(page, 'capability map on a phone');
  await shot(page, 'capmap-phone');
  // a matrix: a table with its caption and headers, on the phone too
  const r = await page.goto(`${srv.base}/kk/functions/matrix/systems`);
  assert(r.status() === 200, `matrix ${r.status()}`);
  assert(await page.locator('table caption').count() === 1, 'caption');
  assert(await page.locator('thead th[scope="col"]').count() >= 3, 'column headers');
  assert(await page.locator('tbody th[scope="row"]').count() >= 5, 'row headers');
  await axeCheck(page, 'function x system matrix');
  await phone.ctx.close();
}]);

for (const lang of LANGS) {
  cases.push([`the trace page in ${lang}: both directions, accessible  # REQ: X-I18N-01`, async () => {
    const page = await ctx.newPage();
    const problems = watchConsole(page);
    const r = await page.goto(`${srv.base}/${lang}/objects/obj-eis-sts/trace`);
    assert(r.status() === 200, `status ${r.status()}`);
    assert(await page.getAttribute('html', 'lang') === lang, 'html lang');
    assert(await page.locator('#leads-to li').count() >= 1, 'what it leads to');
    assert(await page.locator('#comes-from').count() === 1, 'what it comes from');
    assert(await page.locator('#leads-to a[href$="/svc-pension-age"]').count() === 1, 'an automated service');
    await axeCheck(page, `trace ${lang}`);
    assert(problems.length === 0, 'console: ' + problems.join('; '));
    await page.close();
  }]);
}

cases.push(["a data type's card shows its base's attributes with a link to the base  # REQ: ARC-06", async () => {
  async function create(body) {
    const r = await ctx.request.post(`${srv.base}/api/v1/master_data`,
                                     { headers: { 'X-CSRF-Token': csrf }, data: body });
    assert(r.ok(), `create: ${r.status()} ${await r.text()}`);
    return (await r.json()).id;
  }
  const subject = await create({ kind: 'data_subject', name: { kk: 'Жеке тұлға', ru: 'Физическое лицо', en: 'Individual' },
                                 attributes: [{ name: 'ИИН' }, { name: 'Фамилия' }] });
  const type = await create({ kind: 'data_type', base: subject,
                              name: { kk: 'Зейнеткер', ru: 'Пенсионер', en: 'Pensioner' },
                              attributes: [{ name: 'Вид пенсии' }] });
  const page = await ctx.newPage();
  const r = await page.goto(`${srv.base}/en/master_data/${type}`);
  assert(r.status() === 200, `status ${r.status()}`);
  const inherited = page.locator('.portal-inherited');
  assert(await inherited.count() === 1, 'one base with items');
  assert(await inherited.locator(`a[href="/en/master_data/${subject}"]`).count() === 1, 'a link to the base');
  const items = await inherited.locator('li').allTextContents();
  assert(items.join('|').includes('ИИН') && items.join('|').includes('Фамилия'), `items: ${items}`);
  await axeCheck(page, 'data type card');
  await page.close();
}]);

await run(cases, async () => {
  await browser.close();
  await srv.stop();
});
