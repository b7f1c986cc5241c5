// The card of an object in a real browser: accessible in each language
// (axe-core), within the Content-Security-Policy (no console errors), its
// relations' picture clickable, an upload with JavaScript showing its
// progress bar, an upload without JavaScript, and on a phone; the owner's
// control panel and relations added and removed without JavaScript, and
// the integrator's review screen, at 390 and 1366 px; the ICP EG
// architecture's agreement by the integrator's architect.
import { readFileSync } from 'node:fs';
import { docFixtures, Server, launch, axeCheck, shot, watchConsole, assert, run, LANGS } from './harness.mjs';

const FX = docFixtures();

const srv = await new Server({ demo: true }).start();
const browser = await launch();
const PASSWORD = 'Corr3ct-Horse-Battery';
const CARD = 'obj-gzk';             // a registered information system of the demo
const OWNER_ORG = 'org-moa';        // its owner
const NEIGHBOUR = 'obj-dc-astana';  // the data centre it runs on
const editor = srv.user('owner-editor', OWNER_ORG, PASSWORD);

async function signIn(ctx, email = editor) {
  const r = await ctx.request.post(`${srv.base}/api/v1/session`, { data: { email, password: PASSWORD } });
  assert(r.ok(), `sign-in: ${r.status()} ${await r.text()}`);
  return (await r.json()).csrf_token;
}

/** An API write with the session of ctx. */
async function apiPost(ctx, csrf, path, options) {
  const r = await ctx.request.post(`${srv.base}${path}`, { headers: { 'X-CSRF-Token': csrf }, ...options });
  assert(r.ok(), `${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

async function noOverflow(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `${what}: wider than the screen by ${overflow}px`);
}

const WIDE = { width: 1366, height: 900 }, NARROW = { width: 390, height: 844 };
// an information system complete in its data (as tests/e2e/harness.py's COMPLETE)
const COMPLETE = {
  purpose: { ru: 'Учёт обращений граждан' }, functions: ['Приём обращений'], class: 'second',
  placement: 'icp_eg', funding_source: 'state_investment_project', source_code_transferred: true,
  stored_data: 'ФИО заявителей', legal_basis: 'Приказ № 1', contacts: 'Отдел цифровизации',
  creation_phase: 'software_development',
  procurement_contracts: [{ contract_number: '№ 45-ГЗ', contract_date: '2025-03-14',
                            supplier_bin: '240140090017', supplier_name: 'ТОО Пример', amount: '125000000' }],
  general_data: { developer: 'ТОО Пример', creation_started: '2025-04-01' },
};

const cases = [];
for (const lang of LANGS) {
  cases.push([`the card in ${lang}: every section, accessible, no CSP or script errors  # REQ: X-I18N-01`, async () => {
    const page = await browser.newPage();
    const problems = watchConsole(page);
    const r = await page.goto(`${srv.base}/${lang}/objects/${CARD}`);
    assert(r.status() === 200, `status ${r.status()}`);
    assert(await page.getAttribute('html', 'lang') === lang, 'html lang');
    assert(await page.locator('h1').count() === 1, 'one h1');
    const h2 = await page.locator('main h2').count();
    assert(h2 >= 5, `sections: ${h2}`);
    assert(await page.locator('.usa-summary-box').count() === 1, 'the summary box');
    assert(await page.locator('.portal-card-graph svg').count() === 1, 'the relations picture');
    await axeCheck(page, `card ${lang}`);
    await shot(page, `card-${lang}`);
    // the owner's card too
    const o = await page.goto(`${srv.base}/${lang}/organizations/${OWNER_ORG}`);
    assert(o.status() === 200, `organisation: status ${o.status()}`);
    await axeCheck(page, `organisation card ${lang}`);
    assert(problems.length === 0, 'console: ' + problems.join('; '));
    await page.close();
  }]);
}

cases.push(['clicking a node of the relations picture opens that record\'s card', async () => {
  const page = await browser.newPage();
  const problems = watchConsole(page);
  await page.goto(`${srv.base}/en/objects/${CARD}`);
  const node = page.locator(`.portal-card-graph svg a[*|href="/en/objects/${NEIGHBOUR}"]`).first();
  assert(await node.count() === 1, 'the neighbour is a node with a link');
  await Promise.all([page.waitForURL(`**/en/objects/${NEIGHBOUR}`), node.click()]);
  assert((await page.textContent('h1')).length > 0, 'its card');
  assert(problems.length === 0, 'console: ' + problems.join('; '));
  await page.close();
}]);

cases.push(['an upload with JavaScript shows its progress and ends on the card with the document  # REQ: DOC-01', async () => {
  const ctx = await browser.newContext();
  await signIn(ctx);
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await page.goto(`${srv.base}/ru/objects/${CARD}`);
  const item = page.locator('#doc-technical_specification');
  assert(await item.locator('.portal-upload-progress').isHidden(), 'no bar before the upload');
  // hold the request a moment so that the bar can be seen
  let release;
  const held = new Promise(r => { release = r; });
  await page.route('**/documents', async route => { await held; await route.continue(); });
  await item.locator('input[type=file]').setInputFiles(FX.pdfa1b);
  await item.locator('button[type=submit]').click();
  await item.locator('.portal-upload-progress').waitFor({ state: 'visible' });
  assert(await item.locator('progress').count() === 1, 'a progress bar');
  await shot(page, 'card-upload-progress');
  release();
  await page.waitForURL(/uploaded=/);
  const link = page.locator('#doc-technical_specification a[href^="/api/v1/documents/"]');
  assert(await link.count() >= 1, 'the document is listed with its download link');
  assert((await link.first().textContent()).includes('pdfa1b.pdf'), 'by its file name');
  assert(await page.locator('.usa-alert--success').count() === 1, 'the success message');
  assert(problems.length === 0, 'console: ' + problems.join('; '));
  await ctx.close();
}]);

cases.push(['a file refused during an upload with JavaScript shows its problems next to its type', async () => {
  const ctx = await browser.newContext();
  await signIn(ctx);
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await page.goto(`${srv.base}/en/objects/${CARD}`);
  const item = page.locator('#doc-test_programme');
  await item.locator('input[type=file]').setInputFiles(FX['text-as-pdf']);
  await item.locator('button[type=submit]').click();
  await page.locator('#problems-test_programme').waitFor({ state: 'visible' });
  assert(await page.locator('#problems-test_programme li').count() >= 1, 'the inspector\'s problems');
  assert(await page.locator('.usa-alert--error').count() === 1, 'the error message at the top');
  await axeCheck(page, 'card with a refused file');
  // the refusal's own status (422) is logged by the browser; nothing else may be
  const others = problems.filter(p => !/status of 422/.test(p));
  assert(others.length === 0, 'console: ' + others.join('; '));
  await ctx.close();
}]);

cases.push(['the file input speaks the page language, before and after a file is chosen  # REQ: X-I18N-01', async () => {
  const ctx = await browser.newContext();
  await signIn(ctx);
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  const want = {
    kk: ['Файлды осында сүйреңіз немесе', 'қалтадан таңдаңыз', 'Файл таңдалмаған.', 'Файлды ауыстыру'],
    ru: ['Перетащите файл сюда или', 'выберите в папке', 'Файл не выбран.', 'Заменить файл'],
  };
  for (const [lang, [drag, choose, none, change]] of Object.entries(want)) {
    await page.goto(`${srv.base}/${lang}/objects/${CARD}`);
    const item = page.locator('#doc-technical_specification');
    await item.locator('.usa-file-input__instructions').waitFor();
    const text = await item.locator('.usa-file-input').textContent();
    assert(!/Drag file|choose from folder|No file selected/i.test(text), `English left in ${lang}: ${text}`);
    assert(text.includes(none), `the status in ${lang}: ${text}`);
    const label = await item.locator('input[type=file]').getAttribute('aria-label');
    assert(label === `${drag} ${choose}` || label.toLowerCase() === choose.toLowerCase(),
           `aria-label in ${lang}: ${label}`);
    await item.locator('input[type=file]').setInputFiles(FX.pdfa1b);
    await item.locator('.usa-file-input__preview-heading').waitFor();
    const heading = await item.locator('.usa-file-input__preview-heading').textContent();
    assert(heading.includes(change) && !/Selected file|Change file/.test(heading), `after choosing, ${lang}: ${heading}`);
  }
  assert(problems.length === 0, 'console: ' + problems.join('; '));
  await ctx.close();
}]);

cases.push(['without JavaScript the card renders and its upload form works  # REQ: DOC-01', async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  await signIn(ctx);
  const page = await ctx.newPage();
  await page.goto(`${srv.base}/kk/objects/${CARD}`);
  assert(await page.locator('h1').count() === 1, 'rendered');
  const item = page.locator('#doc-contract');
  await item.locator('input[type=file]').setInputFiles(FX.pdfa1b);
  await Promise.all([page.waitForURL(/uploaded=/), item.locator('button[type=submit]').click()]);
  assert(await page.locator('#doc-contract a[href^="/api/v1/documents/"]').count() >= 1, 'listed');
  await ctx.close();
}]);

cases.push(['on a phone the card fits the screen', async () => {
  const ctx = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const page = await ctx.newPage();
  await page.goto(`${srv.base}/ru/objects/${CARD}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `wider than the screen by ${overflow}px`);
  await shot(page, 'card-phone');
  await ctx.close();
}]);

cases.push(['without JavaScript the owner\'s control panel leads, and a relation is added and removed, at 1366 and 390 px  # REQ: ROL-02', async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: WIDE });
  const csrf = await signIn(ctx);
  // axe runs in a page with JavaScript, signed in as the same owner
  const jsctx = await browser.newContext({ viewport: WIDE });
  await signIn(jsctx);
  const jspage = await jsctx.newPage();
  const check = async (url, what, viewport = WIDE) => {
    await jspage.setViewportSize(viewport);
    await jspage.goto(url);
    await noOverflow(jspage, what);
    await axeCheck(jspage, what);
    await shot(jspage, what.replace(/ /g, '-'));
  };
  const rec = await apiPost(ctx, csrf, '/api/v1/objects', { data: {
    kind: 'information_system', owner: OWNER_ORG, stage: 'creation',
    name: { ru: 'Система панели управления', en: 'Control panel system' } } });
  const page = await ctx.newPage();
  const card = `${srv.base}/en/objects/${rec.id}`;
  await page.goto(card);
  // where it is, what can be done now, what blocks submission
  assert((await page.textContent('.portal-card-steps [aria-current=step]')).includes('Draft'), 'the current step');
  const actions = await page.locator('.portal-card-actions a.usa-button').allTextContents();
  assert(JSON.stringify(actions) === JSON.stringify(['Edit', 'Upload a document', 'Add a relation']), `actions: ${actions}`);
  assert(await page.locator('#blockers').count() === 1, 'the list of what blocks submission');
  await check(card, 'card panel 1366');
  await check(card, 'card panel 390', NARROW);
  // the relation form: type, search, the other end, add
  await Promise.all([page.waitForURL(/#relation-add$/), page.click('.portal-card-actions a[href$="#relation-add"]')]);
  await page.selectOption('#rel-type', 'runs_on:out');
  await page.fill('#rel-q', 'Astana');
  await Promise.all([page.waitForNavigation(), page.click('.portal-rel-find button[type=submit]')]);
  const radio = page.locator(`input[name=other][value="${NEIGHBOUR}"]`);
  assert(await radio.count() === 1, 'the data centre is found');
  await check(page.url(), 'relation search 1366');
  await check(page.url(), 'relation search 390', NARROW);
  await page.click(`label[for="rel-other-${NEIGHBOUR}"]`);
  await Promise.all([page.waitForURL(/done=related/), page.click('.portal-rel-create button[type=submit]')]);
  assert((await page.textContent('#relations')).includes('Unified e-government data processing centre'), 'the relation is listed');
  assert((await page.textContent('main')).includes('The relation was added.'), 'said so');
  // removal, confirmed
  await Promise.all([page.waitForURL(/remove=/), page.click('.portal-rel-remove')]);
  assert(await page.locator('#relation-remove').count() === 1, 'the confirmation');
  await check(page.url(), 'relation removal 390', NARROW);
  await Promise.all([page.waitForURL(/done=unrelated/), page.click('#relation-remove button[type=submit]')]);
  assert(!(await page.textContent('#relations')).includes('Unified e-government data processing centre'), 'removed');
  await jsctx.close();
  await ctx.close();
}]);

cases.push(['the review screen: three languages, a remark revealed by a click, the code on acceptance, at 390 and 1366 px  # REQ: REG-04', async () => {
  const octx = await browser.newContext();
  const csrf = await signIn(octx);
  const rec = await apiPost(octx, csrf, '/api/v1/objects', { data: {
    kind: 'information_system', owner: OWNER_ORG, stage: 'creation',
    name: { ru: 'Система на проверке в браузере', en: 'System under review' }, ...COMPLETE } });
  const list = await (await octx.request.get(`${srv.base}/api/v1/objects/${rec.id}/documents`)).json();
  for (const item of list.items.filter(i => i.due && !i.signed))
    await apiPost(octx, csrf, `/api/v1/objects/${rec.id}/documents`, { multipart: {
      type: item.type, file: { name: `${item.type}.pdf`, mimeType: 'application/pdf', buffer: readFileSync(FX.pdfa1b) } } });
  await apiPost(octx, csrf, `/api/v1/objects/${rec.id}/submit`, {});
  await octx.close();
  const ctx = await browser.newContext({ viewport: NARROW });
  await signIn(ctx, srv.user('integrator-verifier', null, PASSWORD));
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await page.goto(`${srv.base}/en/objects/${rec.id}/verify`);
  await noOverflow(page, 'review 390');
  await axeCheck(page, 'review 390');
  await page.setViewportSize(WIDE);
  const purpose = page.locator('#r-purpose');
  assert(!(await purpose.isVisible()), 'the remark box is hidden until asked for');
  await page.click('#r-purpose-add > summary');
  assert(await purpose.isVisible(), 'one click shows it');
  assert(await page.locator('.portal-verify-field [lang=ru]').count() >= 2, 'values marked with their language');
  await axeCheck(page, 'review 1366');
  await shot(page, 'review-1366');
  await Promise.all([page.waitForURL(/done=verified/), page.click('button[name=decision][value=accept]')]);
  const code = (await (await ctx.request.get(`${srv.base}/api/v1/objects/${rec.id}`)).json()).accounting_code;
  assert(code && (await page.textContent('main')).includes(code), 'the code just assigned is shown');
  await axeCheck(page, 'queue after acceptance');
  assert(problems.length === 0, 'console: ' + problems.join('; '));
  await ctx.close();
}]);

cases.push(['the ICP EG agreement from the card: the integrator\'s architect agrees the demo\'s security component through a plain form, accessible  # REQ: ARC-16', async () => {
  const ctx = await browser.newContext();
  await signIn(ctx, srv.user('integrator-architect', null, PASSWORD));
  const page = await ctx.newPage();
  const card = `${srv.base}/ru/icp_architecture/icp-security`;
  await page.goto(card);
  assert((await page.textContent('main')).includes('На согласовании у сервисного интегратора'), 'its state');
  await Promise.all([page.waitForURL(/\/verify$/), page.click('.portal-card-actions a[href$="/verify"]')]);
  const accept = (await page.textContent('button[name=decision][value=accept]')).trim();
  assert(accept === 'Согласовать от сервисного интегратора', `the step: ${accept}`);
  await axeCheck(page, 'agreement');
  await Promise.all([page.waitForURL(/done=verified/), page.click('button[name=decision][value=accept]')]);
  const rec = await (await ctx.request.get(`${srv.base}/api/v1/icp_architecture/icp-security`)).json();
  assert(rec.status === 'integrator_agreed', `now ${rec.status}`);
  await page.goto(card);
  assert((await page.textContent('main')).includes('На согласовании у уполномоченного органа'), 'with the authorized body');
  assert(await page.locator('.portal-card-actions a[href$="/verify"]').count() === 0, 'not the architect\'s step any more');
  await axeCheck(page, 'agreed card');
  await ctx.close();
}]);

await run(cases, async () => {
  await browser.close();
  await srv.stop();
});
