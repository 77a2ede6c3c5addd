// An OpenAI-compatible test server on 127.0.0.1 that answers each prompt with the gold answer of
// the fixture samples (`The item is X.` in the prompt), and injects faults by plan: for each
// sample, a list of what to do on its 1st, 2nd, ... request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | 'ok'
  | '429' // rate limited, Retry-After 0.3 s
  | '500'
  | '400' // a client error: not retried
  | '401' // the API key is refused: the run stops
  | 'hang' // never answers
  | 'reset' // headers and half the body, then the connection is destroyed
  | 'malformed' // 200 with a body that is not JSON
  | 'slow' // the body dribbles out in 5 chunks over ~100 ms
  | 'length'; // answers, but with finish_reason "length"

export interface FaultServer {
  url: string;
  /** Requests seen per sample answer key, and when. */
  attempts: Map<string, number[]>;
  requests: number;
  /** Bodies of requests, for assertions on what was sent. */
  bodies: Record<string, unknown>[];
  headers: IncomingMessage['headers'][];
  close(): Promise<void>;
}

/** What the server answers a request for `answer` on `attempt` (1-based). */
export type Plan = (answer: string, attempt: number) => Fault;

export interface FaultServerOptions {
  plan?: Plan;
  /** Delay before answering every request (ms). */
  delayMs?: number;
  /** Retry-After of a 429, in seconds (default 0.3). */
  retryAfterSeconds?: number;
  /** prompt_tokens reported (default 100). */
  promptTokens?: number;
  /** Keep request bodies (default true). */
  keepBodies?: boolean;
  /** Attempt counts shared with other servers of the same plan (default: this server's own). */
  attempts?: Map<string, number[]>;
}

function answerOf(body: Record<string, unknown>): string {
  const messages = body['messages'] as { content: string }[] | undefined;
  const prompt = messages ? messages.map((m) => m.content).join('\n') : String(body['prompt'] ?? '');
  return /The item is (\S+)\./.exec(prompt)?.[1] ?? 'unknown';
}

/** Starts the server; `close()` ends it and every open connection. */
export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const plan = options.plan ?? (() => 'ok');
  const sockets = new Set<Socket>();
  const state: Omit<FaultServer, 'url' | 'close'> = { attempts: options.attempts ?? new Map(), requests: 0, bodies: [], headers: [] };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      if (options.keepBodies !== false) {
        state.bodies.push(body);
        state.headers.push(req.headers);
      }
      const answer = answerOf(body);
      const times = state.attempts.get(answer) ?? [];
      times.push(Date.now());
      state.attempts.set(answer, times);
      const fault = plan(answer, times.length);
      const chat = req.url?.endsWith('/chat/completions') === true;
      const output = `<answer>\n${answer}\n</answer>`;
      const payload = JSON.stringify({
        id: 'x',
        object: chat ? 'chat.completion' : 'text_completion',
        choices: [chat ? { index: 0, message: { role: 'assistant', content: output, reasoning_content: 'I looked.' }, finish_reason: fault === 'length' ? 'length' : 'stop' } : { index: 0, text: output, finish_reason: fault === 'length' ? 'length' : 'stop' }],
        usage: { prompt_tokens: options.promptTokens ?? 100, completion_tokens: 7, total_tokens: 107 },
      });
      const respond = (): void => {
        switch (fault) {
          case 'hang':
            return;
          case '429':
            res.writeHead(429, { 'retry-after': String(options.retryAfterSeconds ?? 0.3), 'content-type': 'application/json' }).end('{"error":"rate limited"}');
            return;
          case '500':
            res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
            return;
          case '400':
            res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"prompt too long"}');
            return;
          case '401':
            res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid api key"}');
            return;
          case 'malformed':
            res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices": [{"message": ');
            return;
          case 'reset':
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(payload.length) });
            res.write(payload.slice(0, payload.length >> 1), () => res.socket?.destroy());
            return;
          case 'slow': {
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) });
            const parts = 5;
            const size = Math.ceil(payload.length / parts);
            let i = 0;
            const next = (): void => {
              if (i >= parts) return void res.end();
              res.write(payload.slice(i * size, (i + 1) * size));
              i++;
              setTimeout(next, 20);
            };
            next();
            return;
          }
          default:
            res.writeHead(200, { 'content-type': 'application/json' }).end(payload);
        }
      };
      if (options.delayMs) setTimeout(respond, options.delayMs);
      else respond();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/v1`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  }) as FaultServer;
}
