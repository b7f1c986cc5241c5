// The account pages in a real browser: sign-in, the application, the reset
// request, the password link, tokens and the integrator's applications are
// accessible (axe-core) in each language and stay within the
// Content-Security-Policy; the whole path apply → grant → activate → sign
// in works with JavaScript disabled; a script typed into the fields stays
// text.
import { MailSink, Server, launch, axeCheck, shot, watchConsole, assert, run, cli, LANGS } from './harness.mjs';

const mails = await new MailSink().start();
const srv = await new Server({ demo: true, extra: mails.args() }).start();
const browser = await launch();
const PASSWORD = 'Corr3ct-Horse-Battery';
const NEW_PASSWORD = 'Жаңа-Пароль-2026!';
const SCRIPT = '<script>alert(1)</script>"\'><img src=x onerror=alert(2)>';
const integrator = srv.user('integrator-verifier', 'org-nit');
const apiToken = cli(srv.data, ['token', 'create', '--name', 'browser', '--user', integrator]).trim();
const nitBin = (await (await fetch(`${srv.base}/api/v1/organizations/org-nit`)).json()).bin;
const FORM = {
  organization_name: 'ГУ «Аппарат акима города Тест»', structural_unit: 'Отдел цифровизации',
  last_name: 'Браузеров', first_name: 'Асқар', patronymic: 'Маратұлы', position: 'Главный специалист',
  phone: '+7 (7172) 55-00-00', email: 'browser.applicant@test-akimat.gov.kz',
  access_purpose: 'Учёт информационных систем акимата', organization_bin: '240140083004',
};

/** Makes the form's choices: the organisation (an id found, or 'new'), the
 * access asked for and the consent; then sends it. */
async function choose(page, org) {
  for (const id of [`apply-org-${org}`, 'apply-role-owner-editor', 'apply-personal_data_consent'])
    await page.click(`label[for="${id}"]`);  // USWDS draws the label, not the input
  for (const id of [`apply-org-${org}`, 'apply-role-owner-editor', 'apply-personal_data_consent'])
    assert(await page.isChecked(`#${id}`), `${id} checked`);
}
async function send(page) {
  await Promise.all([page.waitForNavigation(), page.click('main button[name=_send]')]);
}

async function api(path) {
  const r = await fetch(`${srv.base}${path}`, { headers: { Authorization: `Bearer ${apiToken}` } });
  assert(r.ok, `${path}: ${r.status}`);
  return r.json();
}

/** Visits path, checks status, axe and the console; returns the page. */
async function visit(ctx, path, what, status = 200) {
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  const r = await page.goto(`${srv.base}${path}`);
  assert(r.status() === status, `${path}: status ${r.status()}`);
  await axeCheck(page, what);
  assert(problems.length === 0, `${what}: console: ` + problems.join('; '));
  return page;
}

async function signin(ctx, email, password, next) {
  const page = await ctx.newPage();
  await page.goto(`${srv.base}/en/signin${next ? '?next=' + encodeURIComponent(next) : ''}`);
  await page.fill('#signin-email', email);
  await page.fill('#signin-password', password);
  await Promise.all([page.waitForNavigation(), page.click('form.usa-form button[type=submit]')]);
  return page;
}

const cases = [];
for (const lang of LANGS) {
  cases.push([`sign-in and apply pages in ${lang}: accessible, no console errors  # REQ: ACC-01`, async () => {
    const ctx = await browser.newContext();
    const p1 = await visit(ctx, `/${lang}/signin`, `signin ${lang}`);
    assert(await p1.getAttribute('html', 'lang') === lang, 'html lang');
    assert(await p1.locator(`a[href="/${lang}/forgot"]`).count() === 1, 'forgot link');
    assert(await p1.locator(`main a[href="/${lang}/apply"]`).count() === 1, 'apply link');
    await shot(p1, `signin-${lang}`);
    const p2 = await visit(ctx, `/${lang}/apply`, `apply ${lang}`);
    for (const name of Object.keys(FORM))
      assert(await p2.locator(`[name=${name}]`).count() === 1, `field ${name}`);
    for (const id of ['apply-org_q', 'apply-org-new', 'apply-role-owner-editor', 'apply-personal_data_consent'])
      assert(await p2.locator(`#${id}`).count() === 1, id);
    assert(await p2.locator(`a[href="/${lang}/help/privacy"]`).count() >= 1, 'the privacy statement');
    // typing finds the organisation without sending the form (apply.js)
    await p2.fill('#apply-org_q', nitBin);
    await p2.waitForSelector('#apply-org-org-nit');
    assert(p2.url().endsWith(`/${lang}/apply`), 'no navigation');
    if (lang === 'en') {
      // Enter in another field sends the application (here: its errors)
      await Promise.all([p2.waitForNavigation(), p2.press('[name=last_name]', 'Enter')]);
      assert(await p2.locator('.usa-alert--error').count() === 1, 'Enter sends the form');
      await p2.goto(`${srv.base}/${lang}/apply`);
    }
    await axeCheck(p2, `apply ${lang} with results`);
    await shot(p2, `apply-${lang}`);
    await ctx.close();
  }]);
}

cases.push(['the other account pages and the error states are accessible', async () => {
  const ctx = await browser.newContext();
  await visit(ctx, '/ru/forgot', 'forgot');
  await visit(ctx, '/kk/activate?s=' + 'A'.repeat(43), 'activate form');
  // the apply form sent empty: errors at the fields and in the summary
  const page = await visit(ctx, '/en/apply', 'apply');
  await send(page);
  assert(await page.locator('.usa-alert--error a[href="#apply-last_name"]').count() === 1, 'summary links');
  for (const id of ['apply-org_q', 'apply-role-owner-editor', 'apply-personal_data_consent'])
    assert(await page.locator(`.usa-alert--error a[href="#${id}"]`).count() === 1, `summary links ${id}`);
  assert(await page.locator('.usa-form-group--error').count() === 10,
         'seven required fields, the organisation, the access and the consent');
  await axeCheck(page, 'apply with errors');
  await shot(page, 'apply-errors-en');
  const p2 = await signin(ctx, 'nobody@browser.gov.kz', 'wrong-password');
  assert(await p2.locator('.usa-alert--error').count() === 1, 'the sign-in error');
  await axeCheck(p2, 'signin failed');
  const d = await browser.newContext();
  await signin(d, integrator, PASSWORD);
  await visit(d, '/en/tokens', 'tokens');
  await visit(d, '/en/applications', 'applications');
  await d.close();
  // a user without tokens, then the new token's secret shown once
  const u = await browser.newContext();
  await signin(u, srv.user('owner-editor', 'org-nit'), PASSWORD);
  const tp = await visit(u, '/kk/tokens', 'tokens, none yet');
  assert(await tp.locator('main table').count() === 0, 'no empty table');
  await tp.fill('#token-name', 'CI');
  await Promise.all([tp.waitForNavigation(), tp.click('main form.usa-form button[type=submit]')]);
  assert(/^apt_/.test(await tp.textContent('#new-token')), 'the secret is shown');
  await axeCheck(tp, 'tokens, a new secret');
  await shot(tp, 'tokens-kk');
  await u.close();
  await ctx.close();
}]);

cases.push(['a script typed into every text field is shown as text', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  let dialogs = 0;
  page.on('dialog', dlg => { dialogs++; dlg.dismiss(); });
  const problems = watchConsole(page);
  await page.goto(`${srv.base}/en/apply`);
  for (const name of Object.keys(FORM))
    await page.fill(`[name=${name}]`, SCRIPT);
  await page.fill('#apply-org_q', SCRIPT);
  await send(page);
  for (const name of Object.keys(FORM))
    assert(await page.inputValue(`[name=${name}]`) === SCRIPT, `${name} keeps the text`);
  assert(await page.locator('main script:not([src]), main img').count() === 0, 'no element was made');
  await page.goto(`${srv.base}/en/signin`);
  await page.fill('#signin-email', SCRIPT);
  await page.fill('#signin-password', SCRIPT);
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  assert(await page.inputValue('#signin-email') === SCRIPT, 'e-mail kept as text');
  assert(await page.inputValue('#signin-password') === '', 'the password is not sent back');
  const d = await browser.newContext();
  const tp = await signin(d, integrator, PASSWORD, '/en/tokens');
  tp.on('dialog', dlg => { dialogs++; dlg.dismiss(); });
  await tp.fill('#token-name', SCRIPT);
  await Promise.all([tp.waitForNavigation(), tp.click('main form.usa-form button[type=submit]')]);
  assert(await tp.locator('main th[scope=row]').filter({ hasText: SCRIPT }).count() === 1, 'token name as text');
  await d.close();
  assert(dialogs === 0, 'no script ran');
  // the re-rendered forms answer 401 and 422 on purpose; Chromium notes
  // each such document in the console: anything else is a problem
  const real = problems.filter(p => !/^Failed to load resource: .* status of (401|422) /.test(p));
  assert(real.length === 0, 'console: ' + real.join('; '));
  await ctx.close();
}]);

cases.push(['without JavaScript: apply → grant → activate → sign in  # REQ: ACC-01 ACC-02', async () => {
  const visitor = await browser.newContext({ javaScriptEnabled: false, locale: 'ru-RU' });
  let page = await visitor.newPage();
  await page.goto(`${srv.base}/ru/apply`);
  for (const [k, v] of Object.entries(FORM))
    await page.fill(`[name=${k}]`, v);
  // the search button finds the organisation, keeping what was typed
  await page.fill('#apply-org_q', nitBin);
  await Promise.all([page.waitForNavigation(), page.click('main button[name=_find]')]);
  assert(await page.inputValue('[name=last_name]') === FORM.last_name, 'kept');
  await choose(page, 'org-nit');
  await send(page);
  assert(/\/ru\/apply\?done=sent&ref=A-\d{4}-\d{6}$/.test(page.url()), page.url());
  const ref = page.url().split('ref=')[1];
  assert((await page.textContent('main')).includes('Заявка принята'), 'confirmation');
  assert((await page.textContent('main')).includes(ref), 'the reference number');
  // the integrator grants it, without JavaScript too
  const dc = await browser.newContext({ javaScriptEnabled: false });
  const dp = await signin(dc, integrator, PASSWORD, '/en/applications');
  assert(dp.url().endsWith('/en/applications'), dp.url());
  const app = (await api('/api/v1/account-applications')).items.find(a => a.form.email === FORM.email);
  assert(app.ref === ref, 'the same reference');
  assert(await dp.inputValue(`#grant-${app.id}-organization`) === 'org-nit', 'preselected');
  await Promise.all([dp.waitForNavigation(), dp.click(`form[action$="/${app.id}/grant"] button`)]);
  assert(dp.url().endsWith('/en/applications?done=granted'), dp.url());
  await dc.close();
  // the activation link from the e-mail
  const msg = await mails.waitFor(m => m.to.includes(FORM.email) && /\/activate\?s=/.test(m.text));
  // it names the language applied in (Russian), whatever the browser prefers
  const link = msg.text.match(/https?:\/\/[^\s/]+(\/ru\/activate\?s=[A-Za-z0-9_-]{43})/)[1];
  await page.goto(`${srv.base}${link}`);
  assert(page.url().includes('/ru/activate?s='), `the language applied in: ${page.url()}`);
  await page.fill('#link-password', NEW_PASSWORD);
  await page.fill('#link-password2', NEW_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  assert(page.url().endsWith('/ru/signin?done=password'), page.url());
  await page.fill('#signin-email', FORM.email);
  await page.fill('#signin-password', NEW_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  assert(page.url().endsWith('/ru/workspace'), `signed in: ${page.url()}`);
  page = await visitor.newPage();
  await page.goto(`${srv.base}/ru/tokens`);
  assert(page.url().endsWith('/ru/tokens'), 'signed in, the tokens page opens');
  // and signs out, from the user menu in the header
  await page.click('header details.portal-user summary');
  await Promise.all([page.waitForNavigation(), page.click('.portal-signout button')]);
  assert(page.url().endsWith('/ru'), page.url());
  assert(await page.locator('.portal-signout').count() === 0, 'signed out');
  await visitor.close();
}]);

await run(cases, async () => {
  await browser.close();
  await srv.stop();
  await mails.stop();
});
