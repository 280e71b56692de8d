// SVG exports of DOT sources, cached by the source's SHA-256: a source renders to the same SVG every time, so an
// entry never goes stale and its TTL only bounds the memory it takes. Only renderings that succeeded are kept;
// concurrent exports of one source share a single rendering. The cache is an optimisation: when it fails, the
// export renders anyway and the failure goes to `onCacheError`.
import { createHash } from 'node:crypto';
import type { Cache } from '../ports/cache.js';
import type { DiagramRenderer, RenderOutcome } from './diagram-renderer.js';

/** Bumped when the renderer's output changes (a new Graphviz, other SVG options), so old entries are not served. */
const KEY_PREFIX = 'diagram-svg:v1:';
const DEFAULT_TTL_SECONDS = 24 * 3600;

export type SvgExportOptions = Readonly<{
  ttlSeconds?: number;
  /** Called when the cache throws on a read or a write; the export goes on without it. */
  onCacheError?: (error: unknown) => void;
}>;

/** A rendering's outcome, and for every outcome whether it came from the cache. */
export type SvgExport = RenderOutcome<string> & Readonly<{ cache?: 'hit' | 'miss' }>;

export const svgCacheKey = (source: string): string => `${KEY_PREFIX}${createHash('sha256').update(source, 'utf8').digest('hex')}`;

export class SvgExports {
  readonly #inFlight = new Map<string, Promise<SvgExport>>();
  readonly #ttlSeconds: number;
  #renders = 0;

  constructor(
    private readonly renderer: DiagramRenderer,
    private readonly cache: Cache,
    private readonly options: SvgExportOptions = {},
  ) {
    this.#ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    if (!Number.isFinite(this.#ttlSeconds) || this.#ttlSeconds <= 0) throw new RangeError(`ttlSeconds must be a positive number, got ${this.#ttlSeconds}`);
  }

  /** How many times this export called the renderer. */
  get renders(): number {
    return this.#renders;
  }

  /** The SVG of a DOT source: cached, or rendered (once for all concurrent callers) and cached when it succeeds. */
  svgOf(source: string): Promise<SvgExport> {
    const key = svgCacheKey(source);
    const running = this.#inFlight.get(key);
    if (running !== undefined) return running;
    const started = this.#export(key, source).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }

  async #export(key: string, source: string): Promise<SvgExport> {
    const cached = await this.#read(key);
    if (cached !== null) return { status: 'ok', value: cached, cache: 'hit' };
    this.#renders++;
    const outcome = await this.renderer.renderDotSvg(source);
    if (outcome.status === 'ok') await this.#write(key, outcome.value);
    return { ...outcome, cache: 'miss' };
  }

  async #read(key: string): Promise<string | null> {
    try {
      return await this.cache.get(key);
    } catch (error) {
      this.#report(error);
      return null;
    }
  }

  async #write(key: string, svg: string): Promise<void> {
    try {
      await this.cache.set(key, svg, this.#ttlSeconds);
    } catch (error) {
      this.#report(error);
    }
  }

  #report(error: unknown): void {
    try {
      this.options.onCacheError?.(error);
    } catch {
      // A failing logger must not fail an export the cache was only meant to speed up.
    }
  }
}
