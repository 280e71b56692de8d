// The load generator's process (forked by generateLoad in http-load.ts): runs one LoadRequest with autocannon,
// sends back its LoadResult and exits.
import autocannon from 'autocannon';
import type { LoadRequest, LoadResult } from './http-load.js';
import { bearerSignedWith } from '../support/tokens.js';

async function load(request: LoadRequest): Promise<LoadResult> {
  const ids: string[] = [];
  const wanted = request.ids ?? [];
  let submitted = 0;
  if (request.kind === 'vote') return votes(request);
  const requests: autocannon.Request[] =
    request.kind === 'submit'
      ? [
          {
            method: 'POST',
            path: '/v1/feedback',
            headers: { ...request.headers, 'content-type': 'application/json' },
            setupRequest: (req) => {
              submitted++;
              return { ...req, body: JSON.stringify({ text: `Feedback ${submitted}: the export button does nothing`, rating: (submitted % 5) + 1 }) };
            },
            onResponse: (status, body) => {
              if (status === 201) ids.push((JSON.parse(body) as { id: string }).id);
            },
          },
        ]
      : request.kind === 'ingest'
        ? [
            {
              method: 'POST',
              path: `/v1/speakers/${request.ingest!.speakerId}/drafts`,
              headers: { ...request.headers, 'content-type': 'application/json' },
              setupRequest: (req) => {
                submitted++;
                return { ...req, body: JSON.stringify({ externalId: `bench-${process.pid}-${submitted}`, text: `${request.ingest!.text} (${submitted})` }) };
              },
            },
          ]
      : request.kind === 'get'
        ? [{ method: 'GET', headers: { ...request.headers }, path: request.path! }]
        : [
            {
              method: 'GET',
              headers: { ...request.headers },
              setupRequest: (req) => ({ ...req, path: `/v1/feedback/${wanted[Math.floor(Math.random() * wanted.length)]}` }),
            },
          ];
  const result = await autocannon({ url: request.url, connections: request.connections, duration: request.seconds, requests });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    ids,
  };
}

/**
 * `votes.count` votes on one poll, each by a voter of its own: the tokens are signed before the clock starts (autocannon
 * sets requests up synchronously), and each is sent once, so every vote is a first vote.
 */
async function votes(request: LoadRequest): Promise<LoadResult> {
  const { pollId, optionIds, jwtSecret, count } = request.votes!;
  const tokens: Record<string, string>[] = [];
  for (let n = 0; n < count; n++) tokens.push(await bearerSignedWith(jwtSecret, ['member'], `bench-voter-${n}-${pollId}`));
  let sent = 0;
  const result = await autocannon({
    url: request.url,
    connections: request.connections,
    amount: count,
    requests: [
      {
        method: 'POST',
        path: `/v1/polls/${pollId}/votes`,
        setupRequest: (req) => {
          const n = sent++;
          return { ...req, headers: { ...tokens[n % count], 'content-type': 'application/json' }, body: JSON.stringify({ optionId: optionIds[n % optionIds.length] }) };
        },
      },
    ],
  });
  return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors, non2xx: result.non2xx, ids: [] };
}

process.once('message', (request: LoadRequest) => {
  load(request).then(
    (result) => process.send!(result, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
