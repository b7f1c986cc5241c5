// The integrator's path to a published architecture, in a real browser
// (issue 16's "done when"), on the demo: the checks and the duplicates → the
// initiatives and the target's gap report → a version assembled → submitted
// → the authorized body refuses it with a remark on one element, the
// decision due in 10 working days by the Kazakh calendar → rework →
// resubmitted → approved → an anonymous visitor reads the published
// architecture and downloads it; and a state body creating an object sees
// the similar objects already recorded and the register of trusted
// software's entries first. The integrator in Russian,
// the authorized body in Kazakh, the visitor in English; axe on the new
// pages.
import { Server, launch, axeCheck, shot, watchConsole, assert, run, cli } from './harness.mjs';

const srv = await new Server({ demo: true }).start();
const browser = await launch();
const PASSWORD = 'Corr3ct-Horse-Battery';
const architect = srv.user('integrator-architect', 'org-nit', PASSWORD);
const approver = srv.user('approver', 'org-mdai', PASSWORD);
const editor = srv.user('owner-editor', 'org-health', PASSWORD);
const admin = srv.user('admin', 'org-nit', PASSWORD);
const token = cli(srv.data, ['token', 'create', '--name', 'approval', '--user', admin]).trim();
const CAPABILITY = 'cap-pension', FUNCTION = 'fn-pension', SIMILAR = 'obj-eis-sts';

async function api(p) {
  const r = await fetch(`${srv.base}${p}`, { headers: { Authorization: `Bearer ${token}` } });
  assert(r.ok, `${p}: ${r.status}`);
  return r.json();
}

async function as(email, lang) {
  const ctx = await browser.newContext({ locale: { kk: 'kk-KZ', ru: 'ru-RU', en: 'en-US' }[lang] });
  if (email) {
    const r = await ctx.request.post(`${srv.base}/api/v1/session`, { data: { email, password: PASSWORD } });
    assert(r.ok(), `sign-in: ${r.status()}`);
  }
  const page = await ctx.newPage();
  return { ctx, page, problems: watchConsole(page) };
}

/** Follows the link to href (inside `within`) and waits for its page. */
async function follow(page, href, within = 'main') {
  const link = page.locator(`${within} a[href="${href}"]`).first();
  assert(await link.count() === 1, `no link to ${href} on ${page.url()}`);
  await Promise.all([page.waitForURL(u => u.pathname + u.search === href), link.click()]);
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** An instant as the portal's pages show its local day (Asia/Almaty). */
function localDay(instant) {
  return new Date(Date.parse(instant) + 5 * 3600 * 1000).toISOString().slice(0, 10);
}

async function approvalPath() {
  const integ = await as(architect, 'ru');
  const ip = integ.page;
  // the checks and the duplicates, from the architecture page
  await ip.goto(`${srv.base}/ru/architecture`);
  await follow(ip, '/ru/rules');
  assert(await ip.locator('main table').count() >= 1, 'the checks report');
  await ip.goBack();
  await follow(ip, '/ru/duplicates');
  await axeCheck(ip, 'duplicates ru');
  await ip.goBack();
  // the target architecture: its initiatives and the gap report
  await follow(ip, '/ru/gaps');
  assert((await ip.textContent('main')).includes('Замена ИНИС'), 'the initiatives in the gap report');
  // a version assembled from the architecture as it is
  await ip.goto(`${srv.base}/ru/architecture_versions/new`);
  await ip.fill('#f-name-ru', 'Архитектура электронного правительства 2027');
  await submit(ip, '.portal-record-form button[type=submit]:not([name])');
  const m = ip.url().match(/\/ru\/architecture_versions\/([^/?]+)\?done=created$/);
  assert(m, `assembled: ${ip.url()}`);
  const id = m[1];
  assert(await ip.locator('#frozen a[href$="/elements"]').count() === 1, 'the card leads to its elements');
  await axeCheck(ip, 'version card ru');
  // submitted for approval
  await ip.goto(`${srv.base}/ru/architecture_versions/${id}/edit`);
  await submit(ip, '.portal-submit-form button[type=submit]');
  assert(ip.url().endsWith(`/ru/architecture_versions/${id}?done=submitted`), `submitted: ${ip.url()}`);

  // the authorized body: the version in its queue, due in 10 working days
  const body = await as(approver, 'kk');
  const bp = body.page;
  await bp.goto(`${srv.base}/kk/verification`);
  const row = bp.locator(`tr:has(a[href="/kk/architecture_versions/${id}/verify"])`);
  assert(await row.count() === 1, 'the version awaits the authorized body');
  const wf = await api(`/api/v1/architecture_versions/${id}/workflow`);
  const ob = wf.obligations.find(o => o.done_at === null);
  assert(ob && ob.policy === 'architecture_approval' && ob.policy_value === 10, JSON.stringify(wf.obligations));
  const due = (await api(`/api/v1/calendar/add?at=${encodeURIComponent(ob.started_at)}&days=10`)).due;
  assert(ob.due_at === due, `due by the calendar: ${ob.due_at} vs ${due}`);
  assert((await row.textContent()).includes(localDay(due)), `the queue shows the due day ${localDay(due)}`);
  // it reads the version and remarks on one element
  await bp.goto(`${srv.base}/kk/architecture_versions/${id}/elements?collection=capabilities`);
  await axeCheck(bp, 'version elements kk');
  await follow(bp, `/kk/architecture_versions/${id}/elements/${CAPABILITY}`);
  await axeCheck(bp, 'version element kk');
  await follow(bp, `/kk/architecture_versions/${id}/verify?element=${CAPABILITY}`);
  assert(await bp.inputValue('#r-element') === CAPABILITY, 'the element chosen');
  await bp.fill('#r-element-text', 'Мүмкіндікті «Әлеуметтік қамсыздандырумен» біріктіру керек');
  await axeCheck(bp, 'version review kk');
  await submit(bp, 'button[name=decision][value=return]');
  assert(bp.url().endsWith('?done=returned'), `refused: ${bp.url()}`);
  const events = (await api(`/api/v1/architecture_versions/${id}/workflow`)).events;
  assert(JSON.stringify(events.at(-1).remarks) ===
         JSON.stringify([{ element: CAPABILITY, text: 'Мүмкіндікті «Әлеуметтік қамсыздандырумен» біріктіру керек' }]),
         `the remark on the element: ${JSON.stringify(events.at(-1))}`);

  // rework: the integrator reads the remark, saves the version again (it is
  // assembled anew) and resubmits it
  await ip.goto(`${srv.base}/ru/architecture_versions/${id}/edit`);
  assert((await ip.textContent('main')).includes('Әлеуметтік қамсыздандырумен'), 'the remark shows to the integrator');
  await ip.fill('#f-description-ru', 'Доработана по замечаниям уполномоченного органа');
  await submit(ip, '.portal-record-form button[type=submit]:not([name])');
  assert(ip.url().endsWith('?done=saved'), `saved: ${ip.url()}`);
  await ip.goto(`${srv.base}/ru/architecture_versions/${id}/edit`);
  await submit(ip, '.portal-submit-form button[type=submit]');
  assert(ip.url().endsWith('?done=submitted'), `resubmitted: ${ip.url()}`);
  // approved
  await bp.goto(`${srv.base}/kk/architecture_versions/${id}/verify`);
  await submit(bp, 'button[name=decision][value=accept]');
  const v = await api(`/api/v1/architecture_versions/${id}`);
  assert(v.status === 'approved', `approved: ${JSON.stringify(v)}`);

  // an anonymous visitor reads the published architecture and downloads it
  const anon = await as(null, 'en');
  const ap = anon.page;
  await ap.goto(`${srv.base}/en/architecture`);
  await follow(ap, `/en/architecture_versions/${id}/elements`);
  await axeCheck(ap, 'published version en');
  await follow(ap, `/en/architecture_versions/${id}/elements?collection=functions`);
  await follow(ap, `/en/architecture_versions/${id}/elements/${FUNCTION}`);
  assert(await ap.locator('h1').textContent() !== '', 'the function as it was');
  await shot(ap, 'published-element-en');
  const href = await ap.getAttribute('main a[download][href$="/content"]', 'href');
  const r = await anon.ctx.request.get(`${srv.base}${href}`);
  assert(r.ok(), `download: ${r.status()}`);
  const doc = await r.json();
  assert(doc.version.hash === v.content_hash && doc.records.some(x => x.id === FUNCTION), 'the published content');
  const live = await anon.ctx.request.get(`${srv.base}/en/functions/${FUNCTION}`);
  assert(live.status() === 404, 'the working architecture stays with those who work on it');
  for (const who of [integ, body, anon]) {
    assert(who.problems.length === 0, `console: ${who.problems.join('; ')}`);
    await who.ctx.close();
  }
}

async function similarFirst() {
  // a state body creating an object sees the similar ones already recorded
  const st = await as(editor, 'ru');
  const p = st.page;
  await p.goto(`${srv.base}/ru/objects/new?kind=information_system`);
  await p.fill('#f-name-ru', 'Информационная система социально-трудовой сферы');
  await submit(p, 'button[name=_similar]');
  const hint = p.locator(`main a[href="/ru/objects/${SIMILAR}"]`);
  assert(await hint.count() >= 1, 'the similar object is offered before anything is created');
  assert(await p.inputValue('#f-name-ru') === 'Информационная система социально-трудовой сферы', 'the form is kept');
  await axeCheck(p, 'similar objects ru');
  // and the register of trusted software's entries alike, in a list of their own
  await p.fill('#f-name-ru', 'Система электронного документооборота');
  await submit(p, 'button[name=_similar]');
  const entries = p.locator('main .portal-register-list a[href^="/ru/trusted_register/"]');
  assert(await entries.count() >= 1 && (await entries.first().textContent()).includes('Qujat'),
         'the register\'s entry is offered before anything is built or bought');
  await axeCheck(p, 'similar register entries ru');
  await st.ctx.close();
}

await run([
  // REQ: ARC-15
  ['the integrator\'s path: checks, duplicates, gaps, a version refused on an element, reworked, approved, read by the public', approvalPath],
  // REQ: SVC-02
  ['a state body creating an object sees similar objects first', similarFirst],
], async () => {
  await browser.close();
  await srv.stop();
});
