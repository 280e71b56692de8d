// HTTP tests as given / when / then: given a Chorus started once per test file (a real server on an ephemeral
// port), when a real client sends a request, then the status, the problem code and the body (a partial match).
import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import type { BoundedContext } from '../../api/contexts.js';
import { startRoles, type RunningChorus } from '../../api/main.js';
import type { AiProvider } from '../../application/ports/ai-provider.js';
import { loadConfig } from '../../infrastructure/config.js';
import type { Role } from '../../domain/identity/roles.js';

/** Environment for one test file's Chorus, and what undoes it (a database to drop). */
export type HttpEnvironment = Readonly<{ env: Record<string, string>; cleanup(): Promise<void> }>;

export type RequestOptions = Readonly<{
  json?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  /** Sent with a token for these roles (a user named `as:<roles>`); `anonymous`: with no credentials. Default: the specification's `as`. */
  as?: readonly Role[] | 'anonymous';
}>;

export type Reply = Readonly<{ status: number; headers: Headers; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of any shape

export type HttpExpectation = Readonly<{
  status: number;
  /** A problem document with this code: also checks its content type and that its `status` is the reply's. */
  code?: string;
  /** Compared with t.like: only the fields named here. */
  body?: unknown;
  /** Exact values, patterns, or null for a header that must be absent. */
  headers?: Readonly<Record<string, string | RegExp | null>>;
}>;

export type HttpSpecificationOptions = Readonly<{
  /** Prepared before the start, cleaned up after the stop; its variables override `config`. */
  environment?: () => Promise<HttpEnvironment>;
  /** Variables for loadConfig, over PORT=0, HOST=127.0.0.1, CHORUS_DATA_DIR=memory://, a test signing key and rate limits no suite reaches. */
  config?: Record<string, string>;
  /** Requests go with a token for these roles unless they say otherwise; unset: anonymous. */
  as?: readonly Role[];
  /** The contexts to host; unset: all of them. */
  contexts?: readonly BoundedContext[];
  /** AI providers instead of those CHORUS_AI_PROVIDERS names (a stub that fails), made once the environment is ready. */
  aiProviders?: () => readonly AiProvider[];
}>;

/** Signs the test servers' tokens when DATABASE_URL is set (the embedded profile makes its own key). */
export const TEST_JWT_SECRET = 'chorus-tests-only-signing-secret-0123456789';

/** What every test server starts with unless a test says otherwise. */
export const TEST_CONFIG: Readonly<Record<string, string>> = {
  PORT: '0',
  HOST: '127.0.0.1',
  CHORUS_DATA_DIR: 'memory://',
  CHORUS_JWT_SECRET: TEST_JWT_SECRET,
  CHORUS_RATE_LIMIT_IP_PER_MIN: '10000000',
  CHORUS_RATE_LIMIT_USER_PER_MIN: '10000000',
  CHORUS_RATE_LIMIT_PASSWORD_PER_MIN: '10000000',
  CHORUS_RATE_LIMIT_AI_PER_MIN: '10000000',
};

/** An Authorization header for a token with these roles, signed by the running Chorus. */
export async function bearerFor(running: RunningChorus, roles: readonly Role[], sub = `as:${roles.join('+') || 'none'}`): Promise<Record<string, string>> {
  const { token } = await running.identity.tokens.issue({ sub, roles });
  return { Authorization: `Bearer ${token}` };
}

/** Call once per test file, at its top level: it starts Chorus before the first test and stops it after the last. */
export function HttpSpecification(options: HttpSpecificationOptions = {}) {
  let running: RunningChorus | undefined;
  let cleanup: (() => Promise<void>) | undefined;

  test.before(async () => {
    const prepared = (await options.environment?.()) ?? { env: {}, cleanup: async () => undefined };
    cleanup = prepared.cleanup;
    const config = loadConfig({ ...TEST_CONFIG, ...options.config, ...prepared.env });
    const aiProviders = options.aiProviders?.();
    running = await startRoles(config, pino({ level: 'silent' }), {
      ...(options.contexts === undefined ? {} : { contexts: options.contexts }),
      ...(aiProviders === undefined ? {} : { aiProviders }),
    });
  });
  test.after.always(async () => {
    await running?.stop();
    await cleanup?.();
  });

  const chorus = (): RunningChorus => {
    if (running === undefined) throw new Error('Chorus is not running: use the specification inside a test');
    return running;
  };

  async function call(method: string, path: string, request: RequestOptions = {}): Promise<Reply> {
    const as = request.as ?? options.as ?? 'anonymous';
    const credentials = as === 'anonymous' || request.headers?.Authorization !== undefined ? {} : await bearerFor(chorus(), as);
    const headers: Record<string, string> = { ...credentials, ...request.headers };
    let body: string | undefined = request.raw;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${chorus().url}${path}`, { method, headers, body });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, headers: response.headers, body: type.includes('json') && text !== '' ? JSON.parse(text) : text };
  }

  /** Checks a reply against what was expected, naming `label` (the request) in every message. */
  function expect(t: ExecutionContext, reply: Reply, expected: HttpExpectation, label: string): void {
    t.is(reply.status, expected.status, `${label}: status`);
    if (expected.code !== undefined) {
      t.is(reply.headers.get('content-type'), 'application/problem+json', `${label}: a problem document`);
      t.like(reply.body, { code: expected.code, status: expected.status }, `${label}: problem code`);
    }
    if (expected.body !== undefined) t.like(reply.body, expected.body as Record<string, unknown>, `${label}: body`);
    for (const [name, value] of Object.entries(expected.headers ?? {})) {
      const actual = reply.headers.get(name);
      if (value instanceof RegExp) t.regex(actual ?? '', value, `${label}: ${name}`);
      else t.is(actual, value, `${label}: ${name}`);
    }
  }

  return {
    /** The running Chorus (its store, its URL); only inside a test. */
    chorus,
    /** A plain request, for the steps a test takes before the one it checks. */
    call,
    when: (method: string, path: string, request: RequestOptions = {}) => ({
      /** Sends the request, checks the reply, and hands it back for further assertions. */
      async then(t: ExecutionContext, expected: HttpExpectation): Promise<Reply> {
        if (typeof t === 'function') throw new Error('await then(t, expected) itself, not the object when() returns');
        const reply = await call(method, path, request);
        expect(t, reply, expected, `${method} ${path}`);
        return reply;
      },
    }),
    /** The same checks on a reply already received (requests sent together, a step of a longer story). */
    expect: (t: ExecutionContext, reply: Reply, expected: HttpExpectation, label = 'reply'): void => expect(t, reply, expected, label),
  };
}
