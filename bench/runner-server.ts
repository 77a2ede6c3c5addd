// An OpenAI-compatible server that answers instantly, for bench/runner.ts: it drains the request
// and returns a fixed chat completion. Prints its URL on stdout, then serves until killed.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = JSON.stringify({
  id: 'bench',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: '<answer>\nnothing\n</answer>' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 4096, completion_tokens: 6, total_tokens: 4102 },
});

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1\n`);
});
