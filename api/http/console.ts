// The ops console: a static page (api/console/*) served by the API at /console, read once at start. Only files
// found in that folder at start are served, looked up by exact name (no path is ever joined from the request), each
// with its content type, an ETag and a Content-Security-Policy the page satisfies: its own scripts and styles only.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Context, Middleware } from 'koa';
import { HttpProblem } from './problem.js';

export const CONSOLE_PATH = '/console';

/** What the page may do: load its own script, style and images, call its own API; nothing inline, no framing. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export type ConsoleAsset = Readonly<{ name: string; type: string; body: Buffer; etag: string }>;
export type ConsoleAssets = ReadonlyMap<string, ConsoleAsset>;

/**
 * Where the files are: beside this module in the source tree (api/http → api/console), or, running the build
 * (dist/api/http, where tsc copies no HTML), in the package's api/console three levels up.
 */
export const CONSOLE_DIRECTORIES: readonly URL[] = [new URL('../console/', import.meta.url), new URL('../../../api/console/', import.meta.url)];

export function consoleDirectory(candidates: readonly URL[] = CONSOLE_DIRECTORIES): string | null {
  for (const candidate of candidates) {
    const directory = fileURLToPath(candidate);
    try {
      if (statSync(`${directory}index.html`).isFile()) return directory;
    } catch {
      // Not there: try the next.
    }
  }
  return null;
}

/** Reads the console's files once: every regular file of a known type directly in the folder. */
export function loadConsoleAssets(directory: string | null = consoleDirectory()): ConsoleAssets {
  const assets = new Map<string, ConsoleAsset>();
  if (directory === null) return assets;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const extension = entry.name.slice(entry.name.lastIndexOf('.'));
    const type = CONTENT_TYPES[extension];
    if (!entry.isFile() || type === undefined || entry.name.startsWith('.')) continue;
    const body = readFileSync(`${directory}${entry.name}`);
    assets.set(entry.name, { name: entry.name, type, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
  }
  return assets;
}

function send(ctx: Context, asset: ConsoleAsset, cacheControl: string): void {
  ctx.set('Content-Security-Policy', CONSOLE_CSP);
  ctx.set('Cache-Control', cacheControl);
  ctx.set('ETag', asset.etag);
  ctx.type = asset.type;
  if (ctx.get('If-None-Match') === asset.etag) {
    ctx.status = 304;
    return;
  }
  ctx.status = 200;
  ctx.body = asset.body;
}

/**
 * GET and HEAD of /console (the page), /console/health.json (the page's own health, no sign-in) and
 * /console/<file>. The page revalidates on every load (no-cache, its ETag); its assets are cached for a while.
 * The page reads no data itself: its script calls the API with the token the user signs in with.
 */
export function consoleRoutes(assets: ConsoleAssets, version: string): Middleware {
  const health = JSON.stringify({ status: assets.has('index.html') ? 'ok' : 'missing', version, assets: [...assets.keys()].sort() });
  return async (ctx, next) => {
    if (ctx.path !== CONSOLE_PATH && !ctx.path.startsWith(`${CONSOLE_PATH}/`)) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      throw new HttpProblem(405, 'HTTP.METHOD_NOT_ALLOWED', 'The console takes GET and HEAD', { Allow: 'GET, HEAD' });
    }
    const name = ctx.path === CONSOLE_PATH || ctx.path === `${CONSOLE_PATH}/` ? 'index.html' : ctx.path.slice(CONSOLE_PATH.length + 1);
    if (name === 'health.json') {
      ctx.set('Cache-Control', 'no-store');
      ctx.status = assets.has('index.html') ? 200 : 503;
      ctx.type = 'application/json';
      ctx.body = health;
      return;
    }
    const asset = assets.get(name);
    if (asset === undefined) throw new HttpProblem(404, 'CONSOLE.NOT_FOUND', 'No such console file');
    send(ctx, asset, name === 'index.html' ? 'no-cache' : 'public, max-age=3600');
  };
}
