// The figures a run prints: each names what it measured, Chorus's result and, where it applies, Emmett's,
// printed as a Markdown table (pasteable into tests/bench/README.md) or as JSON.

/** Further figures of one measurement (percentiles, error counts), shown after its value. */
export type Details = Readonly<Record<string, number | string | boolean>>;

export type Result =
  | Readonly<{
      value: number;
      /** Every round's value, when `value` is their median. */
      rounds?: readonly number[];
      details?: Details;
    }>
  | Readonly<{ skipped: string }>;

export type Figure = Readonly<{
  name: string;
  unit: 'ev/s' | 'req/s' | 'MB' | 'ms';
  chorus: Result;
  /** Absent where Emmett has nothing to compare. */
  emmett?: Result;
}>;

export const skipped = (reason: string): Result => ({ skipped: reason });

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const fromRounds = (rounds: readonly number[], details?: Details): Result => ({
  value: median(rounds),
  rounds,
  ...(details === undefined ? {} : { details }),
});

/** Chorus/Emmett, when both were measured. */
export function ratio(figure: Figure): number | undefined {
  const { chorus, emmett } = figure;
  if (emmett === undefined || 'skipped' in chorus || 'skipped' in emmett || emmett.value === 0) return undefined;
  return chorus.value / emmett.value;
}

const number = (value: number): string =>
  Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en') : Number(value.toPrecision(3)).toLocaleString('en');

function cell(result: Result | undefined, unit: string): string {
  if (result === undefined) return '';
  if ('skipped' in result) return result.skipped;
  return `${number(result.value)} ${unit}`;
}

function detailsOf(result: Result): string {
  if ('skipped' in result) return '';
  const parts = Object.entries(result.details ?? {}).map(([name, value]) => `${name} ${typeof value === 'number' ? number(value) : String(value)}`);
  if (result.rounds !== undefined && result.rounds.length > 1) parts.push(`rounds ${result.rounds.map(number).join(' / ')}`);
  return parts.join(', ');
}

export function table(figures: readonly Figure[]): string {
  const rows = figures.map((figure) => {
    const r = ratio(figure);
    const emmettDetails = figure.emmett === undefined ? '' : detailsOf(figure.emmett);
    const details = [detailsOf(figure.chorus), emmettDetails === '' ? '' : `Emmett: ${emmettDetails}`].filter((part) => part !== '').join('; ');
    return [figure.name, cell(figure.chorus, figure.unit), cell(figure.emmett, figure.unit), r === undefined ? '' : `${r.toFixed(2)}×`, details];
  });
  const header = ['figure', 'Chorus', 'Emmett', 'Chorus/Emmett', 'details'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((text, column) => text.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function asJson(figure: Figure): Record<string, unknown> {
  const r = ratio(figure);
  return { ...figure, ...(r === undefined ? {} : { ratio: Number(r.toFixed(3)) }) };
}
