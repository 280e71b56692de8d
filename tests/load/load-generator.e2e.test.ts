// The load generator against a fake server on an ephemeral port (no Chorus: what is tested is the counting): every
// answer, timeout and credential goes with the endpoint that sent it, and votes are distinct (voter, poll) pairs,
// including on polls the load itself made and read back.
import test from 'ava';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runStages } from './load-generator.js';
import type { StageMeasurement } from './load-report.js';

type Seen = Readonly<{ method: string; path: string; authorization: string | undefined; minPosition: string | undefined }>;

async function fakeServer(answer: (request: IncomingMessage, body: string, response: ServerResponse) => void) {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const header = (name: string) => request.headers[name] as string | undefined;
      seen.push({ method: request.method!, path: request.url!, authorization: header('authorization'), minPosition: header('x-chorus-min-position') });
      answer(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

test('each answer, timeout and credential is counted against the endpoint that sent it', async (t) => {
  const server = await fakeServer((request, _body, response) => {
    if (request.url === '/v1/feedback') return json(response, 201, { id: 'f' });
    if (request.url === '/v1/feedback?limit=20') return json(response, 500, { code: 'BROKEN' });
    // /v1/feed?limit=20: never answers, so each feed read times out.
  });
  t.teardown(() => server.close());
  const stages: StageMeasurement[] = await runStages(
    {
      url: server.url,
      stages: [{ index: 1, connections: 1, seconds: 2 }],
      round: ['feedback.submit', 'feedback.list', 'feed.read'],
      timeoutSeconds: 1,
      token: 'operator-token',
      cast: { voterTokens: ['voter-token'], polls: [] },
    },
    () => undefined,
  );
  t.is(stages.length, 1);
  const { endpoints } = stages[0]!;
  t.deepEqual(Object.keys(endpoints['feedback.submit']!.statuses), ['201']);
  t.deepEqual(Object.keys(endpoints['feedback.list']!.statuses), ['500']);
  t.is(endpoints['feedback.submit']!.failures + endpoints['feedback.list']!.failures, 0);
  t.true(endpoints['feed.read']!.failures >= 1);
  t.deepEqual(endpoints['feed.read']!.statuses, {});
  t.is(endpoints['feedback.submit']!.latenciesMs.length, endpoints['feedback.submit']!.statuses['201'] ?? 0);
  t.true(endpoints['feedback.submit']!.latenciesMs.length > 0);
  const authorizationOf = (path: string) => new Set(server.seen.filter((request) => request.path === path).map((request) => request.authorization));
  t.deepEqual(authorizationOf('/v1/feedback'), new Set([undefined]));
  t.deepEqual(authorizationOf('/v1/feedback?limit=20'), new Set(['Bearer operator-token']));
  t.deepEqual(authorizationOf('/v1/feed?limit=20'), new Set(['Bearer voter-token']));
});

test('votes are first votes of distinct (voter, poll) pairs, on the setup poll and on polls made and read back during the load', async (t) => {
  const votes = new Set<string>();
  let polls = 0;
  const server = await fakeServer((request, body, response) => {
    const path = request.url!;
    if (request.method === 'POST' && path === '/v1/polls') return json(response, 201, { id: `made-${++polls}`, revision: 0, position: `${polls * 10}` });
    const read = /^\/v1\/polls\/([\w-]+)$/.exec(path);
    if (request.method === 'GET' && read !== null) return json(response, 200, { id: read[1], options: ['a', 'b', 'c', 'd'].map((option) => ({ id: `${read[1]}-${option}`, text: option })) });
    const vote = /^\/v1\/polls\/([\w-]+)\/votes$/.exec(path);
    if (request.method === 'POST' && vote !== null) {
      const key = `${vote[1]} ${request.headers.authorization}`;
      const { optionId } = JSON.parse(body) as { optionId: string };
      if (votes.has(key)) return json(response, 409, { code: 'POLL.ALREADY_VOTED' });
      if (!optionId.startsWith(`${vote[1]}-`)) return json(response, 400, { code: 'POLL.UNKNOWN_OPTION' });
      votes.add(key);
      return json(response, 201, { id: vote[1] });
    }
    json(response, 404, { code: 'NOT_FOUND' });
  });
  t.teardown(() => server.close());
  const [stage] = await runStages(
    {
      url: server.url,
      stages: [{ index: 1, connections: 2, seconds: 1 }],
      round: ['poll.create', 'poll.read', 'poll.vote', 'poll.vote', 'poll.vote'],
      timeoutSeconds: 5,
      token: undefined,
      cast: { author: { id: 'author', token: 'author-token' }, voterTokens: ['v0', 'v1', 'v2'], polls: [{ id: 'setup', optionIds: ['setup-a', 'setup-b', 'setup-c', 'setup-d'] }] },
    },
    () => undefined,
  );
  const { endpoints } = stage!;
  t.deepEqual(Object.keys(endpoints['poll.vote']!.statuses), ['201']);
  t.true(votes.has('setup Bearer v0') && votes.has('setup Bearer v1') && votes.has('setup Bearer v2'));
  t.true([...votes].some((key) => key.startsWith('made-')), 'votes went to polls made during the load');
  const reads = server.seen.filter((request) => request.method === 'GET' && /^\/v1\/polls\/made-\d+$/.test(request.path));
  t.true(reads.length > 0);
  t.true(reads.every((request) => request.minPosition === `${Number(request.path.split('-')[1]) * 10}` && request.authorization === 'Bearer author-token'));
});
