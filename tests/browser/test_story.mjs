// The whole path a new organisation takes, in a real browser, once in each
// language and once more with JavaScript disabled: it applies for an
// account; the integrator grants it; the user activates the account, signs
// in, records an information system, uploads its documents and submits it;
// the integrator returns it with a remark; the user fixes it and submits
// again; the integrator verifies it and the accounting code appears; an
// anonymous visitor finds it by search. Screenshots of each main page are
// kept.
import { docFixtures, MailSink, placeMissingDocuments, Server, launch, axeCheck, shot, watchConsole, assert, run, cli } from './harness.mjs';

const FX = docFixtures();

const mails = await new MailSink().start();
const srv = await new Server({ demo: true, extra: ['--public-url', 'https://portal.example.kz', ...mails.args()] }).start();
const browser = await launch();
const PASSWORD = 'Corr3ct-Horse-Battery';
const integrator = srv.user('integrator-verifier', 'org-nit');
const admin = srv.user('admin', 'org-nit');
const token = cli(srv.data, ['token', 'create', '--name', 'story', '--user', admin]).trim();

async function api(p) {
  const r = await fetch(`${srv.base}${p}`, { headers: { Authorization: `Bearer ${token}` } });
  assert(r.ok, `${p}: ${r.status}`);
  return r.json();
}

/** Clicks what submits a form and waits for the next page. */
async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

const words = {
  kk: { name: 'Жер қойнауын есепке алу жүйесі', fix: 'Жер қойнауын пайдаланушыларды есепке алу' },
  ru: { name: 'Система учёта недропользования', fix: 'Учёт недропользователей' },
  en: { name: 'Subsoil use accounting system', fix: 'Accounting of subsoil users' },
};

async function story(lang, js) {
  const contexts = [];
  try {
    await walk(lang, js, contexts);
  } finally {
    for (const ctx of contexts)
      await ctx.close().catch(() => {});
  }
}

async function walk(lang, js, contexts) {
  const tag = `${lang}${js ? '' : '-nojs'}`;
  const unique = `кварцит${lang}${js ? 'a' : 'b'}${Date.now() % 100000}`;
  const email = `story.${tag}.${Date.now()}@akimat-test.gov.kz`;
  const opts = { javaScriptEnabled: js, locale: { kk: 'kk-KZ', ru: 'ru-RU', en: 'en-US' }[lang] };
  const problems = [];
  // axe-core runs inside the page: only where JavaScript is on
  const axe = js ? axeCheck : async () => {};
  const open = async (ctx) => {
    const p = await ctx.newPage();
    problems.push(watchConsole(p));
    p.on('dialog', () => { throw new Error('a script ran'); });
    return p;
  };

  // 1. the organisation applies
  const visitor = await browser.newContext(opts);
  contexts.push(visitor);
  let page = await open(visitor);
  await page.goto(`${srv.base}/`);
  assert(page.url().endsWith(`/${lang}`), `"/" goes to the browser's language: ${page.url()}`);
  await page.goto(`${srv.base}/${lang}/apply`);
  await shot(page, `story-apply-${tag}`);
  const form = {
    organization_name: `Аппарат акима ${unique}`, structural_unit: 'Отдел цифровизации',
    last_name: 'Сулейменов', first_name: 'Ерлан', patronymic: 'Болатұлы', position: 'Главный специалист',
    phone: '+7 (7172) 55-00-00', email, access_purpose: 'Учёт информационных систем',
    organization_bin: '240140084002',
  };
  for (const [k, v] of Object.entries(form))
    await page.fill(`[name=${k}]`, v);
  for (const id of ['apply-org-new', 'apply-role-owner-editor', 'apply-personal_data_consent'])
    await page.click(`label[for="${id}"]`);  // USWDS draws the label, not the input
  await submit(page, 'main button[name=_send]');
  assert(/\/apply\?done=sent&ref=A-\d{4}-\d{6}$/.test(page.url()), `applied: ${page.url()}`);

  // 2. the integrator grants it
  const integ = await browser.newContext(opts);
  contexts.push(integ);
  const ip = await open(integ);
  await ip.goto(`${srv.base}/${lang}/signin?next=${encodeURIComponent(`/${lang}/applications`)}`);
  await ip.fill('#signin-email', integrator);
  await ip.fill('#signin-password', PASSWORD);
  await submit(ip, 'main button[type=submit]');
  assert(ip.url().endsWith(`/${lang}/applications`), `the integrator's applications: ${ip.url()}`);
  await axe(ip, `applications ${tag}`);
  await shot(ip, `story-applications-${tag}`);
  const app = (await api('/api/v1/account-applications')).items.find(a => a.form.email === email);
  assert(app, 'the application is listed');
  const org = (await api('/api/v1/objects?limit=1&kind=information_system')).items[0].owner;
  await ip.selectOption(`#grant-${app.id}-organization`, org);
  await submit(ip, `form[action$="/${app.id}/grant"] button`);
  assert(ip.url().endsWith('?done=granted'), `granted: ${ip.url()}`);

  // 3. the user activates the account from the e-mail's link and signs in
  // (the mail server's copy: the portal keeps no usable link)
  const mail = await mails.waitFor(m => m.to.includes(email) && /\/activate\?s=/.test(m.text));
  const link = mail.text.match(/https:\/\/portal\.example\.kz(\/[a-z]{2}\/activate\?s=[A-Za-z0-9_-]+)/)[1];
  await page.goto(`${srv.base}${link}`);
  assert(page.url().includes(`/${lang}/activate?s=`), `activation in the language applied in: ${page.url()}`);
  await page.fill('#link-password', PASSWORD);
  await page.fill('#link-password2', PASSWORD);
  await submit(page, 'main button[type=submit]');
  await page.fill('#signin-email', email);
  await page.fill('#signin-password', PASSWORD);
  await submit(page, 'main button[type=submit]');
  assert(page.url().endsWith(`/${lang}/workspace`), `signed in: ${page.url()}`);

  // 4. records an information system
  await submit(page, 'main a[href$="/objects/new"]');
  await submit(page, 'main a[href$="kind=information_system"]');
  await page.fill(`#f-name-${lang}`, `${words[lang].name} ${unique}`);
  await page.fill('#f-purpose-ru', 'Учёт недропользования');
  await page.fill('#f-functions', 'Приём отчётов\nВедение реестра');
  await page.fill('#f-stored_data', 'Сведения о недропользователях');
  await page.fill('#f-legal_basis', 'Кодекс о недрах');
  await page.fill('#f-contacts', 'Отдел цифровизации, +7 7172 55 00 00');
  await page.selectOption('#f-stage', 'creation');
  await page.selectOption('#f-creation_phase', 'software_development');
  await page.selectOption('#f-class', 'second');
  await page.selectOption('#f-placement', 'icp_eg');
  await page.selectOption('#f-funding_source', 'state_investment_project');
  await shot(page, `story-form-${tag}`);
  await submit(page, '.portal-record-form button[type=submit]:not([name])');
  const m = page.url().match(new RegExp(`/${lang}/objects/([^/?]+)\\?done=created$`));
  assert(m, `created: ${page.url()}`);
  const id = m[1];
  assert(await page.locator('main .usa-alert--success[role=status]').count() === 1, 'the card says it was created');

  // 5. uploads its documents (signed copies, PDF/A)
  for (const type of ['technical_specification', 'contract']) {
    const item = page.locator(`#doc-${type}`);
    await item.locator('input[type=file]').setInputFiles(FX.pdfa1b);
    await Promise.all([page.waitForURL(u => String(u).includes(`uploaded=${type}`)),
                       item.locator('button[type=submit]').click()]);
    assert(await page.locator(`#doc-${type} a[href^="/api/v1/documents/"]`).count() >= 1, `${type} is listed`);
  }
  await axe(page, `card of the owner ${tag}`);
  await shot(page, `story-card-owner-${tag}`);

  // 6. submits it: not yet, Appendix 1's information (items 5 and 14) is
  // data still to fill, each gap linked to its field (002 §12); the rows of
  // the contracts and the general data are filled, then it goes
  await page.goto(`${srv.base}/${lang}/objects/${id}/edit`);
  await submit(page, '.portal-submit-form button[type=submit]');
  for (const field of ['procurement_contracts', 'general_data'])
    assert(await page.locator(`main a[href="/${lang}/objects/${id}/edit#f-${field}"]`).count() === 1,
           `the refusal links to the ${field} field`);
  await axe(page, `submission refused ${tag}`);
  await page.goto(`${srv.base}/${lang}/objects/${id}/edit`);
  await page.fill('#f-procurement_contracts-0-contract_number', '45-ГЗ');
  await page.fill('#f-procurement_contracts-0-contract_date', '2025-03-14');
  await page.fill('#f-procurement_contracts-0-supplier_name', 'ТОО «Разработчик»');
  await page.fill('#f-general_data-summary', 'Учёт недропользования');
  await axe(page, `structured fields ${tag}`);
  await submit(page, '.portal-record-form button[type=submit]:not([name])');
  assert(page.url().endsWith('?done=saved'), `saved: ${page.url()}`);
  await page.goto(`${srv.base}/${lang}/objects/${id}/edit`);
  await submit(page, '.portal-submit-form button[type=submit]');
  assert(page.url().endsWith(`/${lang}/objects/${id}?done=submitted`), `submitted: ${page.url()}`);

  // 7. the integrator returns it with a remark on the purpose
  await ip.goto(`${srv.base}/${lang}/verification`);
  await shot(ip, `story-verification-${tag}`);
  await submit(ip, `a[href="/${lang}/objects/${id}/verify"]`);
  await ip.click('#r-purpose-add > summary');
  await ip.fill('#r-purpose', `Уточните назначение ${unique}`);
  await axe(ip, `verify form ${tag}`);
  await submit(ip, 'button[name=decision][value=return]');
  assert(ip.url().endsWith('?done=returned'), `returned: ${ip.url()}`);

  // 8. the user sees the remark, fixes the purpose and submits again
  await page.goto(`${srv.base}/${lang}/objects/${id}/edit`);
  assert((await page.textContent('.portal-remarks')).includes(`Уточните назначение ${unique}`), 'the remark');
  await page.fill('#f-purpose-ru', words[lang].fix);
  await submit(page, '.portal-record-form button[type=submit]:not([name])');
  assert(page.url().endsWith('?done=saved'), `saved: ${page.url()}`);
  await page.goto(`${srv.base}/${lang}/objects/${id}/edit`);
  await submit(page, '.portal-submit-form button[type=submit]');
  assert(page.url().endsWith('?done=submitted'), `submitted again: ${page.url()}`);

  // 9. the integrator verifies it; the accounting code appears on its card
  await ip.goto(`${srv.base}/${lang}/objects/${id}/verify`);
  await submit(ip, 'button[name=decision][value=accept]');
  assert(ip.url().endsWith(`?record=${id}&done=verified`), `verified: ${ip.url()}`);
  const rec = await api(`/api/v1/objects/${id}`);
  assert(rec.status === 'registered' && /^IS-\d{4}-\d{6}$/.test(rec.accounting_code), JSON.stringify(rec));
  await page.goto(`${srv.base}/${lang}/objects/${id}`);
  assert((await page.textContent('main')).includes(rec.accounting_code), 'the code on the card');
  await shot(page, `story-card-registered-${tag}`);

  // 10. an anonymous visitor finds it by search
  const anon = await browser.newContext(opts);
  contexts.push(anon);
  const ap = await open(anon);
  await ap.goto(`${srv.base}/${lang}`);
  await ap.fill('#home-q', unique);
  await submit(ap, 'form[role=search] button[type=submit]');
  assert(ap.url().includes(`/${lang}/registry?q=`), `the registry: ${ap.url()}`);
  await axe(ap, `registry ${tag}`);
  await shot(ap, `story-registry-${tag}`);
  await submit(ap, `main a[href="/${lang}/objects/${id}"]`);
  assert((await ap.textContent('h1')).includes(unique), 'its card, for the public');
  assert((await ap.textContent('main')).includes(rec.accounting_code), 'with its code');
  assert(!(await ap.textContent('main')).includes('+7 7172 55 00 00'), 'contacts stay hidden from the public');

  // only the browser's own notes of answers the portal gives on purpose
  const real = problems.flat().filter(p => !/^Failed to load resource: .* status of (401|409|422) /.test(p));
  assert(real.length === 0, 'console: ' + real.join('; '));
}

await run([
  ['the whole path in Kazakh  # REQ: ACC-01 ACC-02 REG-03 REG-04 DOC-01 DOC-04 ROL-02 ROL-05 X-I18N-01', () => story('kk', true)],
  ['the whole path in Russian  # REQ: ACC-01 ACC-02 REG-03 REG-04 DOC-01 DOC-04 ROL-02 ROL-05 X-I18N-01', () => story('ru', true)],
  ['the whole path in English  # REQ: ACC-01 ACC-02 REG-03 REG-04 DOC-01 DOC-04 ROL-02 ROL-05 X-I18N-01', () => story('en', true)],
  ['the whole path with JavaScript disabled', () => story('ru', false)],
], async () => {
  await browser.close();
  await srv.stop();
  await mails.stop();
});
