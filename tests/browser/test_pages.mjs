// The pages every visitor meets, in a real browser: the home page and the
// error pages in each language, accessible (axe-core), within the
// Content-Security-Policy (no console errors), usable without JavaScript
// and on a phone; the language choice is kept.
import { Server, launch, axeCheck, shot, watchConsole, assert, run, LANGS } from './harness.mjs';

const srv = await new Server({ demo: true }).start();
const browser = await launch();
const verifier = srv.user('integrator-verifier', 'org-mdai', 'Corr3ct-Horse-Battery');
const heading = { kk: 'архитектуралық порталы', ru: 'Архитектурный портал', en: 'Architectural portal' };

const cases = [];
for (const lang of LANGS) {
  cases.push([`home page in ${lang}: translated, accessible, no CSP or script errors  # REQ: X-I18N-01`, async () => {
    const page = await browser.newPage();
    const problems = watchConsole(page);
    const r = await page.goto(`${srv.base}/${lang}`);
    assert(r.status() === 200, `status ${r.status()}`);
    assert(await page.getAttribute('html', 'lang') === lang, 'html lang');
    const h1 = await page.textContent('h1');
    assert(h1.includes(heading[lang]), `h1 is ${h1}`);
    const counts = await page.locator('.portal-counts li').count();
    assert(counts > 0, 'counts by kind, stage and status are listed');
    await axeCheck(page, `home ${lang}`);
    await shot(page, `home-${lang}`);
    assert(problems.length === 0, 'console: ' + problems.join('; '));
    await page.close();
  }]);
  cases.push([`dashboards in ${lang}: SVG charts with tables of the same figures, accessible`, async () => {
    const page = await browser.newPage();
    const problems = watchConsole(page);
    const r = await page.goto(`${srv.base}/${lang}/dashboards`);
    assert(r.status() === 200, `status ${r.status()}`);
    assert(await page.locator('svg.portal-chart[role=img]').count() >= 2, 'charts');
    assert(await page.locator('table.usa-table').count() >= 2, 'tables beside the charts');
    await axeCheck(page, `dashboards ${lang}`);
    await shot(page, `dashboards-${lang}`);
    assert(problems.length === 0, 'console: ' + problems.join('; '));
    await page.click('table.usa-table tbody th a >> nth=0');
    assert(page.url().includes(`/${lang}/registry?`), `a row opens the registry: ${page.url()}`);
    await page.close();
  }]);
  cases.push([`the rules report and the gap report in ${lang}: the integrator's pages, accessible  # REQ: ARC-12`, async () => {
    const ctx = await browser.newContext();
    const r0 = await ctx.request.post(`${srv.base}/api/v1/session`, { data: { email: verifier, password: 'Corr3ct-Horse-Battery' } });
    assert(r0.ok(), `sign-in: ${r0.status()}`);
    const page = await ctx.newPage();
    const problems = watchConsole(page);
    const r = await page.goto(`${srv.base}/${lang}/rules`);
    assert(r.status() === 200, `status ${r.status()}`);
    assert(await page.locator('main section[id^="rule-"]').count() >= 4, 'a section per rule');
    await axeCheck(page, `rules ${lang}`);
    // by domain: a table of groups per rule, the trend folded
    const r2 = await page.goto(`${srv.base}/${lang}/rules?layer=data&by=domain`);
    assert(r2.status() === 200, `by domain: status ${r2.status()}`);
    assert(await page.locator('main section[id^="rule-"] table').count() >= 1, 'the groups');
    await axeCheck(page, `rules by domain ${lang}`);
    // the target architecture's gap report, from the demo's initiatives
    const r3 = await page.goto(`${srv.base}/${lang}/gaps`);
    assert(r3.status() === 200, `gaps: status ${r3.status()}`);
    assert(await page.locator('main table tbody tr').count() >= 4, 'the demo initiatives change elements');
    await axeCheck(page, `gaps ${lang}`);
    assert(problems.length === 0, 'console: ' + problems.join('; '));
    await ctx.close();
  }]);
  cases.push([`the ICT projects' risk levels in ${lang}: by state body and project, explained on the card; their dependencies drawn; accessible  # REQ: MON-07`, async () => {
    const page = await browser.newPage();
    const problems = watchConsole(page);
    const r = await page.goto(`${srv.base}/${lang}/scores/project_risk`);
    assert(r.status() === 200, `status ${r.status()}`);
    assert(await page.locator('main table').count() === 3, 'the thresholds, the bodies, the records');
    await axeCheck(page, `risk levels ${lang}`);
    // the riskiest project first; its card says why, factor by factor
    await Promise.all([page.waitForURL(`**/${lang}/projects/**`),
                       page.click('main section:last-of-type table tbody th a >> nth=0')]);
    assert(page.url().includes(`/${lang}/projects/`), `a row opens the project: ${page.url()}`);
    await page.locator('#score-project_risk table').waitFor();
    assert(await page.locator('#score-project_risk table tbody tr').count() === 5, 'five factors');
    if (lang === 'en') await axeCheck(page, 'project card'); // the same markup in every language
    // the portfolio's dependencies: drawn, and the same as a table  # REQ: ARC-18
    const r2 = await page.goto(`${srv.base}/${lang}/projects/network/dependencies`);
    assert(r2.status() === 200, `network: status ${r2.status()}`);
    assert(await page.locator('main figure svg').count() === 1, 'drawn');
    assert(await page.locator('main table tbody tr').count() === 2, 'the demo\'s two dependencies');
    if (lang === 'en') await axeCheck(page, 'dependencies');
    assert(problems.length === 0, 'console: ' + problems.join('; '));
    await page.close();
  }]);
  cases.push([`not-found page in ${lang} is friendly and accessible`, async () => {
    const page = await browser.newPage();
    const r = await page.goto(`${srv.base}/${lang}/no-such-page`);
    assert(r.status() === 404, `status ${r.status()}`);
    assert(await page.getAttribute('html', 'lang') === lang, 'html lang');
    assert(await page.locator('[role=alert] h1').count() === 1, 'an alert with a heading');
    await axeCheck(page, `404 ${lang}`);
    await page.close();
  }]);
}

cases.push(['the language chosen is kept: "/" goes to the last language visited  # REQ: X-I18N-01', async () => {
  const ctx = await browser.newContext({ locale: 'en-US' });
  const page = await ctx.newPage();
  await page.goto(`${srv.base}/`);
  assert(page.url().endsWith('/en'), `Accept-Language en: ${page.url()}`);
  await page.click('.portal-langs a[lang=ru]');
  assert(page.url().endsWith('/ru'), `after the switch: ${page.url()}`);
  await page.goto(`${srv.base}/`);
  assert(page.url().endsWith('/ru'), `the cookie keeps ru: ${page.url()}`);
  await ctx.close();
}]);

cases.push(['without JavaScript the home page and its search work', async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto(`${srv.base}/kk`);
  assert(await page.locator('h1').count() === 1, 'rendered');
  const before = page.url();
  await page.fill('#home-q', 'платформа');
  await page.press('#home-q', 'Enter');
  await page.waitForURL(u => String(u) !== before);
  assert(page.url().includes('/kk/registry?q='), `search goes to the registry: ${page.url()}`);
  await ctx.close();
}]);

cases.push(['on a phone the page fits the screen', async () => {
  const ctx = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const page = await ctx.newPage();
  await page.goto(`${srv.base}/ru`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `wider than the screen by ${overflow}px`);
  assert(await page.isVisible('.usa-menu-btn'), 'the menu button shows on a phone');
  await shot(page, 'home-phone');
  await ctx.close();
}]);

// The help pages: axe runs in every language on the index and the pages
// whose markup differs (the plain text, the legal acts' list), in English
// on the contacts' box and the privacy statement too; the other topics
// (the same markup) are opened and their navigation checked (axe costs
// about two seconds a page).
const HELP_AXE = { kk: ['about', 'legal'], ru: ['about', 'legal'], en: ['about', 'legal', 'contacts', 'privacy'] };
const HELP_TOPICS = ['about', 'state-body', 'integrator', 'authorized-body', 'operator', 'citizen', 'legal',
                     'contacts', 'accessibility', 'privacy', 'api'];
for (const lang of LANGS) {
  cases.push([`help pages in ${lang}: reached from the footer, accessible, the legal acts linked  # REQ: X-I18N-01`, async () => {
    const page = await browser.newPage();
    const problems = watchConsole(page);
    await page.goto(`${srv.base}/${lang}`);
    await page.click(`footer a[href="/${lang}/help"]`);
    assert(page.url().endsWith(`/${lang}/help`), `the footer leads to help: ${page.url()}`);
    await axeCheck(page, `help ${lang}`);
    for (const topic of HELP_TOPICS) {
      const r = await page.goto(`${srv.base}/${lang}/help/${topic}`);
      assert(r.status() === 200, `${topic}: status ${r.status()}`);
      assert(await page.getAttribute('html', 'lang') === lang, 'html lang');
      assert(await page.locator(`.usa-sidenav a[aria-current=page][href="/${lang}/help/${topic}"]`).count() === 1,
             `${topic} is current in the side navigation`);
      if (HELP_AXE[lang].includes(topic))
        await axeCheck(page, `help ${topic} ${lang}`);
    }
    await page.goto(`${srv.base}/${lang}/help/legal`);
    const site = { kk: 'kaz', ru: 'rus', en: 'eng' }[lang];
    assert(await page.locator(`a[href^="https://adilet.zan.kz/${site}/docs/"]`).count() === 5, 'five acts');
    await shot(page, `help-legal-${lang}`);
    assert(problems.length === 0, 'console: ' + problems.join('; '));
    await page.close();
  }]);
}

cases.push(['without JavaScript help is reached from the home page and walked by its navigation', async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  await page.goto(`${srv.base}/ru`);
  await page.click('main a[href="/ru/help/about"]');
  assert(page.url().endsWith('/ru/help/about'), page.url());
  assert((await page.textContent('h1')).includes('архитектурный портал'), 'the plain page for citizens');
  await page.click('.usa-sidenav a[href="/ru/help/privacy"]');
  assert((await page.textContent('main')).includes('30 минут'), 'the privacy statement says how long');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `wider than the phone by ${overflow}px`);
  await shot(page, 'help-privacy-phone-nojs');
  await ctx.close();
}]);

await run(cases, async () => {
  await browser.close();
  await srv.stop();
});
