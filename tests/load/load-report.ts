// What a load run measured, the figures drawn from it (per stage and per endpoint), the verdict against the
// thresholds, and the tables printed. Pure: tests/load/load-report.unit.test.ts covers it.
import { ENDPOINTS, type EndpointName, type Stage } from './load-plan.js';

/** One endpoint's answers within a stage, as the load generator counted them. */
export type EndpointMeasurement = {
  /** Every answer's latency, whatever its status. */
  latenciesMs: number[];
  /** Answers per HTTP status. */
  statuses: Record<string, number>;
  /** Requests that got no answer: connection errors and timeouts. */
  failures: number;
};

export type StageMeasurement = Readonly<{
  stage: Stage;
  /** From the stage's start to its last answer, as measured (autocannon ends a stage a moment after its duration). */
  elapsedSeconds: number;
  endpoints: Partial<Record<EndpointName, EndpointMeasurement>>;
}>;

export type Figures = Readonly<{
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Answers with another status than the endpoint's expected one, plus requests without an answer. */
  errors: number;
  errorRate: number;
}>;

export type StageRow = Figures & Readonly<{ stage: string; connections: number; seconds: number }>;
export type EndpointRow = Figures & Readonly<{ endpoint: EndpointName; statuses: Readonly<Record<string, number>> }>;

export type Thresholds = Readonly<{ p95Ms: number; maxErrorRate: number }>;
export type Verdict = Readonly<{ passed: boolean; breaches: readonly string[] }>;

/** Nearest rank (the smallest value with at least q of all values at or below it); NaN without values. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

const emptyMeasurement = (): EndpointMeasurement => ({ latenciesMs: [], statuses: {}, failures: 0 });

function merged(parts: readonly EndpointMeasurement[]): EndpointMeasurement {
  const all = emptyMeasurement();
  for (const part of parts) {
    for (const latency of part.latenciesMs) all.latenciesMs.push(latency);
    for (const [status, count] of Object.entries(part.statuses)) all.statuses[status] = (all.statuses[status] ?? 0) + count;
    all.failures += part.failures;
  }
  return all;
}

const unexpectedAnswers = (name: EndpointName, measurement: EndpointMeasurement): number =>
  Object.entries(measurement.statuses).reduce((sum, [status, count]) => (Number(status) === ENDPOINTS[name].expectedStatus ? sum : sum + count), 0);

function figures(parts: ReadonlyArray<readonly [EndpointName, EndpointMeasurement]>, seconds: number): Figures {
  const all = merged(parts.map(([, measurement]) => measurement));
  const answers = Object.values(all.statuses).reduce((sum, count) => sum + count, 0);
  const requests = answers + all.failures;
  const errors = all.failures + parts.reduce((sum, [name, measurement]) => sum + unexpectedAnswers(name, measurement), 0);
  const sorted = [...all.latenciesMs].sort((a, b) => a - b);
  return {
    requests,
    requestsPerSecond: seconds > 0 ? requests / seconds : 0,
    p50Ms: percentile(sorted, 0.5),
    p95Ms: percentile(sorted, 0.95),
    p99Ms: percentile(sorted, 0.99),
    errors,
    errorRate: requests === 0 ? 0 : errors / requests,
  };
}

const entriesOf = (measurement: StageMeasurement) => Object.entries(measurement.endpoints) as Array<[EndpointName, EndpointMeasurement]>;

/** A row per stage, then the whole run as `all` (its seconds the sum of the stages'). */
export function stageRows(measurements: readonly StageMeasurement[]): StageRow[] {
  const rows = measurements.map((measurement) => ({
    stage: String(measurement.stage.index),
    connections: measurement.stage.connections,
    seconds: measurement.elapsedSeconds,
    ...figures(entriesOf(measurement), measurement.elapsedSeconds),
  }));
  const seconds = measurements.reduce((sum, measurement) => sum + measurement.elapsedSeconds, 0);
  const peak = Math.max(0, ...measurements.map((measurement) => measurement.stage.connections));
  return [...rows, { stage: 'all', connections: peak, seconds, ...figures(measurements.flatMap(entriesOf), seconds) }];
}

/** A row per endpoint over the whole run, in ENDPOINTS order. */
export function endpointRows(measurements: readonly StageMeasurement[]): EndpointRow[] {
  const seconds = measurements.reduce((sum, measurement) => sum + measurement.elapsedSeconds, 0);
  return (Object.keys(ENDPOINTS) as EndpointName[]).flatMap((name) => {
    const parts = measurements.flatMap((measurement) => {
      const part = measurement.endpoints[name];
      return part === undefined ? [] : [[name, part] as const];
    });
    if (parts.length === 0) return [];
    const statuses = merged(parts.map(([, part]) => part)).statuses;
    return [{ endpoint: name, statuses, ...figures(parts, seconds) }];
  });
}

/** Every stage must keep its p95 and its error rate within the thresholds, and complete at least one request. */
export function verdict(rows: readonly StageRow[], thresholds: Thresholds): Verdict {
  const breaches: string[] = [];
  for (const row of rows.filter((stage) => stage.stage !== 'all')) {
    const name = `stage ${row.stage} (${row.connections} connections)`;
    if (row.requests === 0) {
      breaches.push(`${name}: no request completed`);
      continue;
    }
    if (row.p95Ms > thresholds.p95Ms) breaches.push(`${name}: p95 ${formatMs(row.p95Ms)} ms > ${formatMs(thresholds.p95Ms)} ms`);
    if (row.errorRate > thresholds.maxErrorRate) breaches.push(`${name}: error rate ${formatRate(row.errorRate)} > ${formatRate(thresholds.maxErrorRate)} (${row.errors} of ${row.requests})`);
  }
  return { passed: breaches.length === 0, breaches };
}

export const formatMs = (ms: number): string => (Number.isNaN(ms) ? '-' : ms >= 100 ? Math.round(ms).toString() : ms.toFixed(1));
export const formatRate = (rate: number): string => `${(rate * 100).toFixed(rate === 0 || rate >= 0.1 ? 1 : 2)} %`;
const formatCount = (count: number): string => Math.round(count).toLocaleString('en');

/** A Markdown table, columns padded: readable in a terminal and pasteable into a README. Numeric columns align right. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, rightAligned: ReadonlySet<number>): string {
  const widths = header.map((title, column) => Math.max(title.length, 3, ...rows.map((row) => row[column]!.length)));
  const pad = (text: string, column: number) => (rightAligned.has(column) ? text.padStart(widths[column]!) : text.padEnd(widths[column]!));
  const line = (cells: readonly string[]) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (rightAligned.has(column) ? ` ${'-'.repeat(width - 1)}: ` : ` ${'-'.repeat(width)} `)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const figureCells = (row: Figures): string[] => [
  formatCount(row.requests),
  row.requestsPerSecond.toFixed(1),
  formatMs(row.p50Ms),
  formatMs(row.p95Ms),
  formatMs(row.p99Ms),
  formatCount(row.errors),
  formatRate(row.errorRate),
];

const FIGURE_COLUMNS = ['requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'error rate'];

export function renderStageTable(rows: readonly StageRow[]): string {
  const header = ['stage', 'connections', 'seconds', ...FIGURE_COLUMNS];
  const cells = rows.map((row) => [row.stage, String(row.connections), row.seconds.toFixed(1), ...figureCells(row)]);
  return markdownTable(header, cells, new Set(header.map((_, column) => column).filter((column) => column > 0)));
}

/** Statuses by count, the unanswered as `no answer`: `201×812, 429×3, no answer×1`. */
export const statusSummary = (statuses: Readonly<Record<string, number>>): string =>
  Object.entries(statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status}×${count}`)
    .join(', ');

export function renderEndpointTable(rows: readonly EndpointRow[], failuresOf: (endpoint: EndpointName) => number): string {
  const header = ['endpoint', 'route', ...FIGURE_COLUMNS, 'answers'];
  const cells = rows.map((row) => {
    const endpoint = ENDPOINTS[row.endpoint];
    const failures = failuresOf(row.endpoint);
    const answers = statusSummary(failures > 0 ? { ...row.statuses, 'no answer': failures } : row.statuses);
    return [row.endpoint, `${endpoint.method} ${endpoint.route}`, ...figureCells(row), answers];
  });
  return markdownTable(header, cells, new Set(FIGURE_COLUMNS.map((_, index) => index + 2)));
}

/** Requests of an endpoint that got no answer, over the whole run. */
export const failuresOf = (measurements: readonly StageMeasurement[]) => (endpoint: EndpointName): number =>
  measurements.reduce((sum, measurement) => sum + (measurement.endpoints[endpoint]?.failures ?? 0), 0);

/** Hints for answers that say more about the target's settings than about its speed. */
export function notesOn(rows: readonly EndpointRow[]): string[] {
  const notes: string[] = [];
  if (rows.some((row) => (row.statuses['429'] ?? 0) > 0)) {
    notes.push(
      '429 answers: the target rate-limited the load (per address CHORUS_RATE_LIMIT_IP_PER_MIN, default 1000/min; per user CHORUS_RATE_LIMIT_USER_PER_MIN, default 100/min). ' +
        'Raise them on the target for a load test from one machine.',
    );
  }
  if (rows.some((row) => (row.statuses['401'] ?? 0) > 0)) notes.push('401 answers: a token expired or was refused during the run.');
  return notes;
}
