// Real-browser end-to-end test of Propusk's login, in Debian's Chromium (/usr/bin/chromium)
// driven by playwright-core (which downloads no browser). A plain Node script, no test runner.
//
// Driven by tests/integration/test_browser_login.py, which starts the IdP, a user, an SP and
// the SP's ACS (a loopback http.server), and passes everything in environment variables:
//   PROPUSK_SSO_URL        https://127.0.0.1:PORT/saml/sso
//   PROPUSK_SP_ENTITY_ID   the registered SP's entityID (AuthnRequest Issuer)
//   PROPUSK_ACS_URL        the test ACS (in the SP's metadata)
//   PROPUSK_USER, PROPUSK_PASSWORD, PROPUSK_WRONG_PASSWORD (optional)
//   PROPUSK_CSP_PROBE_URL  optional: a page whose CSP forbids its inline script (a check that
//                          CSP violations do reach the console listener)
//   ARTIFACTS              directory for screenshots (default: a new temporary directory)
//   CHROMIUM               browser executable (default /usr/bin/chromium)
//
// Scenario: SP-initiated Redirect AuthnRequest → login page → wrong password (bilingual error)
// → right password → the auto-POST page's nonce'd script submits the SAMLResponse to the ACS
// (under the IdP's CSP); then, with JavaScript disabled, the noscript button does the POST.
// Prints one JSON line on stdout; exit 0 only when every check passed. Diagnostics: stderr.

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const PLAYWRIGHT_VERSION = require('playwright-core/package.json').version;

const t0 = Date.now();
const env = (name, def) => {
  const v = process.env[name] ?? def;
  if (v === undefined || v === '') throw new Error(`environment variable ${name} is not set`);
  return v;
};
const SSO_URL = env('PROPUSK_SSO_URL');
const SP_ENTITY_ID = env('PROPUSK_SP_ENTITY_ID');
const ACS_URL = env('PROPUSK_ACS_URL');
const USER = env('PROPUSK_USER');
const PASSWORD = env('PROPUSK_PASSWORD');
const WRONG_PASSWORD = env('PROPUSK_WRONG_PASSWORD', PASSWORD + 'x');
const CSP_PROBE_URL = process.env.PROPUSK_CSP_PROBE_URL || '';
const CHROMIUM = env('CHROMIUM', '/usr/bin/chromium');
const ARTIFACTS = process.env.ARTIFACTS || fs.mkdtempSync(path.join(os.tmpdir(), 'propusk-browser-'));
fs.mkdirSync(ARTIFACTS, { recursive: true });

const RELAY_STATE = 'rs-123';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const ERR_RU = 'Неверный логин или пароль';
const ERR_EN = 'Wrong login or password';
const CONTINUE = 'Продолжить / Continue';
const TIMEOUT_MS = 15000;

const checks = {};
const screenshots = {};
const requestIds = {};
const nonces = {};
const consoleLog = [];      // every console message, for the report
const cspViolations = [];   // console messages that mention the Content Security Policy

function check(name, ok, detail = '') {
  checks[name] = { ok: !!ok, detail: String(detail).slice(0, 500) };
  process.stderr.write(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ': ' + String(detail).slice(0, 300) : ''}\n`);
  return !!ok;
}

function xmlAttr(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

// A plain unsigned HTTP-Redirect AuthnRequest (SAML bindings §3.4.4.1: DEFLATE, base64, URL-encode).
function redirectUrl(id) {
  const instant = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const xml =
    '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ' +
    'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ' +
    `ID="${id}" Version="2.0" IssueInstant="${instant}" Destination="${xmlAttr(SSO_URL)}" ` +
    `AssertionConsumerServiceURL="${xmlAttr(ACS_URL)}" ` +
    'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">' +
    `<saml:Issuer>${xmlAttr(SP_ENTITY_ID)}</saml:Issuer>` +
    '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" AllowCreate="true"/>' +
    '</samlp:AuthnRequest>';
  const b64 = zlib.deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64');
  return `${SSO_URL}?SAMLRequest=${encodeURIComponent(b64)}&RelayState=${encodeURIComponent(RELAY_STATE)}`;
}

const newId = () => '_' + crypto.randomBytes(16).toString('hex');
const isAcs = (url) => url.split('?')[0] === ACS_URL;

function watch(page, label, posts) {
  page.on('console', (msg) => {
    const text = msg.text();
    consoleLog.push(`[${label}] ${msg.type()}: ${text} (${msg.location().url || '-'})`);
    if (/Content[- ]Security[- ]Policy/i.test(text)) cspViolations.push(`[${label}] ${text}`);
  });
  page.on('pageerror', (err) => consoleLog.push(`[${label}] pageerror: ${err.message}`));
  page.on('request', (req) => {
    if (req.method() === 'POST' && isAcs(req.url())) posts.push(req.postData() || '');
  });
}

// What the browser POSTed to the ACS: SAMLResponse (Success, InResponseTo) and RelayState.
function checkAcsPost(prefix, posts, id) {
  if (!check(`${prefix}.acs-post-sent`, posts.length === 1, `${posts.length} POST(s) to the ACS`)) return;
  const form = new URLSearchParams(posts[0]);
  const xml = Buffer.from(form.get('SAMLResponse') || '', 'base64').toString('utf8');
  check(`${prefix}.saml-response-success`, xml.includes(SUCCESS) && xml.includes('Assertion'),
        xml.includes(SUCCESS) ? 'status Success, with an Assertion' : 'no Success status: ' + xml.slice(0, 300));
  check(`${prefix}.in-response-to`, xml.includes(`InResponseTo="${id}"`), `InResponseTo ${id}`);
  check(`${prefix}.relay-state`, form.get('RelayState') === RELAY_STATE, `RelayState ${JSON.stringify(form.get('RelayState'))}`);
}

// The auto-POST response: CSP with a script nonce and form-action limited to the ACS origin;
// its body's <script> carries that nonce (the body is readable only while the page stays,
// i.e. without JavaScript; with it the page has already navigated to the ACS).
async function checkAutoPostCsp(prefix, resp, bodyReadable) {
  const csp = (await resp.allHeaders())['content-security-policy'] || '';
  const nonce = (csp.match(/script-src 'nonce-([^']+)'/) || [])[1];
  check(`${prefix}.auto-post.csp`, resp.status() === 200 && nonce && csp.includes('form-action ' + new URL(ACS_URL).origin),
        `HTTP ${resp.status()}; CSP ${csp}`);
  if (bodyReadable) {
    const body = await resp.text();
    check(`${prefix}.auto-post.script-nonce`, nonce && body.includes(`<script nonce="${nonce}">`),
          'the inline script carries the nonce of the CSP header');
  }
  return nonce;
}

async function shot(page, name) {
  const file = path.join(ARTIFACTS, name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  screenshots[name] = file;
}

async function submitLogin(page, password) {
  await page.fill('#username', USER);
  await page.fill('#password', password);
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login',
                         { timeout: TIMEOUT_MS }),
    page.click('button[type=submit]'),
  ]);
  return resp;
}

// Steps 1–4: JavaScript on.
async function withJavaScript(browser) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'ru-RU' });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    const posts = [];
    watch(page, 'js', posts);
    const id = (requestIds.js = newId());

    // 1. SP-initiated: the IdP answers 303 to /login?flow=…
    const first = await page.goto(redirectUrl(id), { waitUntil: 'load' });
    check('js.login-page.http', first && first.status() === 200 && new URL(page.url()).pathname === '/login',
          `HTTP ${first && first.status()} at ${page.url()}`);

    // 2. The login page.
    const title = await page.title();
    check('js.login-page.title', title.includes('Вход'), `title ${JSON.stringify(title)}`);
    check('js.login-page.fields', (await page.locator('#username').count()) === 1 &&
          (await page.locator('#password').count()) === 1, '#username and #password');
    const styled = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
    check('js.login-page.style-nonce', /sans-serif/.test(styled), `body font-family ${styled} (nonce'd <style> applied)`);
    await shot(page, 'login');

    // 3. Wrong password: the bilingual error, on the login page again.
    const bad = await submitLogin(page, WRONG_PASSWORD);
    await page.waitForSelector('p.err');
    const err = await page.textContent('p.err');
    check('js.wrong-password.error', bad.status() === 401 && err.includes(ERR_RU) && err.includes(ERR_EN),
          `HTTP ${bad.status()}; ${JSON.stringify(err)}`);
    check('js.wrong-password.username-kept', (await page.inputValue('#username')) === USER, 'login kept in the form');
    await shot(page, 'login-error');

    // 4. Right password: the auto-POST page must submit itself (nothing is clicked here).
    await page.fill('#password', PASSWORD);
    const [good] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login'),
      page.waitForURL((u) => isAcs(u.toString()), { waitUntil: 'load' }),
      page.click('button[type=submit]'),
    ]);
    nonces.js = await checkAutoPostCsp('js', good, false);
    check('js.acs-page', isAcs(page.url()) && (await page.textContent('body')).includes('ACS received'),
          `ended at ${page.url()}`);
    await shot(page, 'acs');
    checkAcsPost('js', posts, id);
  } finally {
    await context.close();
  }
}

// Step 5: JavaScript off — the noscript button does the POST.
async function withoutJavaScript(browser) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, javaScriptEnabled: false, locale: 'ru-RU' });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    const posts = [];
    watch(page, 'nojs', posts);
    const id = (requestIds.nojs = newId());
    await page.goto(redirectUrl(id), { waitUntil: 'load' });
    check('nojs.login-page', new URL(page.url()).pathname === '/login' && (await page.title()).includes('Вход'),
          `at ${page.url()}`);
    const resp = await submitLogin(page, PASSWORD);
    await page.waitForLoadState('load');
    check('nojs.auto-post-page', resp.status() === 200 && !isAcs(page.url()) && posts.length === 0,
          `HTTP ${resp.status()}, still at ${page.url()} (no script ran)`);
    nonces.nojs = await checkAutoPostCsp('nojs', resp, true);
    check('nojs.nonce-per-response', nonces.nojs && nonces.js && nonces.nojs !== nonces.js,
          'the two auto-POST pages carry different nonces');
    const button = page.getByRole('button', { name: CONTINUE });
    check('nojs.continue-button', await button.isVisible(), `button "${CONTINUE}" visible`);
    await shot(page, 'noscript');
    await Promise.all([
      page.waitForURL((u) => isAcs(u.toString()), { waitUntil: 'load' }),
      button.click(),
    ]);
    check('nojs.acs-page', (await page.textContent('body')).includes('ACS received'), `ended at ${page.url()}`);
    checkAcsPost('nojs', posts, id);
  } finally {
    await context.close();
  }
}

// A control: a page whose CSP refuses its own inline script must produce a console message
// the listener recognises, or "no CSP violation" above would prove nothing.
async function cspProbe(browser) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    const seen = [];
    page.on('console', (msg) => { if (/Content[- ]Security[- ]Policy/i.test(msg.text())) seen.push(msg.text()); });
    await page.goto(CSP_PROBE_URL, { waitUntil: 'load' });
    const deadline = Date.now() + 5000;
    while (seen.length === 0 && Date.now() < deadline) await page.waitForTimeout(50); // polling, with a deadline
    check('csp-probe.listener-sees-violations', seen.length > 0, seen[0] || 'no CSP console message from the probe page');
  } finally {
    await context.close();
  }
}

let browser;
let chromiumVersion = '';
try {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Playwright gives every launch() a fresh temporary --user-data-dir (under $TMPDIR) and
    // removes it on close; it refuses a --user-data-dir in args.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--no-proxy-server'],
    timeout: 30000,
  });
  chromiumVersion = browser.version();
  await withJavaScript(browser);
  await withoutJavaScript(browser);
  check('no-csp-violations', cspViolations.length === 0, cspViolations.join(' | ') || 'none on the IdP flow');
  if (CSP_PROBE_URL) await cspProbe(browser);
} catch (e) {
  check('exception', false, e && e.stack ? e.stack : e);
} finally {
  if (browser) await browser.close().catch((e) => process.stderr.write(`browser.close: ${e}\n`));
}

const ok = Object.keys(checks).length > 0 && Object.values(checks).every((c) => c.ok);
process.stdout.write(JSON.stringify({
  ok, checks, screenshots, artifacts: ARTIFACTS, requestIds, relayState: RELAY_STATE,
  chromium: chromiumVersion, playwrightCore: PLAYWRIGHT_VERSION, node: process.version,
  console: consoleLog.slice(0, 50), elapsedMs: Date.now() - t0,
}) + '\n');
process.exitCode = ok ? 0 : 1;
