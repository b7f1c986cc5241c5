// The monitoring of an ICT project in a real browser (issue 17's "done
// when"), on the demo, through the pages' forms: a state body records a
// project → the service integrator assesses it at the planning stage with
// one (recommended) criterion not met → the conclusion "partially complies"
// and a recommendation with its deadline → the body carries it out → the
// integrator confirms it → the last quarter's report is submitted and the
// authorized body receives it → an anonymous visitor finds the project on
// the transparency page, in Kazakh, Russian and English. The body and the
// integrator in Russian, the authorized body in Kazakh; axe on the new
// pages.
import { Server, launch, axeCheck, shot, watchConsole, assert, run, cli } from './harness.mjs';

const srv = await new Server({ demo: true }).start();
const browser = await launch();
const PASSWORD = 'Corr3ct-Horse-Battery';
const editor = srv.user('owner-editor', 'org-health', PASSWORD);
const architect = srv.user('integrator-architect', 'org-nit', PASSWORD);
const approver = srv.user('approver', 'org-mdai', PASSWORD);
const admin = srv.user('admin', 'org-nit', PASSWORD);
const token = cli(srv.data, ['token', 'create', '--name', 'monitoring', '--user', admin]).trim();
const NAME = 'Цифровая поликлиника: запись к врачу онлайн';

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

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** The record's id after its create form was sent (…/{id}?done=created). */
function created(page, coll) {
  const m = page.url().match(new RegExp(`/${coll}/([^/?]+)\\?done=created$`));
  assert(m, `created ${coll}: ${page.url()}`);
  return m[1];
}

/** Sends the record's workflow step offered on its edit page. */
async function step(page, lang, coll, id) {
  await page.goto(`${srv.base}/${lang}/${coll}/${id}/edit`);
  await submit(page, '.portal-submit-form button[type=submit]');
  assert(page.url().endsWith('?done=submitted'), `${coll} step: ${page.url()}`);
}

/** The last quarter that has ended, as [first day, last day]. */
function lastQuarter() {
  const now = new Date(Date.now() + 5 * 3600 * 1000); // Kazakhstan's day
  const q0 = Math.floor(now.getUTCMonth() / 3) * 3;
  const end = new Date(Date.UTC(now.getUTCFullYear(), q0, 0));
  const start = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 2, 1));
  return [start.toISOString().slice(0, 10), end.toISOString().slice(0, 10)];
}

async function story() {
  // a state body records its project
  const body = await as(editor, 'ru');
  const bp = body.page;
  await bp.goto(`${srv.base}/ru/projects/new`);
  await bp.fill('#f-name-ru', NAME);
  await bp.selectOption('#f-project_type', 'create_object');
  await bp.selectOption('#f-stage', 'planning');
  await bp.selectOption('#f-funding_source', 'state_investment_project');
  await submit(bp, '.portal-record-form button[type=submit]:not([name])');
  const project = created(bp, 'projects');

  // the integrator assesses it at the planning stage: one recommended
  // criterion not met
  const integ = await as(architect, 'ru');
  const ip = integ.page;
  await ip.goto(`${srv.base}/ru/assessments/new?project=${project}&owner=org-health`);
  await ip.fill('#f-name-ru', 'Оценка на этапе планирования');
  await ip.selectOption('#f-stage', 'planning');
  await ip.fill('#f-answers-0-criterion', 'crit-plan-architecture');
  await ip.selectOption('#f-answers-0-result', 'met');
  await ip.fill('#f-answers-1-criterion', 'crit-plan-reuse');
  await ip.selectOption('#f-answers-1-result', 'not_met');
  await submit(ip, '.portal-record-form button[type=submit]:not([name])');
  const assessment = created(ip, 'assessments');
  await step(ip, 'ru', 'assessments', assessment); // issued
  const a = await api(`/api/v1/assessments/${assessment}`);
  assert(a.status === 'issued' && a.conclusion === 'partially_complies', `issued: ${JSON.stringify(a)}`);
  await ip.goto(`${srv.base}/ru/assessments/${assessment}`);
  assert((await ip.textContent('main')).includes('Частично соответствует'), 'the conclusion on the card');
  // the recommendation made of the unmet criterion, sent to the body with its deadline
  const recs = await api(`/api/v1/recommendations?filter=assessment:${assessment}`);
  assert(recs.items.length === 1, `one recommendation: ${JSON.stringify(recs.items)}`);
  const rec = recs.items[0].id;
  await step(ip, 'ru', 'recommendations', rec); // issued to the body
  const wf = await api(`/api/v1/recommendations/${rec}/workflow`);
  const due = wf.obligations.find(o => o.policy === 'recommendation_rework' && !o.done_at);
  assert(due && due.due_at, `its deadline: ${JSON.stringify(wf.obligations)}`);
  await ip.goto(`${srv.base}/ru/recommendations/${rec}`);
  await axeCheck(ip, 'recommendation card ru');

  // the body carries it out
  await bp.goto(`${srv.base}/ru/recommendations/${rec}/edit`);
  await bp.fill('#f-report-ru', 'Повторное использование платформы учтено в техническом задании');
  await submit(bp, '.portal-record-form button[type=submit]:not([name])');
  await step(bp, 'ru', 'recommendations', rec);
  // the integrator confirms it
  await ip.goto(`${srv.base}/ru/recommendations/${rec}/verify`);
  await submit(ip, 'button[name=decision][value=accept]');
  assert((await api(`/api/v1/recommendations/${rec}`)).status === 'confirmed', 'confirmed');

  // the last quarter's report: made, submitted to the authorized body
  const [start, end] = lastQuarter();
  await ip.goto(`${srv.base}/ru/implementation_reports/new`);
  await ip.fill('#f-name-ru', `Отчёт о реализации архитектуры за квартал ${start} – ${end}`);
  await ip.selectOption('#f-period_type', 'quarter');
  await ip.fill('#f-period_start', start);
  await ip.fill('#f-period_end', end);
  await submit(ip, '.portal-record-form button[type=submit]:not([name])');
  const report = created(ip, 'implementation_reports');
  const rows = ip.locator('#tally tbody tr');
  assert(await rows.count() >= 2, 'a row per body and the country\'s');
  assert(await ip.locator(`#tally a[href="/ru/organizations/org-health"]`).count() === 1, 'the body\'s row');
  await axeCheck(ip, 'report card ru');
  await step(ip, 'ru', 'implementation_reports', report);

  // the authorized body receives it
  const auth = await as(approver, 'kk');
  const ap = auth.page;
  await ap.goto(`${srv.base}/kk/implementation_reports/${report}/verify`);
  await submit(ap, 'button[name=decision][value=accept]');
  const r = await api(`/api/v1/implementation_reports/${report}`);
  assert(r.status === 'received' && r.received_on, `received: ${JSON.stringify(r.status)}`);
  const mine = r.results.find(x => x.body === 'org-health');
  assert(mine && mine.projects >= 1, `the body's projects counted: ${JSON.stringify(mine)}`);
  await ap.goto(`${srv.base}/kk/implementation_reports/${report}`);
  await axeCheck(ap, 'received report kk');
  await shot(ap, 'implementation-report-kk');

  // an anonymous visitor sees the project on the transparency page
  const anon = await as(null, 'en');
  for (const lang of ['kk', 'ru', 'en']) {
    const res = await anon.page.goto(`${srv.base}/${lang}/projects?q=${encodeURIComponent('поликлиника')}`);
    assert(res.status() === 200, `projects ${lang}: ${res.status()}`);
    assert(await anon.page.locator(`main a[href="/${lang}/projects/${project}"]`).count() === 1,
           `the project on the transparency page in ${lang}`);
  }
  await axeCheck(anon.page, 'transparency en');
  const gone = await anon.ctx.request.get(`${srv.base}/en/implementation_reports/${report}`);
  assert(gone.status() === 404, 'the report is for those signed in');
  for (const who of [body, integ, auth, anon]) {
    assert(who.problems.length === 0, `console: ${who.problems.join('; ')}`);
    await who.ctx.close();
  }
}

await run([
  // REQ: MON-01
  // REQ: MON-02
  // REQ: MON-05
  // REQ: MON-06
  // REQ: X-TRN-01
  ['a project recorded, assessed, its recommendation carried out and confirmed, the quarter\'s report received, the project public', story],
], async () => {
  await browser.close();
  await srv.stop();
});
