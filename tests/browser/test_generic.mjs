// A kind added to a copy of the model with its labels only gets working,
// translated, accessible pages with no C written: its list, create form
// (used without JavaScript), card and edit form, in each language, axe
// clean.
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SOURCE, Server, launch, axeCheck, watchConsole, assert, run, LANGS } from './harness.mjs';

const L = (kk, ru, en) => ({ kk, ru, en });
const COLL = L('Сынақ құрылғылары', 'Пробные устройства', 'Trial gadgets');
const KIND = L('Сынақ құрылғысы', 'Пробное устройство', 'Trial gadget');
const model = JSON.parse(readFileSync(path.join(SOURCE, 'model/egov-kz.json'), 'utf8'));
model.enums.trial_colour = { label: L('Түсі', 'Цвет', 'Colour'), values: [
  { id: 'red', label: L('Қызыл', 'Красный', 'Red') }, { id: 'green', label: L('Жасыл', 'Зелёный', 'Green') }] };
model.kinds.trial_gadget = { label: KIND, collection: 'trial_gadgets', owned: true, named: true, fields: [
  { name: 'colour', type: 'enum', enum: 'trial_colour', label: L('Түсі', 'Цвет', 'Colour'),
    help: L('Корпустағы түс', 'Цвет корпуса', 'The colour of the case'), filterable: true, required: true },
  { name: 'serial', type: 'string', label: L('Сериялық нөмірі', 'Серийный номер', 'Serial number'),
    searchable: true, needed: true }] };
model.collections.trial_gadgets = { label: COLL, type: 'records' };
const modelPath = path.join(os.tmpdir(), `archportal-generic-${process.pid}.json`);
writeFileSync(modelPath, JSON.stringify(model));

const srv = await new Server({ demo: true, extra: ['--model', modelPath] }).start();
const browser = await launch();
const PASSWORD = 'Corr3ct-Horse-Battery';
const admin = srv.user('admin', null, PASSWORD);

async function signedIn(options = {}) {
  const ctx = await browser.newContext(options);
  const r = await ctx.request.post(`${srv.base}/api/v1/session`, { data: { email: admin, password: PASSWORD } });
  assert(r.ok(), `sign-in: ${r.status()}`);
  return ctx;
}

let id = null;
const cases = [];
cases.push(['the new kind is created through its form without JavaScript', async () => {
  const ctx = await signedIn({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto(`${srv.base}/ru/trial_gadgets/new`);
  assert((await page.textContent('h1')).length > 0, 'a heading');
  await page.fill('#f-name-ru', 'Прибор из браузера');
  await page.selectOption('#f-colour', 'green');
  await page.fill('#f-serial', 'SN-777');
  const owner = page.locator('#f-owner');
  if (await owner.count()) await owner.selectOption('org-mdai');
  await Promise.all([page.waitForNavigation(), page.click('.portal-record-form button[type=submit]:not([name])')]);
  const m = page.url().match(/\/ru\/trial_gadgets\/([^/?]+)\?done=created$/);
  assert(m, `created: ${page.url()}`);
  id = m[1];
  assert((await page.textContent('main')).includes('SN-777'), 'the card shows the value');
  await ctx.close();
}]);
for (const lang of LANGS) {
  cases.push([`the new kind's list, form and card in ${lang}: translated, accessible  # REQ: X-I18N-01`, async () => {
    const ctx = await signedIn();
    const page = await ctx.newPage();
    const problems = watchConsole(page);
    for (const [url, label] of [[`/${lang}/trial_gadgets`, COLL[lang]], [`/${lang}/trial_gadgets/new`, null],
                                [`/${lang}/trial_gadgets/${id}`, KIND[lang]], [`/${lang}/trial_gadgets/${id}/edit`, null]]) {
      const r = await page.goto(`${srv.base}${url}`);
      assert(r.status() === 200, `${url}: status ${r.status()}`);
      assert(await page.getAttribute('html', 'lang') === lang, `${url}: html lang`);
      if (label) assert((await page.textContent('main')).includes(label), `${url} names "${label}"`);
      await axeCheck(page, `${url}`);
    }
    // the list's facet comes from the enum field, in the page's language
    await page.goto(`${srv.base}/${lang}/trial_gadgets`);
    assert((await page.textContent('main')).includes(model.enums.trial_colour.values[1].label[lang]), 'the facet value');
    assert(problems.length === 0, 'console: ' + problems.join('; '));
    await ctx.close();
  }]);
}

// The data catalogue is served, from the model, for any collection whose
// kinds inherit: reached from the master data list, without script.
const CATALOGUE = L('Деректер каталогы', 'Каталог данных', 'Data catalogue');
const PENSIONER = L('Зейнеткер', 'Пенсионер', 'Pensioner');
cases.push(['the data catalogue of master data in each language, a card with its level, a digital profile: accessible  # REQ: ARC-06, ARC-07, X-I18N-01', async () => {
  const ctx = await signedIn({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  for (const lang of LANGS) {
    await page.goto(`${srv.base}/${lang}/master_data`);
    await Promise.all([page.waitForNavigation(), page.click(`main a:text-is("${CATALOGUE[lang]}")`)]);
    assert(page.url() === `${srv.base}/${lang}/master_data/catalogue`, `catalogue: ${page.url()}`);
    assert(await page.getAttribute('html', 'lang') === lang, 'html lang');
    const entry = page.locator('#rec-md-pensioner');
    const text = await entry.textContent();
    assert(text.includes(PENSIONER[lang]) && text.includes('%'), `the pensioner and its level: ${text}`);
    // its own attributes and those inherited from the individual, with their sources
    assert(await entry.locator('tbody tr').count() >= 12, 'own and inherited attributes');
    assert(await entry.locator('a[href$="/objects/obj-gbd-fl"]').count() > 0, 'a source linked');
  }
  await ctx.close();
  // one language is enough for axe (which needs script): the three share the markup
  const actx = await signedIn();
  const apage = await actx.newPage();
  await apage.goto(`${srv.base}/en/master_data/catalogue`);
  await axeCheck(apage, '/en/master_data/catalogue');
  // a type's card with its digitisation level, and its subject's digital profile
  await apage.goto(`${srv.base}/en/master_data/md-pensioner`);
  assert((await apage.textContent('#measures')).includes('%'), 'the card shows the level');
  await axeCheck(apage, '/en/master_data/md-pensioner');
  await apage.goto(`${srv.base}/en/master_data/md-individual/profile`);
  assert(await apage.locator('main table').count() > 3, 'the profile groups attributes by source');
  await axeCheck(apage, '/en/master_data/md-individual/profile');
  await actx.close();
}]);

await run(cases, async () => {
  await browser.close();
  await srv.stop();
  rmSync(modelPath, { force: true });
});
