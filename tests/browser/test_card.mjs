// The card of an object in a real browser: accessible in each language
// (axe-core), within the Content-Security-Policy (no console errors), its
// relations' picture clickable, an upload with JavaScript showing its
// progress bar, an upload without JavaScript, and on a phone.
import { docFixtures, Server, launch, axeCheck, shot, watchConsole, assert, run, LANGS } from './harness.mjs';

const FX = docFixtures();

const srv = await new Server({ demo: true }).start();
const browser = await launch();
const PASSWORD = 'Corr3ct-Horse-Battery';
const CARD = 'obj-gzk';             // a registered information system of the demo
const OWNER_ORG = 'org-moa';        // its owner
const NEIGHBOUR = 'obj-dc-astana';  // the data centre it runs on
const editor = srv.user('owner-editor', OWNER_ORG, PASSWORD);

async function signIn(ctx) {
  const r = await ctx.request.post(`${srv.base}/api/v1/session`, { data: { email: editor, password: PASSWORD } });
  assert(r.ok(), `sign-in: ${r.status()} ${await r.text()}`);
}

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

await run(cases, async () => {
  await browser.close();
  await srv.stop();
});
