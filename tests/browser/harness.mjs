// Browser test harness: the real archportal binary on a free loopback port
// with its own data directory, Debian's chromium driven by playwright-core,
// axe-core for accessibility, TAP output so meson counts every case.
//
//   import { Server, Browser, run, axeCheck, shot } from './harness.mjs';
//   run([['name  # REQ: X-I18N-01', async () => { … }], …], async () => { cleanup });
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE = process.env.ARCHPORTAL_SOURCE || path.join(here, '../..');
export const BIN = process.env.ARCHPORTAL || path.join(SOURCE, 'build/archportal');
export const ARTIFACTS = process.env.BROWSER_ARTIFACTS || path.join(SOURCE, 'build-check/browser-artifacts');
const { chromium } = await import(path.join(SOURCE, 'node_modules/playwright-core/index.mjs'));
const AXE = readFileSync(path.join(SOURCE, 'node_modules/axe-core/axe.min.js'), 'utf8');

export const LANGS = ['kk', 'ru', 'en'];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

/** Runs an archportal command against dataDir; throws on failure. */
export function cli(dataDir, args, input) {
  const r = spawnSync(BIN, [...args, '--data', dataDir], { input, timeout: 300000 });
  if (r.status !== 0)
    throw new Error(`archportal ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.toString();
}

/** A mail server on loopback that keeps what it is sent (SMTP's minimum:
 * EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT): where the one-time links
 * are, since the portal keeps no usable one.
 *   const mails = await new MailSink().start();  … --smtp smtp://127.0.0.1:${mails.port}
 *   const m = await mails.waitFor(m => m.to.includes(email)); m.text */
export class MailSink {
  constructor() { this.messages = []; this.waiters = []; }
  start() {
    this.server = net.createServer(sock => {
      let buf = '', data = null, to = [];
      sock.write('220 localhost ESMTP browser-tests\r\n');
      sock.on('data', chunk => {
        buf += chunk.toString('latin1');
        let i;
        while ((i = buf.indexOf('\r\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (data !== null) {
            if (line === '.') { this.keep(to, data); data = null; to = []; sock.write('250 kept\r\n'); }
            else data.push(line.startsWith('..') ? line.slice(1) : line);
            continue;
          }
          const verb = line.slice(0, 4).toUpperCase();
          if (verb === 'EHLO') sock.write('250-localhost\r\n250 8BITMIME\r\n');
          else if (verb === 'RCPT') { to.push(line.slice(line.indexOf('<') + 1, line.indexOf('>'))); sock.write('250 ok\r\n'); }
          else if (verb === 'DATA') { data = []; sock.write('354 go on\r\n'); }
          else if (verb === 'QUIT') { sock.end('221 bye\r\n'); }
          else sock.write('250 ok\r\n'); /* HELO, MAIL, RSET, NOOP */
        }
      });
      sock.on('error', () => {});
    });
    return new Promise(resolve => this.server.listen(0, '127.0.0.1', () => {
      this.port = this.server.address().port;
      resolve(this);
    }));
  }
  keep(to, lines) {
    const raw = Buffer.from(lines.join('\r\n'), 'latin1').toString('utf8');
    const cut = raw.indexOf('\r\n\r\n');
    const head = raw.slice(0, cut), body = raw.slice(cut + 4);
    const text = /^Content-Transfer-Encoding:\s*base64/mi.test(head)
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : body;
    this.messages.push({ to, head, text: text.replace(/\r\n/g, '\n') });
    this.waiters = this.waiters.filter(w => !w());
  }
  /** The newest message for which pred holds, once there is one (at most 20 s). */
  waitFor(pred, timeoutMs = 20000) {
    return new Promise((resolve, reject) => {
      const look = () => {
        const found = this.messages.filter(pred);
        if (found.length) { clearTimeout(timer); resolve(found[found.length - 1]); return true; }
        return false;
      };
      const timer = setTimeout(() => reject(new Error(`no such mail among ${this.messages.length}`)), timeoutMs);
      if (!look()) this.waiters.push(look);
    });
  }
  /** The server's arguments that send mail here. */
  args() { return ['--smtp', `smtp://127.0.0.1:${this.port}`, '--mail-from', 'portal@browser.gov.kz',
                   '--scan-every-s', '0']; }
  stop() { return new Promise(resolve => this.server.close(() => resolve())); }
}

export class Server {
  constructor({ demo = false, extra = [] } = {}) {
    this.demo = demo;
    this.extra = extra;
    this.data = mkdtempSync(path.join(os.tmpdir(), 'archportal-browser-'));
  }
  async start() {
    this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    const args = ['serve', '--data', this.data, '--listen', `127.0.0.1:${this.port}`, '--quiet',
                  ...this.extra];
    if (this.demo) {
      args.push('--demo');
      // with the shipped model, a copy of the demo loaded once (tests/demo_template.py)
      if (!this.extra.includes('--model')) {
        const r = spawnSync('/usr/bin/python3', [path.join(SOURCE, 'tests/demo_template.py'), BIN, this.data],
                            { timeout: 300000 });
        if (r.status !== 0) throw new Error(`demo template: ${r.stderr}`);
      }
    }
    this.proc = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.stderr = '';
    this.proc.stderr.on('data', d => { this.stderr += d; });
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`server exited: ${this.stderr}`);
      try {
        const r = await fetch(`${this.base}/healthz`);
        if (r.ok) return this;
      } catch { /* not up yet */ }
      await new Promise(r => setTimeout(r, 100));
    }
    throw new Error('server did not become healthy');
  }
  /** An active user made through the CLI; returns its e-mail. */
  user(role, org, password = 'Corr3ct-Horse-Battery') {
    const email = `${role}-${Math.random().toString(16).slice(2, 10)}@browser.gov.kz`;
    const args = ['user', 'create', '--email', email, '--role', role, '--name', 'Тестов Тест'];
    if (org) args.push('--org', org);
    cli(this.data, args, password + '\n');
    return email;
  }
  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      this.proc.kill('SIGTERM');
      await new Promise(r => this.proc.once('exit', r));
    }
    rmSync(this.data, { recursive: true, force: true });
  }
}

/** Debian's chromium, headless, without the network chatter it would try. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Runs axe-core on the page; throws listing serious and critical violations. */
export async function axeCheck(page, what) {
  await page.evaluate(AXE); // evaluate is not subject to the page's CSP
  const res = await page.evaluate(() => globalThis.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  const bad = res.violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length)
    throw new Error(`${what}: accessibility violations: ` + bad.map(v =>
      `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`).join('; '));
}

/** Keeps a full-page screenshot as a test artifact. */
export async function shot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, name + '.png'), fullPage: true });
}

/** A screenshot for the README (docs/screenshots/NAME.png) of what the
 * window shows, taken only when README_SHOTS=1 (a run that renews them,
 * `README_SHOTS=1 meson test browser-test_layout`), so that ordinary runs
 * leave the source tree alone. Always kept as an artifact too. */
export async function readmeShot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, name + '.png') });
  if (process.env.README_SHOTS === '1') {
    const dir = path.join(SOURCE, 'docs/screenshots');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, name + '.png') });
  }
}

/** Collects what the page says went wrong: CSP violations, script errors. */
export function watchConsole(page) {
  const problems = [];
  page.on('console', m => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', e => problems.push(String(e)));
  return problems;
}

/** The document fixtures made by Ghostscript and LibreOffice, as the e2e
 * tests make them (tests/fixtures/make-documents.py): { name: path }. */
export function docFixtures() {
  const dir = process.env.DOC_FIXTURES || path.join(os.tmpdir(), 'archportal-fixtures');
  const made = spawnSync('/usr/bin/python3', [path.join(SOURCE, 'tests/fixtures/make-documents.py'), dir],
                         { timeout: 600000 });
  if (made.status !== 0) throw new Error('fixtures: ' + made.stderr);
  return Object.fromEntries(made.stdout.toString().trim().split('\n').map(l => l.split('\t')));
}

/** Uploads `file` (a signed PDF/A copy) into every slot the card at
 * cardUrl shows as missing, through the card's own forms (with or without
 * JavaScript); returns the types placed. */
export async function placeMissingDocuments(page, cardUrl, file) {
  await page.goto(cardUrl);
  const types = await page.locator('li.portal-card-doc:has(.portal-tag--missing)')
    .evaluateAll(els => els.map(e => e.id.replace(/^doc-/, '')));
  for (const type of types) {
    const item = page.locator(`#doc-${type}`);
    await item.locator('input[type=file]').setInputFiles(file);
    await Promise.all([page.waitForURL(u => String(u).includes(`uploaded=${type}`)),
                       item.locator('button[type=submit]').click()]);
  }
  return types;
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg || 'assertion failed');
}

/** Runs [name, fn] cases in order, printing TAP, then cleanup(); exits
 * non-zero on failure. */
export async function run(cases, cleanup) {
  console.log(`1..${cases.length}`);
  let failed = 0;
  for (let i = 0; i < cases.length; i++) {
    const [name, fn] = cases[i];
    try {
      await fn();
      console.log(`ok ${i + 1} - ${name}`);
    } catch (e) {
      failed++;
      console.log(`not ok ${i + 1} - ${name}`);
      for (const line of String(e && e.stack || e).split('\n').slice(0, 12))
        console.log('# ' + line);
    }
  }
  try {
    if (cleanup) await cleanup();
  } catch (e) {
    console.log('# cleanup failed: ' + e);
  }
  process.exit(failed ? 1 : 0);
}
