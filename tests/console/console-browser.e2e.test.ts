// The ops console in a real browser: playwright-core drives Debian's Chromium (CHROMIUM_PATH, else
// /usr/bin/chromium) against an embedded Chorus in this process. Without a browser the file skips with a NOTICE,
// or fails under CHORUS_REQUIRE_SERVICES=1 (CI installs chromium with apt). One browser serves every test.
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startRoles, type RunningChorus } from '../../api/main.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { Role } from '../../domain/identity/roles.js';
import { loadConfig } from '../../infrastructure/config.js';
import { insertDeadLetter } from '../../projections/dead-letters.js';
import type { Worker } from '../../projections/workers.js';
import { bearerFor, TEST_CONFIG } from '../support/http-specification.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const TARGET = 'projection.feedback';
const HOSTILE = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
const WAIT = { timeout: 15_000 };

/** Makes the wrapped worker's current run crash on demand (as tests/ops/autoheal does). */
class Fault {
  private crashCurrent: (() => void) | null = null;

  wrap = (name: string, worker: Worker): Worker =>
    name !== TARGET
      ? worker
      : {
          ...worker,
          run: async (signal) => {
            const inner = new AbortController();
            signal.addEventListener('abort', () => inner.abort(), { once: true });
            const running = worker.run(inner.signal);
            const crashed = new Promise<'crash'>((resolve) => (this.crashCurrent = () => resolve('crash')));
            const outcome = await Promise.race([running.then(() => 'ended' as const), crashed]);
            if (outcome === 'ended') return;
            inner.abort();
            await running.catch(() => undefined);
            throw new Error('injected crash');
          },
        };

  crash(): void {
    this.crashCurrent!();
  }
}

if (!existsSync(CHROMIUM)) {
  if (process.env.CHORUS_REQUIRE_SERVICES === '1') {
    test('the ops console in Chromium needs a browser', (t) => {
      t.fail(`no Chromium at ${CHROMIUM} (set CHROMIUM_PATH or apt-get install chromium), and CHORUS_REQUIRE_SERVICES=1 forbids skipping`);
    });
  } else {
    console.warn(`NOTICE: the ops console browser tests skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH or apt-get install chromium)`);
    test.skip(`the ops console in Chromium (skipped: no Chromium at ${CHROMIUM})`, () => undefined);
  }
} else {
  let browser: Browser;
  let chorus: RunningChorus;
  const fault = new Fault();

  test.before(async () => {
    const config = loadConfig({ ...TEST_CONFIG, CHORUS_AUTOHEAL_INTERVAL_MS: '200', CHORUS_AUTOHEAL_STALL_MS: '60000' });
    [browser, chorus] = await Promise.all([
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] }),
      startRoles(config, pino({ level: 'silent' }), { wrapWorker: fault.wrap }),
    ]);
    await mkdir(ARTIFACTS, { recursive: true });
  });

  test.after.always(async () => {
    await browser?.close();
    await chorus?.stop();
  });

  const tokenFor = async (roles: readonly Role[]): Promise<string> => (await bearerFor(chorus, roles)).Authorization!.slice('Bearer '.length);

  async function signedIn(roles: readonly Role[]): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused/.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    (page as Page & { problems?: string[] }).problems = problems;
    await page.goto(`${chorus.url}/console?refresh=1000`);
    await page.fill('#token', await tokenFor(roles));
    await page.click('#signin-button');
    return page;
  }

  const problemsOf = (page: Page): string[] => (page as Page & { problems?: string[] }).problems ?? [];

  async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
    for (let attempt = 0; attempt < 300; attempt++) {
      const value = await read();
      if (done(value)) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`never happened: ${what}`);
  }

  async function api<T>(route: string, roles: readonly Role[] = ['operator'], init: RequestInit = {}): Promise<T> {
    const response = await fetch(`${chorus.url}${route}`, { ...init, headers: { ...(await bearerFor(chorus, roles)), ...(init.headers as Record<string, string>) } });
    return (await response.json()) as T;
  }

  /** A dead letter with an attacker's error text, for a feedback event the projection already applied (a retry applies it again, idempotently). */
  async function hostileDeadLetter(): Promise<string> {
    const created = await api<{ id: string }>('/v1/feedback', ['operator'], { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'the console test' }) });
    let event: RecordedEvent | undefined;
    for await (const candidate of chorus.system.store.readAll({ categories: ['feedback'] })) if (candidate.streamId.endsWith(created.id)) event = candidate;
    if (event === undefined) throw new Error('the feedback event is not in the log');
    await insertDeadLetter(chorus.system.database.db, TARGET, event, HOSTILE, 3);
    const letters = await api<{ items: { id: string; eventId: string }[] }>('/v1/ops/dead-letters?status=open');
    return letters.items.find((letter) => letter.eventId === event.eventId)!.id;
  }

  test.serial('an operator signs in and sees every panel filled; a hostile error stays text; a dead letter is retried from the page', async (t) => {
    const letterId = await hostileDeadLetter();
    const page = await signedIn(['operator']);
    await page.waitForSelector('#panels:not([hidden])', WAIT);
    await page.waitForSelector('#panel-health[data-state="ok"]', WAIT);
    t.regex((await page.textContent('#overall-status')) ?? '', /^(ok|degraded|down)$/);
    t.regex((await page.textContent('#panel-health .content')) ?? '', /event-store/);
    await page.waitForSelector('#panel-projections[data-state="ok"]', WAIT);
    t.regex((await page.textContent('#panel-projections .content')) ?? '', /feedback/);
    await page.waitForSelector('#panel-ai[data-state="ok"]', WAIT);
    t.regex((await page.textContent('#panel-ai .content')) ?? '', /local|No AI providers/);
    await page.waitForSelector('#panel-autoheal[data-state="ok"]', WAIT);
    // The graph grows a point per refresh (a flat line at zero lag has no height: attached, not "visible").
    await until(async () => ((await page.getAttribute('#panel-lag svg polyline', 'points')) ?? '').split(' ').length, (points) => points >= 2, 'two lag samples');
    t.regex((await page.textContent('#lag-now')) ?? '', /total lag now: \d+ event/);

    // The audit trail is for admins: the operator sees the panel's 403, not a blank.
    await page.waitForSelector('#panel-audit[data-state="error"]', WAIT);
    t.regex((await page.textContent('#panel-audit .error')) ?? '', /403 AUTH\.FORBIDDEN: the audit trail is for admins only/);

    // The dead letter's error is shown as text: no element made of it, no script run.
    const row = page.locator(`#panel-dead-letters button[data-action="retry"][data-letter="${letterId}"]`);
    await row.waitFor(WAIT);
    t.is(await page.locator('#panel-dead-letters .letter-error').first().textContent(), HOSTILE);
    t.is(await page.locator('#panel-dead-letters img').count(), 0);
    t.is(await page.locator('#panel-dead-letters b').count(), 0);
    t.is(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);

    await mkdir(ARTIFACTS, { recursive: true });
    const screenshot = path.join(ARTIFACTS, 'console-operator.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    t.log(`screenshot: ${screenshot}`);

    // Retry, confirmed: the letter is resolved and leaves the list.
    page.once('dialog', (dialog) => void dialog.accept());
    await row.click();
    await page.waitForSelector('#dead-letter-result.notice:not([hidden])', WAIT);
    t.regex((await page.textContent('#dead-letter-result')) ?? '', new RegExp(`Retry of dead letter ${letterId} done: [12] letter\\(s\\) resolved`), 'its letter, and the stream\'s next event if the projection parked it behind');
    await until(() => row.count(), (count) => count === 0, 'the retried letter leaves the list');
    const resolved = await api<{ items: { id: string }[] }>('/v1/ops/dead-letters?status=resolved');
    t.true(resolved.items.some((letter) => letter.id === letterId));
    t.deepEqual(problemsOf(page), [], 'no CSP violation, no script error');
    await page.context().close();
  });

  test.serial('a dismissed confirmation retries nothing; discard asks too', async (t) => {
    const letterId = await hostileDeadLetter();
    const page = await signedIn(['operator']);
    const discard = page.locator(`#panel-dead-letters button[data-action="discard"][data-letter="${letterId}"]`);
    await discard.waitFor(WAIT);
    page.once('dialog', (dialog) => void dialog.dismiss());
    await discard.click();
    t.true(await page.locator('#dead-letter-result').isHidden());
    t.is((await api<{ items: { id: string }[] }>('/v1/ops/dead-letters?status=open')).items.filter((letter) => letter.id === letterId).length, 1);
    page.once('dialog', (dialog) => void dialog.accept());
    await discard.click();
    await page.waitForSelector('#dead-letter-result.notice:not([hidden])', WAIT);
    t.true((await api<{ items: { id: string }[] }>('/v1/ops/dead-letters?status=discarded')).items.some((letter) => letter.id === letterId));
    await page.context().close();
  });

  test.serial('an auto-heal attempt appears in the timeline after a worker is made to crash', async (t) => {
    const page = await signedIn(['operator']);
    await page.waitForSelector('#panel-autoheal[data-state="ok"]', WAIT);
    const before = Number(await page.textContent('#autoheal-total'));
    fault.crash();
    await until(async () => Number(await page.textContent('#autoheal-total')), (total) => total > before, 'the attempt in the console');
    const timeline = (await page.textContent('#panel-autoheal .autoheal-timeline')) ?? '';
    t.regex(timeline, /projection\.feedback/);
    t.regex(timeline, /crashed/);
    t.regex(timeline, /injected crash/);
    await page.context().close();
  });

  test.serial('an admin also sees the audit trail, hostile reasons as text; a rebuild shows in the projections', async (t) => {
    const started = await fetch(`${chorus.url}/v1/ops/projections/polls/rebuild`, { method: 'POST', headers: await bearerFor(chorus, ['operator']) });
    t.is(started.status, 202);
    await until(() => api<{ rebuild: { status: string } | null }>('/v1/ops/projections/polls'), (status) => status.rebuild?.status === 'completed', 'the rebuild done');
    const page = await signedIn(['admin']);
    await page.waitForSelector('#panel-projections[data-state="ok"]', WAIT);
    const polls = page.locator('#panel-projections tr', { hasText: /^polls/ }).first();
    t.regex((await polls.textContent()) ?? '', /completed \(generation \d+, \d+ events/);
    await page.waitForSelector('#panel-audit[data-state="ok"]', WAIT);
    const audit = (await page.textContent('#panel-audit .content')) ?? '';
    t.regex(audit, /deadletter\.retried/);
    t.regex(audit, /deadletter\.discarded/);
    t.is(await page.locator('#panel-audit img').count(), 0);
    await page.waitForSelector('#panel-health[data-state="ok"]', WAIT);
    await page.waitForSelector('#panel-ai[data-state="ok"]', WAIT);
    const screenshot = path.join(ARTIFACTS, 'console-admin.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    t.log(`screenshot: ${screenshot}`);
    t.deepEqual(problemsOf(page), []);
    await page.context().close();
  });

  test.serial('a viewer gets the 403 message and no operator panels; signing out clears the token', async (t) => {
    const page = await signedIn(['viewer']);
    await page.waitForSelector('#forbidden:not([hidden])', WAIT);
    t.regex((await page.textContent('#forbidden-message')) ?? '', /403 AUTH\.FORBIDDEN: this console is for operators and admins/);
    t.true(await page.locator('#panels').isHidden());
    t.is(await page.locator('#panel-dead-letters button').count(), 0);
    await page.click('#sign-out');
    t.true(await page.locator('#signin').isVisible());
    t.is(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage.getItem('chorus.console.token')), null);
    await page.context().close();
  });

  test.serial('a token refused mid-session (expired, revoked) signs the page out with the reason', async (t) => {
    const page = await signedIn(['operator']);
    await page.waitForSelector('#panel-health[data-state="ok"]', WAIT);
    await page.evaluate(() => (globalThis as unknown as { sessionStorage: { setItem(key: string, value: string): void } }).sessionStorage.setItem('chorus.console.token', 'a.b.c'));
    await page.waitForSelector('#signin:not([hidden])', WAIT);
    t.regex((await page.textContent('#signin-error')) ?? '', /Signed out: 401 AUTH\.INVALID_TOKEN/);
    t.true(await page.locator('#panels').isHidden());
    t.is(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage.getItem('chorus.console.token')), null);
    await page.context().close();
  });

  test.serial('a token the API refuses keeps the sign-in form, with the reason', async (t) => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${chorus.url}/console`);
    await page.fill('#token', 'not-a-valid-key');
    await page.click('#signin-button');
    await page.waitForSelector('#signin-error:not([hidden])', WAIT);
    t.regex((await page.textContent('#signin-error')) ?? '', /Sign-in failed: 401 AUTH\.INVALID_API_KEY/);
    t.true(await page.locator('#panels').isHidden());
    await page.context().close();
  });
}
