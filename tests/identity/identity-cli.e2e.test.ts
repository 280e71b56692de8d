// Bootstrapping access without a shell session on the server: `chorus users create` for the first admin and
// `chorus token` for development tokens, on the embedded profile the quick start uses.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startAll } from '../../api/main.js';
import { loadConfig } from '../../infrastructure/config.js';

/** Runs `chorus <args>` from the sources with `stdin` piped in; resolves with its exit code and output. */
function chorus(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const cleanEnv = { ...process.env, DATABASE_URL: '', KAFKA_BROKERS: '', REDIS_URL: '', DATABASE_REPLICA_URLS: '', CHORUS_JWT_SECRET: '', LOG_LEVEL: 'silent', ...env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'api/cli/chorus.ts', ...args], { env: cleanEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

test('on a fresh embedded instance: users create makes the first admin, chorus token signs with the kept key, the server honours both', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'chorus-identity-cli-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const env = { CHORUS_DATA_DIR: dataDir };
  const created = await chorus(['users', 'create', '--email', 'Admin@Example.com', '--password-stdin', '--role', 'admin'], env, 'a long admin password\n');
  t.is(created.code, 0, created.stderr);
  t.regex(created.stdout, /^created user [0-9a-f-]{36} {2}Admin@Example\.com {2}roles admin$/m);
  const token = await chorus(['token', '--sub', 'dev-operator', '--role', 'operator', '--ttl', '10m'], env);
  t.is(token.code, 0, token.stderr);
  const key = await stat(path.join(dataDir, 'jwt-secret'));
  t.is(key.mode & 0o777, 0o600, 'the signing key is readable by its owner only');

  const running = await startAll(loadConfig({ PORT: '0', HOST: '127.0.0.1', CHORUS_DATA_DIR: dataDir }), pino({ level: 'silent' }));
  t.teardown(() => running.stop());
  const login = await fetch(`${running.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@example.com', password: 'a long admin password' }) });
  t.is(login.status, 200);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const me = await fetch(`${running.url}/v1/me`, { headers: { Authorization: `Bearer ${accessToken}` } });
  t.like(await me.json(), { email: 'admin@example.com', displayName: 'Admin', roles: ['admin'] });
  const ops = await fetch(`${running.url}/v1/ops/projections`, { headers: { Authorization: `Bearer ${token.stdout.trim()}` } });
  t.is(ops.status, 200, 'the development token is signed with the key the server uses');
  const audit = await fetch(`${running.url}/v1/audit`, { headers: { Authorization: `Bearer ${token.stdout.trim()}` } });
  t.is(audit.status, 403, 'and carries only the roles it was given');
});

test('wrong uses stop with one clear line and exit code 2', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'chorus-identity-cli-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const env = { CHORUS_DATA_DIR: dataDir };
  const [noStdin, shortPassword, badRole, server, badTtl] = await Promise.all([
    chorus(['users', 'create', '--email', 'a@example.com', '--role', 'admin'], env),
    chorus(['users', 'create', '--email', 'a@example.com', '--password-stdin'], env, 'short\n'),
    chorus(['token', '--sub', 'x', '--role', 'root'], env),
    chorus(['token', '--sub', 'x', '--role', 'admin'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', CHORUS_JWT_SECRET: 'x'.repeat(32) }),
    chorus(['token', '--sub', 'x', '--ttl', '1y'], env),
  ]);
  t.is(noStdin.code, 2);
  t.regex(noStdin.stderr, /--password-stdin/);
  t.is(shortPassword.code, 2);
  t.regex(shortPassword.stderr, /10 to 200 characters/);
  t.is(badRole.code, 2);
  t.regex(badRole.stderr, /Unknown role\(s\) root/);
  t.is(server.code, 2);
  t.regex(server.stderr, /CHORUS_ALLOW_DEV_TOKENS=1/);
  t.is(badTtl.code, 2);
  t.regex(badTtl.stderr, /--ttl/);
  const allowed = await chorus(['token', '--sub', 'x', '--role', 'admin'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', CHORUS_JWT_SECRET: 'x'.repeat(32), CHORUS_ALLOW_DEV_TOKENS: '1' });
  t.is(allowed.code, 0, allowed.stderr);
  t.regex(allowed.stdout.trim(), /^[\w-]+\.[\w-]+\.[\w-]+$/);
});
