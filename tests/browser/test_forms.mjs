// The record forms and the workspaces in a real browser: the create form,
// the owner's workspace and the verification queue in each language pass
// axe-core without console errors; an object is created, submitted and
// verified with JavaScript disabled; a script typed into the text fields
// stays text.
import { docFixtures, placeMissingDocuments, Server, launch, axeCheck, shot, watchConsole, assert, run, LANGS } from './harness.mjs';

const PASSWORD = 'Corr3ct-Horse-Battery';
const SCRIPT = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=1">';

const srv = await new Server({ demo: true }).start();
const browser = await launch();
// an organisation that owns objects of the demo data
const objs = await (await fetch(`${srv.base}/api/v1/objects?limit=1`)).json();
const ORG = objs.items[0].owner;
const owner = srv.user('owner-editor', ORG);
const verifier = srv.user('integrator-verifier');
const admin = srv.user('admin');

/** A browser context signed in as email (the session cookie is shared). */
async function signedIn(email, options = {}) {
  const ctx = await browser.newContext(options);
  const r = await ctx.request.post(`${srv.base}/api/v1/session`, { data: { email, password: PASSWORD } });
  assert(r.status() === 200, `sign-in: ${r.status()}`);
  return ctx;
}

/** Opens path in a new page of ctx, checks axe and the console, keeps a screenshot. */
async function checkPage(ctx, path, name, title) {
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  const r = await page.goto(`${srv.base}${path}`);
  assert(r.status() === 200, `${path}: status ${r.status()}`);
  assert((await page.textContent('h1')).trim().length > 0, 'a heading');
  if (title) assert((await page.textContent('h1')).includes(title), `${path}: h1 ${await page.textContent('h1')}`);
  await axeCheck(page, name);
  await shot(page, name);
  assert(problems.length === 0, `${name} console: ` + problems.join('; '));
  return page;
}

const heading = {
  form: { kk: 'Жаңа жазба', ru: 'Новая запись', en: 'New record' },
  workspace: { kk: 'Менің кабинетім', ru: 'Мой кабинет', en: 'My workspace' },
  queue: { kk: 'Тексеру', ru: 'Проверка', en: 'Verification' },
};

const cases = [];
for (const lang of LANGS) {
  cases.push([`create form, workspace and queue in ${lang}: accessible, no console errors  # REQ: X-I18N-01`, async () => {
    const ctx = await signedIn(owner);
    let page = await checkPage(ctx, `/${lang}/objects/new?kind=information_system`, `form-${lang}`, heading.form[lang]);
    assert(await page.getAttribute('html', 'lang') === lang, 'html lang');
    assert(await page.locator('fieldset#f-name legend').count() === 1, 'the name in a fieldset with a legend');
    await page.close();
    page = await checkPage(ctx, `/${lang}/workspace`, `workspace-${lang}`, heading.workspace[lang]);
    assert(await page.locator('a[href$="/objects/new"]').count() >= 1, 'a link to create an object');
    await page.close();
    await ctx.close();
    const vctx = await signedIn(verifier);
    page = await checkPage(vctx, `/${lang}/verification`, `verification-${lang}`, heading.queue[lang]);
    await page.close();
    await vctx.close();
  }]);
}

cases.push(['a form with an error is accessible and keeps the input', async () => {
  const ctx = await signedIn(owner);
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await page.goto(`${srv.base}/ru/objects/new?kind=information_system`);
  await page.fill('#f-name-ru', 'Система с ошибкой');
  await page.fill('#f-commissioning_date', '2024-02-30');
  await page.click('.portal-record-form button[type=submit]:not([name])');
  await page.waitForSelector('.usa-form-group--error');
  assert(await page.inputValue('#f-name-ru') === 'Система с ошибкой', 'the name is kept');
  const link = page.locator('.usa-alert--error a[href^="#f-"]');
  assert(await link.count() === 1, 'the summary links to the field');
  await axeCheck(page, 'form with an error');
  await shot(page, 'form-error-ru');
  // the browser reports the 422 status itself; anything else is a fault
  const others = problems.filter(p => !/status of 422/.test(p));
  assert(others.length === 0, 'console: ' + others.join('; '));
  await ctx.close();
}]);

cases.push(['the new-object form checks for similar objects (a plain submit), accessibly  # REQ: SVC-02', async () => {
  const ctx = await signedIn(owner);
  const page = await ctx.newPage();
  await page.goto(`${srv.base}/ru/objects/new?kind=information_system`);
  await page.fill('#f-name-ru', 'Система учёта обращений граждан');
  await page.click('button[name=_similar]');
  await page.waitForSelector('.portal-similar [role=status]');
  assert(await page.inputValue('#f-name-ru') === 'Система учёта обращений граждан', 'the name is kept');
  assert(/похож/i.test(await page.locator('.portal-similar').innerText()), 'the similar objects section');
  await axeCheck(page, 'form with similar objects');
  await ctx.close();
}]);

cases.push(['the register of trusted software: the list page loads a file, dry run first, and shows the report, accessibly  # REQ: SVC-02', async () => {
  const ctx = await signedIn(admin);
  const page = await checkPage(ctx, '/ru/trusted_register', 'trusted-register-ru');
  assert(await page.locator('.portal-import-form').count() === 1, 'the upload form');
  assert(await page.isChecked('#import-dry'), 'a dry run unless unticked');
  const csv = 'Номер в реестре;Наименование;Вид продукции;Производитель;Дата включения\n' +
    'ДПО-2023-0014;Система электронного документооборота «Qujat»;Программное обеспечение;ТОО «Qujat Soft»;14.03.2023\n' +
    'ДПО-2026-0500;Новая система;Облачный сервис;ТОО «Альфа»;2026-02-01\n';
  await page.setInputFiles('#import-file', { name: 'register.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.click('.portal-import-form button[type=submit]');
  await page.waitForSelector('.portal-import-report');
  const text = await page.locator('main').innerText();
  assert(/Проверка: ничего не записано/.test(text), 'the dry run says so: ' + text.slice(0, 400));
  assert(/Облачный сервис/.test(text) && /отклонена/.test(text), 'the refused row and its reason');
  await axeCheck(page, 'import report');
  await shot(page, 'import-report-ru');
  // owners' editors get no form
  const octx = await signedIn(owner);
  const op = await octx.newPage();
  await op.goto(`${srv.base}/ru/trusted_register`);
  assert(await op.locator('.portal-import-form').count() === 0, 'no form for an owner');
  await octx.close();
  await ctx.close();
}]);

cases.push(['create, submit and verify with JavaScript disabled; a script stays text  # REQ: REG-03', async () => {
  const octx = await signedIn(owner, { javaScriptEnabled: false });
  const page = await octx.newPage();
  page.on('dialog', () => { throw new Error('a script ran'); });
  await page.goto(`${srv.base}/ru/objects/new?kind=information_system`);
  await page.fill('#f-name-ru', 'Система без скриптов');
  await page.fill('#f-name-en', SCRIPT);
  await page.fill('#f-short_name', SCRIPT);
  await page.fill('#f-purpose-ru', 'Учёт обращений');
  await page.fill('#f-functions', 'Приём обращений\n' + SCRIPT);
  await page.fill('#f-stored_data', SCRIPT);
  await page.fill('#f-legal_basis', 'Приказ № 1');
  await page.fill('#f-contacts', SCRIPT);
  await page.fill('#f-supplier', SCRIPT);
  await page.selectOption('#f-stage', 'creation');
  await page.selectOption('#f-creation_phase', 'software_development');
  await page.selectOption('#f-class', 'second');
  await page.selectOption('#f-placement', 'icp_eg');
  await page.selectOption('#f-funding_source', 'state_investment_project');
  await page.click('label[for=f-source_code_transferred]');
  await page.fill('#f-commissioning_date', '2024-03-01');
  // Appendix 1's data: a row of the contracts, a group of general data
  await page.fill('#f-procurement_contracts-0-contract_number', '45-ГЗ');
  await page.fill('#f-procurement_contracts-0-contract_date', '2025-03-14');
  await page.fill('#f-procurement_contracts-0-supplier_name', SCRIPT);
  await page.fill('#f-general_data-summary', SCRIPT);
  await Promise.all([page.waitForNavigation(), page.click('.portal-record-form button[type=submit]:not([name])')]);
  const m = page.url().match(/\/ru\/objects\/([^/?]+)\?done=created$/);
  assert(m, `after creation: ${page.url()}`);
  const id = m[1];
  // the edit page shows what was typed, as text
  await page.goto(`${srv.base}/ru/objects/${id}/edit`);
  assert(await page.inputValue('#f-short_name') === SCRIPT, 'the short name as typed');
  assert(await page.inputValue('#f-stored_data') === SCRIPT, 'the stored data as typed');
  assert(await page.inputValue('#f-functions') === 'Приём обращений\n' + SCRIPT, 'the functions as typed');
  assert(await page.locator('img[src=x]').count() === 0, 'no element was injected');
  assert(await page.isChecked('#f-source_code_transferred'), 'the box stays ticked');
  assert(await page.inputValue('#f-procurement_contracts-0-supplier_name') === SCRIPT, 'a row as typed');
  assert(await page.inputValue('#f-procurement_contracts-1-supplier_name') === '', 'an empty row after it');
  // the documents due, through the card's forms without JavaScript
  assert((await placeMissingDocuments(page, `${srv.base}/ru/objects/${id}`, docFixtures().pdfa1b)).length === 2,
         'two documents are due at creation');
  await page.goto(`${srv.base}/ru/objects/${id}/edit`);
  await Promise.all([page.waitForNavigation(), page.click('.portal-submit-form button[type=submit]')]);
  assert(page.url().endsWith(`/ru/objects/${id}?done=submitted`), `after submission: ${page.url()}`);
  // the verifier registers it
  const vctx = await signedIn(verifier, { javaScriptEnabled: false });
  const vpage = await vctx.newPage();
  vpage.on('dialog', () => { throw new Error('a script ran'); });
  await vpage.goto(`${srv.base}/ru/verification`);
  await Promise.all([vpage.waitForNavigation(), vpage.click(`a[href="/ru/objects/${id}/verify"]`)]);
  assert((await vpage.textContent('main')).includes(SCRIPT), 'the verifier sees the script as text');
  const jsctx = await signedIn(verifier);
  await checkPage(jsctx, `/ru/objects/${id}/verify`, 'verify-ru');
  await jsctx.close();
  await Promise.all([vpage.waitForNavigation(), vpage.click('button[name=decision][value=accept]')]);
  assert(vpage.url().endsWith(`/ru/verification?record=${id}&done=verified`), `after verification: ${vpage.url()}`);
  const rec = await (await vctx.request.get(`${srv.base}/api/v1/objects/${id}`)).json();
  assert(rec.status === 'registered' && /^IS-\d{4}-\d{6}$/.test(rec.accounting_code), JSON.stringify(rec));
  // the owner's workspace shows the code
  await page.goto(`${srv.base}/ru/workspace`);
  assert((await page.textContent('main')).includes(rec.accounting_code), 'the code in the workspace');
  await vctx.close();
  await octx.close();
}]);

await run(cases, async () => {
  await browser.close();
  await srv.stop();
});
