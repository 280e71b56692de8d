import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { TEST_CONFIG } from '../support/http-specification.js';

test('SIGTERM lets the request in flight finish, then exits 0', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/cli/chorus.ts', 'start'], {
    env: { ...process.env, ...TEST_CONFIG, LOG_LEVEL: 'info' },
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
    // A submission whose body arrives in two parts, SIGTERM between them: in flight across the signal.
    const body = JSON.stringify({ text: 'Sent slowly, across a SIGTERM', rating: 4 });
    const request = httpRequest(`${url}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
    const answered = once(request, 'response') as Promise<[IncomingMessage]>;
    request.write(body.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    request.end(body.slice(10));
    const [response] = await answered;
    let text = '';
    for await (const chunk of response) text += String(chunk);
    t.is(response.statusCode, 201, `the in-flight request got its answer: ${text}`);
    t.regex((JSON.parse(text) as { id: string }).id, /^[0-9a-f-]{36}$/);
    const [code, signal] = await exited;
    t.is(signal, null);
    t.is(code, 0);
  } finally {
    child.kill('SIGKILL');
  }
});
