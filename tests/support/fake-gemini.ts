// A local stand-in for the Gemini API: answers `POST /v1beta/models/<model>:generateContent` the way Gemini does,
// records every request, and plays whatever the test queues next (an answer, an error status, silence, garbage).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeGeminiReply =
  /** 200 with the value, serialised, as the candidate's text: what Gemini sends in JSON mode. */
  | Readonly<{ kind: 'json'; value: unknown }>
  /** 200 with this exact candidate text (malformed JSON, prose). */
  | Readonly<{ kind: 'text'; text: string }>
  /** An error status with Gemini's error body. */
  | Readonly<{ kind: 'status'; status: number; message: string }>
  /** Never answers; the connection stays open until the client gives up or the server closes. */
  | Readonly<{ kind: 'hang' }>;

export type ReceivedRequest = Readonly<{
  method: string;
  path: string;
  /** The x-goog-api-key header. */
  apiKey: string | undefined;
  body: GenerateContentBody;
}>;

/** The parts of a generateContent request the tests look at. */
export type GenerateContentBody = {
  contents?: { role?: string; parts?: { text?: string }[] }[];
  systemInstruction?: { role?: string; parts?: { text?: string }[] };
  generationConfig?: { responseMimeType?: string; responseSchema?: unknown };
};

export type FakeGemini = Readonly<{
  /** For GEMINI_BASE_URL / requestOptions.baseUrl. */
  baseUrl: string;
  requests: ReceivedRequest[];
  /** Queues replies, played one per request; when none is queued, the request gets 500. */
  reply(...replies: FakeGeminiReply[]): void;
  close(): Promise<void>;
}>;

const ROUTE = /^\/v1beta\/models\/([A-Za-z0-9._-]+):generateContent$/;

function send(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

const candidate = (text: string) => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
});

const STATUS_NAMES: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export async function startFakeGemini(): Promise<FakeGemini> {
  const queue: FakeGeminiReply[] = [];
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      if (request.method !== 'POST' || !ROUTE.test(path)) {
        send(response, 404, { error: { code: 404, message: `no route ${request.method} ${path}`, status: 'NOT_FOUND' } });
        return;
      }
      let body: GenerateContentBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as GenerateContentBody;
      } catch {
        send(response, 400, { error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' } });
        return;
      }
      const apiKey = request.headers['x-goog-api-key'];
      requests.push({ method: request.method, path, apiKey: Array.isArray(apiKey) ? apiKey[0] : apiKey, body });
      const next = queue.shift() ?? { kind: 'status', status: 500, message: 'the fake has no reply queued' };
      switch (next.kind) {
        case 'json':
          return send(response, 200, candidate(JSON.stringify(next.value)));
        case 'text':
          return send(response, 200, candidate(next.text));
        case 'status':
          return send(response, next.status, { error: { code: next.status, message: next.message, status: STATUS_NAMES[next.status] ?? 'UNKNOWN' } });
        case 'hang':
          return; // the client's deadline is what ends this one
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    reply: (...replies) => void queue.push(...replies),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
