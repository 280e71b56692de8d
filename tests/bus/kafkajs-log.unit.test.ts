// kafkajs's own log in ours: a broker's error answer that kafkajs retries is a warning, a failure stays an error.
import test from 'ava';
import { logLevel, type LogEntry } from 'kafkajs';
import { pino } from 'pino';
import { kafkajsLog } from '../../infrastructure/bus/kafka/kafka.js';

function logged(entries: readonly LogEntry[]): { level: number; msg: string; error?: string }[] {
  const lines: string[] = [];
  const log = kafkajsLog(pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }));
  for (const entry of entries) log(entry);
  return lines.map((line) => JSON.parse(line) as { level: number; msg: string; error?: string });
}

const entry = (level: logLevel, message: string, extra: Record<string, unknown> = {}): LogEntry => ({
  namespace: 'Connection',
  level,
  label: logLevel[level],
  log: { timestamp: '2026-12-03T20:47:41.398Z', message, ...extra },
});

test("a broker's error answer, which kafkajs retries, is logged as a warning with its error", (t) => {
  const [line] = logged([entry(logLevel.ERROR, 'Response GroupCoordinator(key: 10, version: 2)', { error: 'The group coordinator is not available', correlationId: 2 })]);
  t.like(line, { level: 40, msg: 'Response GroupCoordinator(key: 10, version: 2)', error: 'The group coordinator is not available' });
});

test('other kafkajs errors stay errors, and its warnings warnings', (t) => {
  const lines = logged([
    entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'),
    entry(logLevel.ERROR, '[Consumer] Crash: KafkaJSNumberOfRetriesExceeded: Connection error'),
    entry(logLevel.WARN, 'Response without match'),
  ]);
  t.deepEqual(
    lines.map((line) => [line.level, line.msg]),
    [
      [50, 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'],
      [50, '[Consumer] Crash: KafkaJSNumberOfRetriesExceeded: Connection error'],
      [40, 'Response without match'],
    ],
  );
});
