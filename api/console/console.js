// The Chorus ops console. Plain browser JavaScript: it signs in with a token kept in sessionStorage, polls the
// operations routes and draws each panel with DOM APIs. Everything the API returns is shown as text
// (textContent), never parsed as HTML: dead-letter errors, audit reasons and names are attacker-controlled.
'use strict';

(() => {
  const TOKEN_KEY = 'chorus.console.token';
  const DEFAULT_REFRESH_MS = 15000;
  const MIN_REFRESH_MS = 1000;
  const MAX_REFRESH_MS = 300000;
  const LAG_SAMPLES = 60;

  const refreshMs = (() => {
    const asked = Number(new URLSearchParams(window.location.search).get('refresh'));
    if (!Number.isFinite(asked) || asked <= 0) return DEFAULT_REFRESH_MS;
    return Math.min(MAX_REFRESH_MS, Math.max(MIN_REFRESH_MS, Math.round(asked)));
  })();

  const $ = (id) => document.getElementById(id);
  const lagSamples = [];
  let timer = null;
  let refreshing = false;
  // A 403 on the audit trail holds for the session: asking again on every refresh would only fill the trail itself.
  let auditRefused = null;

  // --- DOM helpers: every value goes in as text --------------------------------------------------------------
  function el(tag, options = {}, children = []) {
    const node = document.createElement(tag);
    if (options.className) node.className = options.className;
    if (options.text !== undefined) node.textContent = String(options.text);
    for (const [name, value] of Object.entries(options.attrs || {})) node.setAttribute(name, String(value));
    for (const child of children) node.append(child);
    return node;
  }

  const show = (value) => (value === null || value === undefined || value === '' ? '–' : String(value));
  const badge = (status) => el('span', { className: `badge status-${String(status).replace(/[^a-z_]/gi, '')}`, text: show(status) });

  function table(headings, rows) {
    const head = el('thead', {}, [el('tr', {}, headings.map((heading) => el('th', { text: heading })))]);
    const body = el('tbody', {}, rows.map((cells) => el('tr', {}, cells.map((cell) => (cell instanceof Node ? el('td', {}, [cell]) : el('td', { className: 'wrap', text: show(cell) }))))));
    return el('table', {}, [head, body]);
  }

  const time = (iso) => (iso ? new Date(iso).toLocaleString() : '–');

  // --- The API --------------------------------------------------------------------------------------------
  function authorization(token) {
    // An access token is a JWT (three dot-separated parts); anything else is sent as an API key.
    return token.split('.').length === 3 ? `Bearer ${token}` : `ApiKey ${token}`;
  }

  class ApiError extends Error {
    constructor(status, code, detail) {
      super(`${status}${code ? ` ${code}` : ''}: ${detail}`);
      this.status = status;
      this.code = code;
      this.detail = detail;
    }
  }

  async function api(path, method = 'GET') {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) throw new ApiError(401, 'AUTH.REQUIRED', 'not signed in');
    let response;
    try {
      response = await fetch(path, { method, headers: { Authorization: authorization(token), Accept: 'application/json' }, cache: 'no-store' });
    } catch (error) {
      throw new ApiError(0, 'NETWORK', `the API did not answer (${error && error.message ? error.message : 'network error'})`);
    }
    const type = response.headers.get('content-type') || '';
    const body = type.includes('json') ? await response.json().catch(() => null) : null;
    // /v1/ops/health answers 503 with its report when the system is down: that is data, not an error.
    if (response.ok || (response.status === 503 && body && Array.isArray(body.components))) return body;
    throw new ApiError(response.status, body && body.code, (body && (body.detail || body.title)) || response.statusText || 'request failed');
  }

  // --- Panels ---------------------------------------------------------------------------------------------
  function panel(id) {
    const section = $(id);
    return {
      section,
      content: section.querySelector('.content'),
      error: section.querySelector('.error'),
    };
  }

  async function fill(id, load, render) {
    const { section, content, error } = panel(id);
    try {
      const data = await load();
      content.replaceChildren(...[render(data)].flat());
      error.hidden = true;
      error.textContent = '';
      section.dataset.state = 'ok';
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 401) {
        // The token expired or was revoked while the page was open: back to the form, with the reason.
        sessionStorage.removeItem(TOKEN_KEY);
        signedOutView(`Signed out: ${failure.message}`);
        return;
      }
      error.textContent = messageOf(id, failure);
      error.hidden = false;
      content.replaceChildren();
      section.dataset.state = 'error';
    }
  }

  function messageOf(id, failure) {
    if (failure instanceof ApiError && failure.status === 403) {
      return id === 'panel-audit' ? `403 ${failure.code || 'AUTH.FORBIDDEN'}: the audit trail is for admins only (${failure.detail})` : failure.message;
    }
    return failure instanceof Error ? failure.message : String(failure);
  }

  function renderHealth(report) {
    const overall = $('overall-status');
    overall.replaceWith(Object.assign(badge(report.status), { id: 'overall-status' }));
    const rows = (report.components || []).map((component) => [
      component.name,
      component.kind,
      badge(component.status),
      component.latencyMs === undefined ? '–' : `${component.latencyMs} ms`,
      summarise(component.detail),
    ]);
    return [el('p', { className: 'muted', text: `checked ${time(report.checkedAt)} · version ${show(report.version)} · roles ${(report.roles || []).join(', ')}` }), table(['Component', 'Kind', 'Status', 'Latency', 'Detail'], rows)];
  }

  function summarise(detail) {
    if (!detail || typeof detail !== 'object') return show(detail);
    return Object.entries(detail)
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : value}`)
      .join(' · ');
  }

  function projectionState(projection) {
    if (projection.lastError) return 'error';
    if (projection.rebuild && projection.rebuild.status === 'building') return 'building';
    return projection.lag > 0 ? 'behind' : 'live';
  }

  function rebuildText(rebuild) {
    if (!rebuild) return '–';
    const eta = rebuild.etaSeconds === null || rebuild.etaSeconds === undefined ? '' : `, eta ${rebuild.etaSeconds} s`;
    const error = rebuild.lastError ? `, error: ${rebuild.lastError}` : '';
    return `${rebuild.status} (generation ${rebuild.generation}, ${rebuild.processed} events${eta}${error})`;
  }

  function renderProjections({ items }) {
    recordLag(items);
    const rows = items.map((projection) => [
      projection.name,
      badge(projectionState(projection)),
      `${projection.lag}${projection.lagCapped ? '+' : ''}`,
      `v${projection.version}${projection.codeVersion !== projection.version ? ` (code v${projection.codeVersion})` : ''}`,
      projection.lastError ? `${projection.lastError} (${time(projection.lastErrorAt)})` : '–',
      rebuildText(projection.rebuild),
    ]);
    return table(['Projection', 'Status', 'Lag (events)', 'Version', 'Last error', 'Rebuild'], rows);
  }

  function renderDeadLetters({ items }) {
    if (items.length === 0) return el('p', { className: 'muted', text: 'No open dead letters.' });
    const rows = items.map((letter) => [
      letter.id,
      letter.consumer,
      letter.type,
      `${letter.streamId} @${letter.revision}`,
      letter.attempts,
      el('span', { className: 'letter-error', text: letter.error }),
      time(letter.lastFailedAt),
      el('span', {}, [
        actionButton('Retry', 'retry', letter),
        document.createTextNode(' '),
        actionButton('Discard', 'discard', letter),
      ]),
    ]);
    return table(['Id', 'Consumer', 'Event', 'Stream', 'Attempts', 'Error', 'Last failed', 'Actions'], rows);
  }

  function actionButton(label, action, letter) {
    const button = el('button', { text: label, attrs: { type: 'button', 'data-action': action, 'data-letter': letter.id } });
    button.addEventListener('click', async () => {
      const question = `${label} dead letter ${letter.id} (${letter.type} for ${letter.consumer})?`;
      if (!window.confirm(question)) return;
      const result = $('dead-letter-result');
      button.disabled = true;
      try {
        const answer = await api(`/v1/ops/dead-letters/${encodeURIComponent(letter.id)}/${action}`, 'POST');
        const count = action === 'retry' && answer && Array.isArray(answer.items) ? `: ${answer.items.length} letter(s) resolved` : '';
        result.textContent = `${label} of dead letter ${letter.id} done${count}.`;
        result.className = 'notice';
      } catch (failure) {
        result.textContent = `${label} of dead letter ${letter.id} failed: ${messageOf('panel-dead-letters', failure)}`;
        result.className = 'error';
      }
      result.hidden = false;
      await fill('panel-dead-letters', () => api('/v1/ops/dead-letters?status=open&limit=50'), renderDeadLetters);
    });
    return button;
  }

  function renderProviders({ providers }) {
    if (providers.length === 0) return el('p', { className: 'muted', text: 'No AI providers configured.' });
    const rows = providers.map((provider) => [
      provider.name,
      badge(provider.healthy ? 'ok' : 'down'),
      badge(provider.circuit),
      provider.calls,
      provider.failures,
      provider.meanLatencyMs === null || provider.meanLatencyMs === undefined ? '–' : `${Math.round(provider.meanLatencyMs)} ms`,
      provider.lastError,
      time(provider.lastCheckedAt),
    ]);
    return table(['Provider', 'Health', 'Circuit', 'Calls', 'Failed', 'Mean latency', 'Last error', 'Last checked'], rows);
  }

  function renderAutoheal([stats, history]) {
    const rate = stats.success_rate === null || stats.success_rate === undefined ? '–' : `${Math.round(stats.success_rate * 100)} %`;
    const figures = el('div', { className: 'stats' }, [
      figure('Attempts', stats.total_attempts, 'autoheal-total'),
      figure('Successful', stats.successful),
      figure('Failed', stats.failed),
      figure('Success rate', rate),
      figure('Most healed', stats.most_healed ? `${stats.most_healed.target} (${stats.most_healed.attempts})` : '–'),
    ]);
    const timeline =
      history.items.length === 0
        ? el('p', { className: 'muted', text: 'No auto-heal attempts yet.' })
        : table(
            ['When', 'Target', 'Reason', 'Action', 'Result', 'Message'],
            history.items.map((attempt) => [time(attempt.at), attempt.target, attempt.reason, attempt.action, badge(attempt.ok ? 'ok' : 'failed'), attempt.message]),
          );
    timeline.classList.add('autoheal-timeline');
    return [figures, el('h3', { className: 'muted', text: 'Timeline (newest first)' }), timeline];
  }

  function figure(label, value, id) {
    const strong = el('strong', { text: show(value) });
    if (id) strong.id = id;
    return el('div', {}, [el('span', { className: 'muted', text: label }), strong]);
  }

  async function loadAudit() {
    if (auditRefused !== null) throw auditRefused;
    try {
      return await api('/v1/audit?limit=20');
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 403) auditRefused = failure;
      throw failure;
    }
  }

  function renderAudit({ items }) {
    if (items.length === 0) return el('p', { className: 'muted', text: 'No audit entries.' });
    const rows = items.map((entry) => [
      time(entry.occurredAt),
      entry.type,
      entry.actor ? `${show(entry.actor.sub)} (${(entry.actor.roles || []).join(', ')})` : '–',
      entry.subject,
      `${show(entry.method)} ${show(entry.route)}`,
      el('span', { className: 'audit-reason', text: show(entry.reason) }),
    ]);
    return table(['When', 'Type', 'Actor', 'Subject', 'Request', 'Reason'], rows);
  }

  // --- The live lag graph: the last samples of total projection lag, an SVG built node by node -----------------
  function recordLag(items) {
    const total = items.reduce((sum, projection) => sum + (Number(projection.lag) || 0), 0);
    const worst = items.reduce((top, projection) => (top === null || projection.lag > top.lag ? projection : top), null);
    lagSamples.push({ at: Date.now(), total, worst: worst && worst.lag > 0 ? `${worst.name} (${worst.lag})` : null });
    while (lagSamples.length > LAG_SAMPLES) lagSamples.shift();
    drawLag();
  }

  function drawLag() {
    const { section, content, error } = panel('panel-lag');
    const width = 600;
    const height = 140;
    const pad = 24;
    const svgNs = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(svgNs, 'svg');
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('class', 'lag');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'Total projection lag over the last samples');
    const max = Math.max(1, ...lagSamples.map((sample) => sample.total));
    const axis = document.createElementNS(svgNs, 'line');
    for (const [name, value] of Object.entries({ x1: pad, y1: height - pad, x2: width - 4, y2: height - pad, class: 'axis' })) axis.setAttribute(name, String(value));
    svg.append(axis);
    const label = (x, y, text) => {
      const node = document.createElementNS(svgNs, 'text');
      node.setAttribute('x', String(x));
      node.setAttribute('y', String(y));
      node.textContent = text;
      return node;
    };
    svg.append(label(2, pad - 8, String(max)), label(2, height - pad + 4, '0'), label(pad, height - 6, `last ${lagSamples.length} of ${LAG_SAMPLES} samples, every ${refreshMs / 1000} s`));
    const step = (width - pad - 4) / Math.max(1, LAG_SAMPLES - 1);
    const points = lagSamples.map((sample, index) => `${(pad + index * step).toFixed(1)},${(height - pad - (sample.total / max) * (height - 2 * pad)).toFixed(1)}`);
    const line = document.createElementNS(svgNs, 'polyline');
    line.setAttribute('class', 'line');
    line.setAttribute('points', points.join(' '));
    svg.append(line);
    const last = lagSamples[lagSamples.length - 1];
    const caption = el('p', { className: 'muted', attrs: { id: 'lag-now' }, text: last ? `total lag now: ${last.total} event(s)${last.worst ? ` · most behind: ${last.worst}` : ''}` : 'no samples yet' });
    content.replaceChildren(svg, caption);
    error.hidden = true;
    section.dataset.state = 'ok';
  }

  // --- Session and refresh --------------------------------------------------------------------------------
  async function refresh() {
    if (refreshing) return;
    refreshing = true;
    try {
      await Promise.all([
        fill('panel-health', () => api('/v1/ops/health'), renderHealth),
        fill('panel-projections', () => api('/v1/ops/projections'), renderProjections).then(() => {
          if ($('panel-projections').dataset.state === 'error') {
            const lag = panel('panel-lag');
            lag.error.textContent = `no sample: ${panel('panel-projections').error.textContent}`;
            lag.error.hidden = false;
          }
        }),
        fill('panel-dead-letters', () => api('/v1/ops/dead-letters?status=open&limit=50'), renderDeadLetters),
        fill('panel-ai', () => api('/v1/ai/providers/health'), renderProviders),
        fill('panel-autoheal', () => Promise.all([api('/v1/ops/autoheal/stats'), api('/v1/ops/autoheal/history?limit=20')]), renderAutoheal),
        fill('panel-audit', loadAudit, renderAudit),
      ]);
      $('refresh-info').textContent = `refreshed ${new Date().toLocaleTimeString()} · every ${refreshMs / 1000} s`;
    } finally {
      refreshing = false;
    }
  }

  function signedOutView(message) {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
    lagSamples.length = 0;
    auditRefused = null;
    $('panels').hidden = true;
    $('session').hidden = true;
    $('forbidden').hidden = true;
    $('signin').hidden = false;
    const error = $('signin-error');
    error.textContent = message || '';
    error.hidden = !message;
  }

  async function start() {
    try {
      await api('/v1/ops/ping');
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 403) {
        $('signin').hidden = true;
        $('panels').hidden = true;
        $('session').hidden = false;
        $('refresh-info').textContent = '';
        $('forbidden-message').textContent = `403 ${failure.code || 'AUTH.FORBIDDEN'}: this console is for operators and admins. Sign in with a token that has the operator or admin role.`;
        $('forbidden').hidden = false;
        return;
      }
      if (failure instanceof ApiError && failure.status === 401) sessionStorage.removeItem(TOKEN_KEY);
      signedOutView(`Sign-in failed: ${failure.message}`);
      return;
    }
    $('signin').hidden = true;
    $('forbidden').hidden = true;
    $('session').hidden = false;
    $('panels').hidden = false;
    await refresh();
    if (timer === null) timer = window.setInterval(() => void refresh(), refreshMs);
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('signin-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const token = $('token').value.trim();
      $('token').value = '';
      if (token === '') return;
      sessionStorage.setItem(TOKEN_KEY, token);
      void start();
    });
    $('sign-out').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      signedOutView('');
    });
    $('refresh-now').addEventListener('click', () => void refresh());
    if (sessionStorage.getItem(TOKEN_KEY)) void start();
  });
})();
