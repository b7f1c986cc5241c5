// The architecture's walk in a real browser (issue 15's "done when"), on the
// demo, by clicking links only after the first page: a domain's page → its
// capability map (switching the measure) → a capability → its function →
// the system that automates it → the master data whose attributes it is the
// storage source of (the card's "referred to by") → a data type's own and
// inherited attributes → back to the system → the infrastructure it runs
// on. In Kazakh on a phone, in Russian without JavaScript (the measure's
// Show button), in English with axe on each page of the walk.
import { Server, launch, axeCheck, shot, watchConsole, assert, run } from './harness.mjs';

const srv = await new Server({ demo: true }).start();
const browser = await launch();
const PASSWORD = 'Corr3ct-Horse-Battery';
const architect = srv.user('integrator-architect', 'org-nit', PASSWORD);
// the demo's chain: social protection, pension provision, the assignment of
// pensions, the social and labour sphere's system, the pensioner types, the
// Astana data centre
const DOMAIN = 'dom-social', CAPABILITY = 'cap-pension', FUNCTION = 'fn-pension';
const SYSTEM = 'obj-eis-sts', TYPE = 'md-disabled-pensioner', BASES = ['md-pensioner', 'md-individual'];
const INFRASTRUCTURE = 'obj-dc-astana';
const MEASURE = { kk: 'Оның жүйелерінің өмірлік цикл кезеңдері', ru: 'Этапы жизненного цикла её систем',
                  en: 'Life-cycle stages of its systems' };

async function signedIn(options) {
  const ctx = await browser.newContext(options);
  const r = await ctx.request.post(`${srv.base}/api/v1/session`, { data: { email: architect, password: PASSWORD } });
  assert(r.ok(), `sign-in: ${r.status()} ${await r.text()}`);
  return ctx;
}

/** Clicks the one link `selector` (inside `within`, else the page) names
 * and waits for the page it leads to. */
async function follow(page, href, within = '') {
  const link = page.locator(`${within} a[href="${href}"]`.trim()).first();
  assert(await link.count() === 1, `no link to ${href} ${within} on ${page.url()}`);
  await Promise.all([page.waitForURL(u => u.pathname + u.search === href), link.click()]);
}

/** The walk in lang; phone: check that no page is wider than the screen;
 * axe: check each page. */
async function walk(lang, { js = true, phone = false, axe = false } = {}) {
  const ctx = await signedIn({ javaScriptEnabled: js, ...(phone ? { viewport: { width: 390, height: 844 } } : {}) });
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  const check = async what => {
    assert(await page.getAttribute('html', 'lang') === lang, `${what}: html lang`);
    if (phone) {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `${what}: wider than the phone by ${overflow}px`);
    }
    if (axe)
      await axeCheck(page, `${what} ${lang}`);
  };
  const L = `/${lang}`;
  await page.goto(`${srv.base}${L}/architecture`); // the only address typed
  await follow(page, `${L}/domains`, 'main');
  await follow(page, `${L}/domains/${DOMAIN}`, 'main');
  await check('domain card');
  await follow(page, `${L}/domains/${DOMAIN}/view/architecture`);
  await check('domain page');
  // the activity layer: the domain's capability map, its measure switched
  await follow(page, `${L}/capabilities/map?domain=${DOMAIN}`, 'main');
  assert(await page.locator('.portal-map__root').count() === 1, 'the map shows the one domain');
  if (js) {
    await Promise.all([page.waitForURL(u => u.searchParams.get('measure') === 'stages'),
                       page.selectOption('#map-measure', 'stages')]);
  } else {
    await page.selectOption('#map-measure', 'stages');
    await Promise.all([page.waitForURL(u => u.searchParams.get('measure') === 'stages'), page.click('#map-apply')]);
  }
  const url = new URL(page.url());
  assert(url.searchParams.get('domain') === DOMAIN, `the measure keeps the domain: ${url}`);
  assert(await page.locator('#map-measure option:checked').textContent() === MEASURE[lang], 'the measure chosen');
  assert(await page.locator('#map-table thead th').count() === 4 + 3, 'a column per stage group');
  await check('capability map');
  await follow(page, `${L}/capabilities/${CAPABILITY}`, '.portal-map');
  await check('capability card');
  await follow(page, `${L}/functions/${FUNCTION}`, '#relations');
  await check('function card');
  // the systems layer: the system that automates it
  await follow(page, `${L}/objects/${SYSTEM}`, '#relations');
  await check('system card');
  // the data layer: the master data whose attributes it stores
  for (const md of ['md-pensioner', TYPE])
    assert(await page.locator(`#referrers a[href="${L}/master_data/${md}"]`).count() === 1, `${md} among its data`);
  await follow(page, `${L}/master_data/${TYPE}`, '#referrers');
  await check('data type card');
  const inherited = page.locator('.portal-inherited');
  assert(await inherited.count() === 2, 'the attributes of both bases');
  for (let i = 0; i < BASES.length; i++)
    assert(await inherited.nth(i).locator(`a[href="${L}/master_data/${BASES[i]}"]`).count() === 1,
           `inherited from ${BASES[i]}, nearest first`);
  const items = (await inherited.locator('li').allTextContents()).join('|');
  assert(items.includes('Вид пенсии') && items.includes('ИИН'), `inherited items: ${items}`);
  // and back to the system, named as the storage source of its own attributes
  await follow(page, `${L}/objects/${SYSTEM}`, '.portal-card-fields > dd > ul');
  // the infrastructure layer: what it runs on
  await follow(page, `${L}/objects/${INFRASTRUCTURE}`, '#relations');
  await check('infrastructure card');
  assert(await page.locator(`#relations a[href="${L}/objects/${SYSTEM}"]`).count() === 1, 'the system runs on it');
  await shot(page, `arch-story-${lang}${phone ? '-phone' : ''}${js ? '' : '-nojs'}`);
  assert(problems.length === 0, 'console: ' + problems.join('; '));
  await ctx.close();
}

const cases = [
  ['the walk in Kazakh on a phone: domain, capability map, function, system, data, infrastructure  # REQ: ARC-01, ARC-03, ARC-06, ARC-09',
   () => walk('kk', { phone: true })],
  ['the walk in Russian without JavaScript (the measure by its button)  # REQ: ARC-01, ARC-03, ARC-06, ARC-09',
   () => walk('ru', { js: false })],
  ['the walk in English, each page accessible  # REQ: ARC-01, ARC-03, ARC-06, ARC-09',
   () => walk('en', { axe: true })],
  ['for the public a system card shows no master data, which it may not read', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const r = await page.goto(`${srv.base}/en/objects/${SYSTEM}`);
    assert(r.status() === 200, `status ${r.status()}`);
    assert(await page.locator('#relations').count() === 1, 'the card');
    assert(await page.locator('a[href^="/en/master_data/"]').count() === 0, 'no master data');
    await ctx.close();
  }],
];

await run(cases, async () => { await browser.close(); await srv.stop(); });
