import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { TEST_CONFIG, TEST_JWT_SECRET } from '../support/http-specification.js';
import { bearerSignedWith } from '../support/tokens.js';

test('SIGTERM lets the request in flight finish, then exits 0', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/cli/chorus.ts', 'start'], {
    // Signs with TEST_JWT_SECRET (TEST_CONFIG's), so that the test can sign a token the child accepts.
    env: { ...process.env, ...TEST_CONFIG, CHORUS_MIN_POSITION_TIMEOUT_MS: '1500', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  try {
    let url = '';
    for await (const line of createInterface({ input: child.stdout! })) {
      const entry = JSON.parse(line) as { url?: string };
      if (entry.url !== undefined) {
        url = entry.url;
        break;
      }
    }
    t.regex(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    // A read that waits for a position the log has not reached: in flight for about 1.5 s.
    const viewer = await bearerSignedWith(TEST_JWT_SECRET, ['viewer']);
    const inFlight = fetch(`${url}/v1/feedback`, { headers: { ...viewer, 'X-Chorus-Min-Position': '9000000000000000000' } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGTERM');
    const response = await inFlight;
    t.is(response.status, 503, 'the in-flight request got its answer');
    t.is(((await response.json()) as { code: string }).code, 'READ_MODEL.NOT_CAUGHT_UP', 'answered by the handler, after its wait');
    const [code, signal] = await exited;
    t.is(signal, null);
    t.is(code, 0);
  } finally {
    child.kill('SIGKILL');
  }
});
