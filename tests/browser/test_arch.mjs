// The architecture's pages in a real browser (issue 15): a domain's page
// (its view from the model) in kk, ru and en, accessible (axe-core), within
// the Content-Security-Policy, with its flows diagram and the table that
// says the same, whole without JavaScript and on a phone, and its trace
// page's diagram; the public e-services catalogue and the menu's
// architecture page.
import { Server, launch, axeCheck, shot, watchConsole, assert, run, LANGS } from './harness.mjs';

const srv = await new Server({ demo: true }).start();
const browser = await launch();
const PASSWORD = 'Corr3ct-Horse-Battery';
const DOMAIN = 'dom-health';  // the demo's health-care domain
const SERVICE = 'svc-pmsp-attachment';
const architect = srv.user('integrator-architect', 'org-nit', PASSWORD);
const admin = srv.user('admin', null, PASSWORD);

async function signIn(ctx, email) {
  const r = await ctx.request.post(`${srv.base}/api/v1/session`, { data: { email, password: PASSWORD } });
  assert(r.ok(), `sign-in: ${r.status()} ${await r.text()}`);
  return (await r.json()).csrf_token;
}

// A second system of the domain automates its service, so the domain's
// systems exchange data (the demo's flow from obj-ersb to obj-rpn).
{
  const ctx = await browser.newContext();
  const csrf = await signIn(ctx, admin);
  const r = await ctx.request.post(`${srv.base}/api/v1/relations`, {
    headers: { 'X-CSRF-Token': csrf },
    data: { type: 'automates', source: 'obj-ersb', target: SERVICE, automation_level: 'partial' } });
  assert(r.ok(), `automates: ${r.status()} ${await r.text()}`);
  await ctx.close();
}

const cases = [];
for (const lang of LANGS) {
  cases.push([`the domain page in ${lang}: its sections, the flows drawn and tabled, accessible  # REQ: ARC-02`, async () => {
    const ctx = await browser.newContext();
    await signIn(ctx, architect);
    const page = await ctx.newPage();
    const problems = watchConsole(page);
    await page.goto(`${srv.base}/${lang}/domains/${DOMAIN}`);
    const link = page.locator(`a[href="/${lang}/domains/${DOMAIN}/view/architecture"]`);
    assert(await link.count() === 1, 'the card links to the domain page');
    await Promise.all([page.waitForURL(`**/view/architecture`), link.click()]);
    assert(await page.getAttribute('html', 'lang') === lang, 'html lang');
    assert(await page.locator('h1').count() === 1, 'one h1');
    assert(await page.locator('#section-bodies li').count() >= 1, 'participating bodies');
    assert(await page.locator(`#section-services a[href="/${lang}/services/${SERVICE}"]`).count() === 1,
           'the service');
    for (const sys of ['obj-ersb', 'obj-rpn'])
      assert(await page.locator(`#section-systems a[href="/${lang}/objects/${sys}"]`).count() === 1,
             `the system ${sys}`);
    assert(await page.locator('#diagram-0 .portal-card-graph svg').count() === 1, 'the flows diagram');
    assert(await page.locator('#diagram-0 table.portal-view-table tbody tr').count() >= 1, 'the flows table');
    assert(await page.locator('#section-data li').count() === 2, "the domain's master data");
    assert(await page.locator('#diagram-1 h2').count() === 1, 'the conceptual data model');
    await axeCheck(page, `domain page ${lang}`);
    await shot(page, `domain-${lang}`);
    assert(problems.length === 0, 'console: ' + problems.join('; '));
    await ctx.close();
  }]);
}

cases.push(['the domain page and its trace on a phone, and the domain page whole without JavaScript', async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await signIn(phone, architect);
  let page = await phone.newPage();
  await page.goto(`${srv.base}/kk/domains/${DOMAIN}/view/architecture`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `wider than the phone by ${overflow}px`);
  await axeCheck(page, 'domain page on a phone');
  await shot(page, 'domain-phone');
  // its traceability page draws the walk above the lists that say the same
  await page.goto(`${srv.base}/kk/domains/${DOMAIN}/trace`);
  assert(await page.locator('.portal-card-graph svg').count() === 1, 'the trace diagram');
  await axeCheck(page, 'trace page on a phone');
  await phone.close();
  // without script: every section is there, and a record opens its card
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  await signIn(ctx, architect);
  page = await ctx.newPage();
  await page.goto(`${srv.base}/ru/domains/${DOMAIN}/view/architecture`);
  assert(await page.locator('#section-functions li').count() >= 1, 'functions without script');
  assert(await page.locator('table.portal-view-table tbody tr').count() >= 1, 'the flows table');
  await Promise.all([page.waitForURL(`**/ru/services/${SERVICE}`),
                     page.locator(`#section-services a[href="/ru/services/${SERVICE}"]`).click()]);
  await ctx.close();
}]);

cases.push(['the public e-services catalogue from the menu: type, maturity, channels, owner, address  # REQ: X-SVC-01', async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  for (const lang of LANGS) {
    await page.goto(`${srv.base}/${lang}`);
    const menu = page.locator(`header a[href="/${lang}/architecture"]`);
    assert(await menu.count() === 1, `the menu's entry in ${lang}`);
    await page.goto(`${srv.base}/${lang}/architecture`);
    assert(await page.locator(`main a[href="/${lang}/domains"]`).count() === 0, 'no domains for the public');
    await Promise.all([page.waitForURL(`**/${lang}/services`),
                       page.locator(`main a[href="/${lang}/services"]`).click()]);
    const row = page.locator('tbody tr').filter({ has: page.locator(`a[href="/${lang}/services/${SERVICE}"]`) });
    assert(await row.count() === 1, 'the service is listed');
    assert(await row.locator('td a[href^="https://"]').count() === 1, 'its own address, a link');
    assert(await page.locator('thead th').count() >= 6, 'name, type, maturity, channels, address, owner');
    await axeCheck(page, `catalogue ${lang}`);
  }
  await shot(page, 'services-phone');
  assert(problems.length === 0, 'console: ' + problems.join('; '));
  await ctx.close();
}]);

await run(cases, async () => { await browser.close(); await srv.stop(); });
