// What the load test sends and when: the endpoints of its mix (routes as Chorus serves them), which of them a run
// can use given its credentials and the target's access rules, and how --duration is shared among the stages.
// Pure: no I/O, so tests/load/load-plan.unit.test.ts covers all of it.

export type EndpointName = 'feedback.submit' | 'feedback.list' | 'feedback.stats' | 'poll.create' | 'poll.read' | 'poll.vote' | 'poll.results' | 'feed.read';

/**
 * Who sends a request: nobody (no credentials), the operator's --token, the poll author or one of the voters (users
 * the setup registers through POST /v1/auth/register, so members).
 */
export type Caller = 'anonymous' | 'token' | 'author' | 'voter';

export type Endpoint = Readonly<{
  name: EndpointName;
  method: 'GET' | 'POST';
  /** As /openapi.json names it (`{id}` for Koa's `:id`), to find the route and its `x-chorus-access` on the target. */
  route: string;
  caller: Caller;
  /** The one status that counts as success; any other answer is an error. */
  expectedStatus: number;
}>;

export const ENDPOINTS: Readonly<Record<EndpointName, Endpoint>> = {
  'feedback.submit': { name: 'feedback.submit', method: 'POST', route: '/v1/feedback', caller: 'anonymous', expectedStatus: 201 },
  'feedback.list': { name: 'feedback.list', method: 'GET', route: '/v1/feedback', caller: 'token', expectedStatus: 200 },
  'feedback.stats': { name: 'feedback.stats', method: 'GET', route: '/v1/feedback/stats', caller: 'token', expectedStatus: 200 },
  'poll.create': { name: 'poll.create', method: 'POST', route: '/v1/polls', caller: 'author', expectedStatus: 201 },
  'poll.read': { name: 'poll.read', method: 'GET', route: '/v1/polls/{id}', caller: 'author', expectedStatus: 200 },
  'poll.vote': { name: 'poll.vote', method: 'POST', route: '/v1/polls/{id}/votes', caller: 'voter', expectedStatus: 201 },
  'poll.results': { name: 'poll.results', method: 'GET', route: '/v1/polls/{id}/results', caller: 'voter', expectedStatus: 200 },
  'feed.read': { name: 'feed.read', method: 'GET', route: '/v1/feed', caller: 'voter', expectedStatus: 200 },
};

/**
 * One round of a connection, repeated for the whole stage. Of its 12 requests: 2 submissions, 2 list reads, 1 stats
 * read, 3 votes, 2 feed reads, and a new poll read back at once (read-your-writes: its option ids are minted by the
 * server). Each new poll takes a vote from every voter, so with 3 voters or more the votes do not run out; a vote
 * that finds no (voter, poll) pair left reads the newest poll's results instead (poll.results, not in the round).
 */
export const MIX: readonly EndpointName[] = [
  'feedback.submit',
  'feedback.list',
  'poll.vote',
  'feed.read',
  'feedback.submit',
  'poll.vote',
  'feedback.stats',
  'poll.create',
  'poll.read',
  'feedback.list',
  'poll.vote',
  'feed.read',
];

/** Does an `x-chorus-access` value ('anyone', 'signed-in' or 'admin, viewer, agent') admit a caller holding these roles (undefined: no credentials)? */
export function admits(access: string, roles: readonly string[] | undefined): boolean {
  if (access === 'anyone') return true;
  if (roles === undefined) return false;
  if (access === 'signed-in') return true;
  const admitted = access.split(',').map((role) => role.trim());
  return roles.some((role) => role === 'admin' || admitted.includes(role));
}

export type Availability = Readonly<{
  /** The endpoints this run may call, in ENDPOINTS order. */
  usable: readonly EndpointName[];
  /** Why each of the others is left out, for the report. */
  skipped: Readonly<Partial<Record<EndpointName, string>>>;
}>;

export type Capabilities = Readonly<{
  /** `x-chorus-access` per `METHOD route` from the target's /openapi.json. */
  access: ReadonlyMap<string, string>;
  /** The --token's roles (GET /v1/me), or undefined without --token. */
  tokenRoles: readonly string[] | undefined;
  /** Whether users can be registered: with --token and open signup. The reason otherwise. */
  registration: Readonly<{ possible: true }> | Readonly<{ possible: false; reason: string }>;
}>;

/** Registered users hold only `member` (README: POST /v1/auth/register). */
const REGISTERED_ROLES = ['member'];

export const routeKey = (endpoint: Endpoint): string => `${endpoint.method} ${endpoint.route}`;

/** Which endpoints the run can call. A route the target does not serve is not skipped but refused (see missingRoutes). */
export function availability(capabilities: Capabilities): Availability {
  const usable: EndpointName[] = [];
  const skipped: Partial<Record<EndpointName, string>> = {};
  for (const endpoint of Object.values(ENDPOINTS)) {
    const access = capabilities.access.get(routeKey(endpoint)) ?? 'unknown';
    const reason = unusableBecause(endpoint, access, capabilities);
    if (reason === undefined) usable.push(endpoint.name);
    else skipped[endpoint.name] = reason;
  }
  return { usable, skipped };
}

function unusableBecause(endpoint: Endpoint, access: string, { tokenRoles, registration }: Capabilities): string | undefined {
  switch (endpoint.caller) {
    case 'anonymous':
      return admits(access, undefined) ? undefined : `the target admits only ${access}`;
    case 'token':
      if (tokenRoles === undefined) return 'needs --token';
      return admits(access, tokenRoles) ? undefined : `needs one of the roles ${access}; --token holds ${tokenRoles.join(', ') || 'none'}`;
    case 'author':
    case 'voter':
      if (!registration.possible) return registration.reason;
      return admits(access, REGISTERED_ROLES) ? undefined : `needs one of the roles ${access}; registered users are members`;
    default: {
      const never: never = endpoint.caller;
      return never;
    }
  }
}

/** The routes of the mix that the target's /openapi.json does not list: the target is not (this version of) Chorus. */
export const missingRoutes = (access: ReadonlyMap<string, string>): string[] =>
  Object.values(ENDPOINTS)
    .map(routeKey)
    .filter((key) => !access.has(key));

/**
 * The round each connection repeats: MIX without what the run cannot call. Votes need new polls and their option
 * ids, so they go when poll.create or poll.read cannot run (a poll made in setup takes at most one vote per voter).
 */
export function roundFor(usable: readonly EndpointName[]): EndpointName[] {
  const can = new Set(usable);
  if (!can.has('poll.create') || !can.has('poll.read')) {
    can.delete('poll.vote');
    can.delete('poll.create');
    can.delete('poll.read');
  }
  return MIX.filter((name) => can.has(name));
}

export type StageSpec = Readonly<{ connections: number; weight: number }>;
export type Stage = Readonly<{ index: number; connections: number; seconds: number }>;

export const DEFAULT_STAGES = '5:2,20:3,50:3,20:2';
export const MAX_CONNECTIONS = 1000;

/** `5:2,20:3,50:3,20:2`: connections, then optionally `:` and the stage's share of the duration (default 1). */
export function parseStages(spec: string): StageSpec[] {
  const parts = spec.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => part === '')) throw new RangeError(`stages "${spec}": expected connections[:weight] separated by commas, e.g. ${DEFAULT_STAGES}`);
  return parts.map((part) => {
    const match = /^(\d+)(?::(\d+(?:\.\d+)?))?$/.exec(part);
    if (match === null) throw new RangeError(`stage "${part}": expected connections[:weight], e.g. 20:3`);
    const connections = Number(match[1]);
    const weight = match[2] === undefined ? 1 : Number(match[2]);
    if (connections < 1 || connections > MAX_CONNECTIONS) throw new RangeError(`stage "${part}": connections must be 1 to ${MAX_CONNECTIONS}`);
    if (!(weight > 0)) throw new RangeError(`stage "${part}": the weight must be above 0`);
    return { connections, weight };
  });
}

/** Whole seconds per stage in proportion to the weights (largest remainder), each at least 1, summing to `durationSeconds`. */
export function planStages(specs: readonly StageSpec[], durationSeconds: number): Stage[] {
  if (!Number.isInteger(durationSeconds) || durationSeconds < specs.length) {
    throw new RangeError(`duration ${durationSeconds} s: at least 1 s per stage, so at least ${specs.length} s for ${specs.length} stages`);
  }
  const spare = durationSeconds - specs.length;
  const total = specs.reduce((sum, spec) => sum + spec.weight, 0);
  const exact = specs.map((spec) => (spare * spec.weight) / total);
  const seconds = exact.map((share) => 1 + Math.floor(share));
  let left = durationSeconds - seconds.reduce((sum, s) => sum + s, 0);
  const byRemainder = exact.map((share, index) => ({ index, remainder: share - Math.floor(share) })).sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of byRemainder) {
    if (left === 0) break;
    seconds[index]!++;
    left--;
  }
  return specs.map((spec, index) => ({ index: index + 1, connections: spec.connections, seconds: seconds[index]! }));
}

/**
 * Vote n of a run goes to voter n mod V on poll floor(n / V): every vote is a first vote of its (voter, poll), the way
 * the store's one-vote-per-user rule sees it, and undefined says the polls made so far are used up.
 */
export function votePair(n: number, voters: number, polls: number): Readonly<{ voter: number; poll: number }> | undefined {
  const poll = Math.floor(n / voters);
  return poll < polls ? { voter: n % voters, poll } : undefined;
}
