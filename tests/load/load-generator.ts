// The load generator's process (forked by runStages below, as the benchmark forks its own): runs the stages one
// after the other with autocannon, each connection repeating the round, and sends each stage's measurement back.
// Each connection keeps its own state (which endpoint its one request in flight is for), so every answer, timeout
// and connection error is counted against its endpoint.
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { votePair, type EndpointName, type Stage } from './load-plan.js';
import type { EndpointMeasurement, StageMeasurement } from './load-report.js';
import { pollBody, POLL_OPTIONS, type Cast, type VotablePoll } from './target-setup.js';

export type GeneratorRequest = Readonly<{
  url: string;
  stages: readonly Stage[];
  round: readonly EndpointName[];
  timeoutSeconds: number;
  token: string | undefined;
  cast: Cast;
}>;

type GeneratorMessage = Readonly<{ stage: StageMeasurement }> | Readonly<{ done: true }>;

/** Forks the generator, hands it the run, and reports each stage as it ends. */
export function runStages(request: GeneratorRequest, onStage: (stage: StageMeasurement) => void): Promise<StageMeasurement[]> {
  const generator = fork(fileURLToPath(import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const stages: StageMeasurement[] = [];
  return new Promise<StageMeasurement[]>((resolve, reject) => {
    generator.on('message', (message: GeneratorMessage) => {
      if ('stage' in message) {
        stages.push(message.stage);
        onStage(message.stage);
      } else resolve(stages);
    });
    generator.once('error', reject);
    generator.once('exit', (code) => reject(new Error(`the load generator exited with ${code} before the last stage`)));
    generator.send(request);
  });
}

const FEEDBACK_TEXTS = [
  'Checkout is slow on the second page',
  'Love the new dashboard, very clear',
  'The export button does nothing',
  'Search results are not relevant',
  'App crashes when I upload a photo',
  'Please add a dark mode',
];

type ConnectionState = {
  /** The endpoint of the connection's request on the wire (one at a time: no pipelining). */
  inFlight: EndpointName;
  /** The one before it: on a timeout autocannon reconnects and sets up the next request before it says so. */
  previous: EndpointName;
  lastCreated?: Readonly<{ id: string; position: string | null }>;
};

/** What every connection of every stage shares: counters (so each vote is a new (voter, poll) pair) and the polls made. */
class Traffic {
  private submitted = 0;
  private votes = 0;
  private feeds = 0;
  private created = 0;
  private readonly polls: VotablePoll[];

  constructor(private readonly request: GeneratorRequest) {
    this.polls = [...request.cast.polls];
  }

  /** The request a connection sends next for `name`, and the endpoint it counts for (a vote without a pair left reads results). */
  next(name: EndpointName, state: ConnectionState): autocannon.Request {
    const { token, cast } = this.request;
    const json = { 'content-type': 'application/json' };
    const bearer = (value: string | undefined) => ({ Authorization: `Bearer ${value}` });
    const voterToken = (n: number) => cast.voterTokens[n % cast.voterTokens.length];
    state.inFlight = name;
    switch (name) {
      case 'feedback.submit': {
        const n = this.submitted++;
        const text = `${FEEDBACK_TEXTS[n % FEEDBACK_TEXTS.length]} (load ${n})`;
        return { method: 'POST', path: '/v1/feedback', headers: json, body: JSON.stringify({ text, rating: (n % 5) + 1, channel: 'load-test' }) };
      }
      case 'feedback.list':
        return { method: 'GET', path: '/v1/feedback?limit=20', headers: bearer(token) };
      case 'feedback.stats':
        return { method: 'GET', path: '/v1/feedback/stats?days=30', headers: bearer(token) };
      case 'poll.create':
        return { method: 'POST', path: '/v1/polls', headers: { ...json, ...bearer(cast.author?.token) }, body: pollBody(++this.created) };
      case 'poll.read': {
        // The poll this connection just made, as soon as the read model holds it; the newest known poll if that failed.
        const created = state.lastCreated;
        state.lastCreated = undefined;
        const id = created?.id ?? this.polls.at(-1)!.id;
        const wait = created?.position == null ? {} : { 'X-Chorus-Min-Position': created.position };
        return { method: 'GET', path: `/v1/polls/${id}`, headers: { ...bearer(cast.author?.token), ...wait } };
      }
      case 'poll.vote': {
        const pair = votePair(this.votes, cast.voterTokens.length, this.polls.length);
        if (pair === undefined) return this.next('poll.results', state);
        this.votes++;
        const poll = this.polls[pair.poll]!;
        const optionId = poll.optionIds[(pair.voter + pair.poll) % poll.optionIds.length];
        return { method: 'POST', path: `/v1/polls/${poll.id}/votes`, headers: { ...json, ...bearer(voterToken(pair.voter)) }, body: JSON.stringify({ optionId }) };
      }
      case 'poll.results':
        return { method: 'GET', path: `/v1/polls/${this.polls.at(-1)!.id}/results`, headers: bearer(voterToken(this.feeds++)) };
      case 'feed.read':
        return { method: 'GET', path: '/v1/feed?limit=20', headers: bearer(voterToken(this.feeds++)) };
      default: {
        const never: never = name;
        return never;
      }
    }
  }

  /** Bodies the load learns from: a new poll's id, then its option ids once read back. */
  answered(name: EndpointName, status: number, body: string, state: ConnectionState): void {
    try {
      this.learn(name, status, body, state);
    } catch {
      // An answer that is not the JSON its route promises teaches nothing; its status already counts.
    }
  }

  private learn(name: EndpointName, status: number, body: string, state: ConnectionState): void {
    if (name === 'poll.create' && status === 201) {
      const { id, position } = JSON.parse(body) as { id: string; position: string | null };
      state.lastCreated = { id, position };
    } else if (name === 'poll.read' && status === 200) {
      const poll = JSON.parse(body) as { id: string; options: Array<{ id: string; text: string }> };
      if (poll.options.length === POLL_OPTIONS.length && !this.polls.some((known) => known.id === poll.id)) this.polls.push({ id: poll.id, optionIds: poll.options.map((option) => option.id) });
    }
  }
}

const rotated = <T>(items: readonly T[], by: number): T[] => items.map((_, index) => items[(index + by) % items.length]!);

async function runStage(stage: Stage, request: GeneratorRequest, traffic: Traffic): Promise<StageMeasurement> {
  const endpoints: Partial<Record<EndpointName, EndpointMeasurement>> = {};
  const measurementOf = (name: EndpointName): EndpointMeasurement => (endpoints[name] ??= { latenciesMs: [], statuses: {}, failures: 0 });
  let connections = 0;
  const setupClient = (client: autocannon.Client): void => {
    // Connection i starts its round at request i: all starting at the first would send one burst of the same request.
    const round = rotated(request.round, connections++);
    const state: ConnectionState = { inFlight: round[0]!, previous: round[0]! };
    client.setRequests(
      round.map((name) => ({
        setupRequest: (base: autocannon.Request) => {
          state.previous = state.inFlight;
          return { ...base, ...traffic.next(name, state) };
        },
        onResponse: (status: number, body: string) => traffic.answered(state.inFlight, status, body, state),
      })),
    );
    client.on('response', (status: number, _bytes: number, latencyMs: number) => {
      const measurement = measurementOf(state.inFlight);
      measurement.statuses[status] = (measurement.statuses[status] ?? 0) + 1;
      measurement.latenciesMs.push(Math.round(latencyMs * 100) / 100);
    });
    // Neither event is in the typings' list of a client's events. A connection error is told before autocannon
    // reconnects; a timeout after it has reconnected and set up the next request, so it concerns the previous one.
    (client as NodeJS.EventEmitter).on('connError', () => measurementOf(state.inFlight).failures++);
    (client as NodeJS.EventEmitter).on('timeout', () => measurementOf(state.previous).failures++);
  };
  const started = performance.now();
  await autocannon({
    url: request.url,
    connections: stage.connections,
    duration: stage.seconds,
    timeout: request.timeoutSeconds,
    // Replaced per connection by setupClient; autocannon builds this one first.
    requests: [{ method: 'GET', path: '/health/live' }],
    setupClient,
  });
  return { stage, elapsedSeconds: (performance.now() - started) / 1000, endpoints };
}

async function generate(request: GeneratorRequest): Promise<void> {
  const traffic = new Traffic(request);
  for (const stage of request.stages) {
    const measurement = await runStage(stage, request, traffic);
    await new Promise<void>((resolve) => process.send!({ stage: measurement } satisfies GeneratorMessage, () => resolve()));
  }
  process.send!({ done: true } satisfies GeneratorMessage, () => process.exit(0));
}

if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  process.once('message', (request: GeneratorRequest) => {
    generate(request).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
}

