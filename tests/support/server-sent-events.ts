// A Server-Sent Events client for tests: reads a real HTTP response's frames (and comments) as they arrive.

export type SseFrame = Readonly<{ event: string | null; id: string | null; data: string | null; comment: string | null; retry: number | null }>;

export type SseReader = Readonly<{
  status: number;
  headers: Headers;
  /** The next frame or comment, or null once the stream has ended; rejects after `timeoutMs` with nothing. */
  next(timeoutMs?: number): Promise<SseFrame | null>;
  close(): void;
}>;

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const ready: SseFrame[] = [];
  let ended = false;
  const parse = (block: string): SseFrame => {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) return { event: null, id: null, data: null, comment: line.slice(1).trim(), retry: null };
      const colon = line.indexOf(':');
      const name = colon === -1 ? line : line.slice(0, colon);
      fields[name] = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    }
    return { event: fields.event ?? null, id: fields.id ?? null, data: fields.data ?? null, comment: null, retry: fields.retry === undefined ? null : Number(fields.retry) };
  };
  const fill = async (): Promise<void> => {
    while (ready.length === 0 && !ended) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        return;
      }
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        ready.push(parse(buffer.slice(0, end)));
        buffer = buffer.slice(end + 2);
      }
    }
  };
  return {
    status: response.status,
    headers: response.headers,
    next: async (timeoutMs = 10_000) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs)));
      try {
        await Promise.race([fill(), timeout]);
      } finally {
        clearTimeout(timer);
      }
      return ready.shift() ?? null;
    },
    close: () => controller.abort(),
  };
}
