// Server-Sent Events responses: frames with an id and an event name, a heartbeat comment so that proxies and
// clients see the connection alive, an end when the client leaves, and an end for every stream when the process
// shuts down (an open stream is never idle, so the server's close would otherwise wait for it). A client that reads
// too slowly is dropped rather than buffered without bound; it reconnects with Last-Event-ID.
import type { Context } from 'koa';
import { PassThrough } from 'node:stream';

export type EventStream = Readonly<{
  send(event: string, id: string, data: unknown): void;
  /** Resolves once the stream has ended, whoever ended it. */
  ended: Promise<void>;
}>;

/** What a stream may hold unread before its client counts as gone. */
const MAX_BUFFERED_BYTES = 1 << 20;
/** How long a client waits before reconnecting after the stream ends. */
const RETRY_MS = 2000;

export class EventStreams {
  private readonly open = new Set<() => void>();
  private readonly shutdown = new AbortController();
  /** Aborted once the process shuts its streams down: what feeds them stops too. */
  readonly closing: AbortSignal = this.shutdown.signal;

  constructor(private readonly heartbeatMs: number) {}

  /** Answers `ctx` with an event stream. */
  start(ctx: Context): EventStream {
    const body = new PassThrough();
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.status = 200;
    ctx.set('Content-Type', 'text/event-stream; charset=utf-8');
    ctx.set('Cache-Control', 'no-cache, no-transform');
    ctx.set('X-Accel-Buffering', 'no'); // nginx: pass frames on as they come
    ctx.body = body;
    let end = (): void => undefined;
    const ended = new Promise<void>((resolve) => {
      end = () => {
        if (!this.open.delete(end)) return;
        clearInterval(heartbeat);
        body.end();
        // At shutdown the connection goes too once the stream is flushed: kept alive, it would hold the server's close.
        if (this.closing.aborted) ctx.res.once('finish', () => ctx.req.socket.end());
        resolve();
      };
    });
    this.open.add(end);
    const write = (text: string): void => {
      if (body.writableLength > MAX_BUFFERED_BYTES) end();
      else body.write(text);
    };
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), this.heartbeatMs);
    ctx.res.once('close', end);
    write(`retry: ${RETRY_MS}\n\n`);
    return {
      send: (event, id, data) => write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
      ended,
    };
  }

  /** Streams open now. */
  get size(): number {
    return this.open.size;
  }

  /** Ends every stream (shutdown). */
  closeAll(): void {
    this.shutdown.abort();
    for (const end of [...this.open]) end();
  }
}
