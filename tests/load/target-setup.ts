// The setup phase, through the target's real API: is it a Chorus that serves the mix's routes, what may the --token
// do (GET /v1/me and each route's x-chorus-access in /openapi.json), and, with a token, the users the load needs:
// a poll author and distinct voters (POST /v1/auth/register, then /v1/auth/login), the voters following the author
// (so the author's polls fan out to their feeds), and a first poll to vote on.
import { randomBytes } from 'node:crypto';
import { availability, missingRoutes, type Availability, type Capabilities } from './load-plan.js';

/** The target cannot be loaded as asked: unreachable, not Chorus, a refused token. run.ts exits 2 with the message. */
export class TargetError extends Error {}

export type VotablePoll = Readonly<{ id: string; optionIds: readonly string[] }>;

export type Cast = Readonly<{
  /** The author creates polls; voters vote and read their feeds. Absent when registration is not possible. */
  author?: Readonly<{ id: string; token: string }>;
  voterTokens: readonly string[];
  polls: readonly VotablePoll[];
}>;

export type Setup = Readonly<{
  availability: Availability;
  cast: Cast;
  tokenRoles: readonly string[] | undefined;
  /** How long the registered users' access tokens last (CHORUS_ACCESS_TOKEN_TTL), when there are any. */
  tokenLifetimeSeconds?: number;
}>;

type Answer = Readonly<{ status: number; body: unknown }>;

export const POLL_OPTIONS = ['Morning', 'Afternoon', 'Evening', 'Night'] as const;

export const pollBody = (n: number): string => JSON.stringify({ question: `Load test poll ${n}: when do you read your feed?`, options: POLL_OPTIONS });

const problemOf = (answer: Answer): string => {
  const body = answer.body as { code?: string; detail?: string } | undefined;
  return `${answer.status}${body?.code === undefined ? '' : ` ${body.code}`}${body?.detail === undefined ? '' : `: ${body.detail}`}`;
};

export async function setUpTarget(target: URL, token: string | undefined, voters: number, log: (message: string) => void): Promise<Setup> {
  const call = caller(target);
  const openapi = await call('GET', '/openapi.json');
  const paths = (openapi.body as { paths?: Record<string, Record<string, { 'x-chorus-access'?: string }>> } | undefined)?.paths;
  if (openapi.status !== 200 || paths === undefined) throw new TargetError(`${target.origin} does not look like Chorus: GET /openapi.json answered ${openapi.status} without paths`);
  const access = new Map<string, string>();
  for (const [path, methods] of Object.entries(paths)) for (const [method, operation] of Object.entries(methods)) access.set(`${method.toUpperCase()} ${path}`, operation['x-chorus-access'] ?? 'unknown');
  const missing = missingRoutes(access);
  if (missing.length > 0) throw new TargetError(`${target.origin} does not serve ${missing.join(', ')} (per its /openapi.json): not the Chorus this load test was written for`);

  let tokenRoles: readonly string[] | undefined;
  if (token !== undefined) {
    const me = await call('GET', '/v1/me', { token });
    if (me.status !== 200) throw new TargetError(`--token was refused by GET /v1/me: ${problemOf(me)}`);
    tokenRoles = (me.body as { roles: string[] }).roles;
    log(`--token: ${(me.body as { id: string }).id}, roles ${tokenRoles.join(', ') || 'none'}`);
  }

  const registrationFor = (reason?: string): Capabilities['registration'] =>
    reason === undefined ? { possible: true } : { possible: false, reason };
  let capabilities: Capabilities = { access, tokenRoles, registration: registrationFor(token === undefined ? 'needs --token (the setup registers voters only when given one)' : undefined) };
  let planned = availability(capabilities);
  if (!planned.usable.some((name) => name === 'poll.vote' || name === 'poll.create' || name === 'feed.read')) return { availability: planned, cast: { voterTokens: [], polls: [] }, tokenRoles };

  const run = randomBytes(4).toString('hex');
  const password = randomBytes(18).toString('base64url');
  log(`registering the poll author and ${voters} voters (load-${run}-*@example.com): each registration and login hashes a password on the target`);
  const author = await registeredUser(call, `load-${run}-author@example.com`, password);
  if ('refused' in author) {
    // Closed signup is the target's choice: the run goes on without the endpoints that need registered users.
    if (!author.signupClosed) throw new TargetError(`registering the poll author: ${author.refused}`);
    capabilities = { ...capabilities, registration: registrationFor(author.refused) };
    planned = availability(capabilities);
    return { availability: planned, cast: { voterTokens: [], polls: [] }, tokenRoles };
  }
  const voterTokens: string[] = [];
  let shortest = author.expiresIn;
  let next = 0;
  let refusal: string | undefined;
  // Four at a time: the target spends ~100 ms of CPU on each password.
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < voters && refusal === undefined) {
        const n = next++;
        const voter = await registeredUser(call, `load-${run}-voter-${n}@example.com`, password);
        if ('refused' in voter) refusal = voter.refused;
        else {
          voterTokens.push(voter.token);
          shortest = Math.min(shortest, voter.expiresIn);
        }
      }
    }),
  );
  if (refusal !== undefined) throw new TargetError(`registering voters: ${refusal}`);
  for (const voterToken of voterTokens) {
    const followed = await call('POST', `/v1/users/${author.id}/follow`, { token: voterToken });
    if (followed.status !== 200) throw new TargetError(`a voter following the poll author: POST /v1/users/${author.id}/follow answered ${problemOf(followed)}`);
  }
  const poll = await createdPoll(call, author.token, 0);
  log(`setup done: ${voterTokens.length} voters following the author, poll ${poll.id}; access tokens last ${shortest} s`);
  return { availability: planned, cast: { author: { id: author.id, token: author.token }, voterTokens, polls: [poll] }, tokenRoles, tokenLifetimeSeconds: shortest };
}

type Call = (method: 'GET' | 'POST', path: string, options?: { token?: string; json?: unknown; headers?: Record<string, string> }) => Promise<Answer>;

function caller(target: URL): Call {
  return async (method, path, options = {}) => {
    const url = new URL(path, target);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          ...(options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` }),
          ...(options.json === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new TargetError(`${target.origin} is unreachable (${method} ${path}): ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  };
}

type Registered = Readonly<{ id: string; token: string; expiresIn: number }> | Readonly<{ refused: string; signupClosed: boolean }>;

async function registeredUser(call: Call, email: string, password: string): Promise<Registered> {
  const registered = await call('POST', '/v1/auth/register', { json: { email, password, displayName: email.split('@')[0] } });
  if (registered.status !== 201) return { refused: refusalOf('POST /v1/auth/register', registered), signupClosed: codeOf(registered) === 'AUTH.SIGNUP_CLOSED' };
  const loggedIn = await call('POST', '/v1/auth/login', { json: { email, password } });
  if (loggedIn.status !== 200) return { refused: refusalOf('POST /v1/auth/login', loggedIn), signupClosed: false };
  const { accessToken, expiresIn } = loggedIn.body as { accessToken: string; expiresIn: number };
  return { id: (registered.body as { id: string }).id, token: accessToken, expiresIn };
}

const codeOf = (answer: Answer): string | undefined => (answer.body as { code?: string } | undefined)?.code;

function refusalOf(route: string, answer: Answer): string {
  const problem = `${route} answered ${problemOf(answer)}`;
  if (codeOf(answer) === 'AUTH.SIGNUP_CLOSED') return `signup is closed on the target (CHORUS_SIGNUP=closed): ${problem}`;
  if (answer.status === 429) return `${problem}; the target limits logins and registrations per address (CHORUS_RATE_LIMIT_PASSWORD_PER_MIN, default 30/min): raise it, or lower --voters`;
  return problem;
}

/** A new poll and its option ids (minted by the server, so read back: GET /v1/polls/:id once the read model holds it). */
export async function createdPoll(call: Call, token: string, n: number): Promise<VotablePoll> {
  const created = await call('POST', '/v1/polls', { token, json: JSON.parse(pollBody(n)) });
  if (created.status !== 201) throw new TargetError(`creating a poll: POST /v1/polls answered ${problemOf(created)}`);
  const { id, position } = created.body as { id: string; position: string | null };
  const read = await call('GET', `/v1/polls/${id}`, { token, headers: position === null ? {} : { 'X-Chorus-Min-Position': position } });
  if (read.status !== 200) throw new TargetError(`reading a new poll: GET /v1/polls/${id} answered ${problemOf(read)}`);
  return { id, optionIds: (read.body as { options: Array<{ id: string }> }).options.map((option) => option.id) };
}
