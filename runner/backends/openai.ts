// The OpenAI-compatible HTTP backend (vLLM, SGLang, llama.cpp server, TGI, Ollama, hosted APIs).
// undici connection pools, one per base URL; each request goes to the URL with the fewest requests
// in flight. A request is retried with backoff on 429/5xx, resets, timeouts and malformed bodies,
// honouring Retry-After; other 4xx fail at once, since retrying can't fix them, and 401/403/404 (a
// rejected key, a wrong URL or model) stop the whole run: every other request would fail alike.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { Random } from '../../generators/core/random.js';
import type { ValidationIssue } from '../../schemas/index.js';
import type { ModelSpec } from '../recipe/types.js';
import type { Backend, BackendRequest, Prediction } from '../types.js';
import { BackendFailure, type BackendContext, type BackendEntry } from './entry.js';
import { buildRequestBody, ENDPOINT_PATHS, MalformedResponseError, parseResponseBody, type OpenAIEndpoint } from './openai-protocol.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter, type BackoffPolicy } from './retry-policy.js';

/** Options of the `openai` backend (recipe: `models[].options`). */
export interface OpenAIOptions {
  baseUrl?: string;
  baseUrls?: string[];
  model?: string;
  endpoint?: OpenAIEndpoint;
  apiKeyEnv?: string;
  concurrency?: number;
  timeoutMs?: number;
  retries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  temperature?: number;
  maxOutputTokens?: number;
  extraOutputTokens?: number;
  extraBody?: Record<string, unknown>;
  headers?: Record<string, string>;
  seed?: number | string;
}

/** Defaults: greedy, 16 in flight, 10-minute requests (long prompts), 6 retries from 1 s. */
export const OPENAI_DEFAULTS = {
  endpoint: 'chat' as OpenAIEndpoint,
  concurrency: 16,
  timeoutMs: 600_000,
  retries: 6,
  backoffBaseMs: 1000,
  backoffMaxMs: 60_000,
  temperature: 0,
};

/** Longest Retry-After honoured. */
const RETRY_AFTER_MAX_MS = 600_000;

function urlsOf(options: OpenAIOptions): string[] {
  return [...(options.baseUrl !== undefined ? [options.baseUrl] : []), ...(options.baseUrls ?? [])];
}

/**
 * Checks the options before a run: at least one base URL, each an http(s) URL, and the API key's
 * variable set when one is named. Issue paths are relative to `options`.
 * @example checkOpenAIOptions({ baseUrl: 'ftp://x' }, { baseDir: '.', env: {} })[0].path // '/baseUrl'
 */
export function checkOpenAIOptions(options: OpenAIOptions, context: BackendContext): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (options.baseUrl === undefined && options.baseUrls === undefined) {
    issues.push({ path: '/baseUrl', rule: 'required', message: 'is required (or baseUrls), e.g. "http://localhost:8000/v1"' });
  }
  const check = (url: string, path: string): void => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      issues.push({ path, rule: 'url', message: `must be an http(s) URL, got ${JSON.stringify(url)}` });
      return;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      issues.push({ path, rule: 'url', message: `must use http or https, got ${JSON.stringify(parsed.protocol)}` });
    } else if (parsed.search !== '' || parsed.hash !== '') {
      issues.push({ path, rule: 'url', message: 'must not have a query or fragment' });
    }
  };
  if (options.baseUrl !== undefined) check(options.baseUrl, '/baseUrl');
  options.baseUrls?.forEach((url, i) => check(url, `/baseUrls/${i}`));
  if (options.apiKeyEnv !== undefined && !context.env[options.apiKeyEnv]) {
    issues.push({ path: '/apiKeyEnv', rule: 'env', message: `names the environment variable ${options.apiKeyEnv}, which is not set` });
  }
  if (options.backoffMaxMs !== undefined && options.backoffBaseMs !== undefined && options.backoffMaxMs < options.backoffBaseMs) {
    issues.push({ path: '/backoffMaxMs', rule: 'minimum', message: `must be >= backoffBaseMs (${options.backoffBaseMs})` });
  }
  return issues;
}

interface Endpoint {
  pool: Pool;
  /** Path prefix of the base URL, e.g. `/v1`. */
  prefix: string;
  inFlight: number;
  url: string;
}

/** Why one attempt failed, and whether another could succeed. */
interface AttemptError {
  reason: string;
  retryable: boolean;
  retryAfterMs?: number;
  /** HTTP status, when the server answered. */
  status?: number;
}

/**
 * Statuses that no request to this server with these settings can get past: a rejected key (401,
 * 403) or a wrong URL or model name (404). The run stops at the first, instead of sending one
 * request per sample.
 */
function isFatalStatus(status: number | undefined): boolean {
  return status === 401 || status === 403 || status === 404;
}

/** A backend talking to OpenAI-compatible servers. */
export class OpenAIBackend implements Backend {
  readonly name = 'openai';
  readonly concurrency: number;
  private readonly endpoints: Endpoint[];
  private readonly endpointKind: OpenAIEndpoint;
  private readonly servedModel: string;
  private readonly headers: Record<string, string>;
  private readonly policy: BackoffPolicy;
  private readonly jitter: Random;
  private next = 0;

  constructor(
    readonly model: string,
    private readonly options: OpenAIOptions,
    env: Record<string, string | undefined> = process.env,
  ) {
    const urls = urlsOf(options);
    if (urls.length === 0) throw new Error('openai backend: options.baseUrl or options.baseUrls is required.');
    this.concurrency = options.concurrency ?? OPENAI_DEFAULTS.concurrency;
    this.endpointKind = options.endpoint ?? OPENAI_DEFAULTS.endpoint;
    this.servedModel = options.model ?? model;
    const timeoutMs = options.timeoutMs ?? OPENAI_DEFAULTS.timeoutMs;
    // Each pool may hold every in-flight request: with one URL all of them go there.
    this.endpoints = urls.map((url) => {
      const parsed = new URL(url);
      return {
        pool: new Pool(parsed.origin, { connections: this.concurrency, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 30_000 }),
        prefix: parsed.pathname.replace(/\/+$/, ''),
        inFlight: 0,
        url,
      };
    });
    const key = options.apiKeyEnv ? env[options.apiKeyEnv] : undefined;
    this.headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...options.headers,
    };
    this.policy = {
      baseMs: options.backoffBaseMs ?? OPENAI_DEFAULTS.backoffBaseMs,
      maxMs: options.backoffMaxMs ?? OPENAI_DEFAULTS.backoffMaxMs,
      retryAfterMaxMs: RETRY_AFTER_MAX_MS,
    };
    this.jitter = new Random(`openai-jitter/${String(options.seed ?? model)}`);
  }

  /** The output budget: the option's override, else the request's plus any extra. */
  private maxTokens(request: BackendRequest): number {
    return this.options.maxOutputTokens ?? request.maxOutputTokens + (this.options.extraOutputTokens ?? 0);
  }

  /** The least busy endpoint, avoiding `avoid` when there is a choice; ties go round-robin. */
  private pick(avoid: Endpoint | undefined): Endpoint {
    let best: Endpoint | undefined;
    const n = this.endpoints.length;
    for (let k = 0; k < n; k++) {
      const candidate = this.endpoints[(this.next + k) % n] as Endpoint;
      if (candidate === avoid && n > 1) continue;
      if (!best || candidate.inFlight < best.inFlight) best = candidate;
    }
    this.next = (this.next + 1) % n;
    return best as Endpoint;
  }

  async generate(request: BackendRequest): Promise<Omit<Prediction, 'id'> & { attempts: number }> {
    const body = JSON.stringify(
      buildRequestBody(this.endpointKind, request.sample, {
        model: this.servedModel,
        maxTokens: this.maxTokens(request),
        temperature: this.options.temperature ?? OPENAI_DEFAULTS.temperature,
        ...(this.options.extraBody ? { extraBody: this.options.extraBody } : {}),
      }),
    );
    const retries = this.options.retries ?? OPENAI_DEFAULTS.retries;
    const reasons: string[] = [];
    let last: Endpoint | undefined;
    for (let attempt = 1; ; attempt++) {
      const endpoint = this.pick(last);
      last = endpoint;
      const started = performance.now();
      const result = await this.attempt(endpoint, body, request.signal);
      if ('output' in result) {
        return {
          ...result,
          latencyMs: Math.round(performance.now() - started),
          backend: this.name,
          model: this.model,
          attempts: attempt,
        };
      }
      reasons.push(result.reason);
      if (request.signal?.aborted) throw new BackendFailure(`aborted: ${result.reason}`, attempt);
      if (!result.retryable || attempt > retries) {
        const summary = reasons.length > 1 ? ` (earlier: ${reasons.slice(0, -1).slice(-3).join('; ')})` : '';
        if (isFatalStatus(result.status)) {
          const hint =
            result.status === 404
              ? `check the base URL (it normally ends in /v1) and the model name ${JSON.stringify(this.servedModel)}`
              : this.options.apiKeyEnv
                ? `check the API key in ${this.options.apiKeyEnv}`
                : 'the server wants an API key: name the variable holding it with --api-key-env (apiKeyEnv)';
          throw new BackendFailure(`${result.reason}; ${hint}`, attempt, { retryable: false, fatal: true });
        }
        const why = result.retryable ? `failed after ${attempt} attempts` : 'failed (not retryable)';
        throw new BackendFailure(`${why}: ${result.reason}${summary}`, attempt, { retryable: result.retryable });
      }
      const delay = backoffDelay(attempt, this.policy, result.retryAfterMs, this.jitter.next());
      try {
        await sleep(delay, undefined, request.signal ? { signal: request.signal } : {});
      } catch {
        throw new BackendFailure(`aborted while waiting to retry: ${result.reason}`, attempt);
      }
    }
  }

  /** One HTTP request; returns the parsed answer or why it failed. */
  private async attempt(endpoint: Endpoint, body: string, outer: AbortSignal | undefined): Promise<ReturnType<typeof parseResponseBody> | AttemptError> {
    const timeoutMs = this.options.timeoutMs ?? OPENAI_DEFAULTS.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = outer ? AbortSignal.any([timeout, outer]) : timeout;
    endpoint.inFlight++;
    try {
      const response = await endpoint.pool.request({
        path: endpoint.prefix + ENDPOINT_PATHS[this.endpointKind],
        method: 'POST',
        headers: this.headers,
        body,
        signal,
      });
      const text = await response.body.text();
      if (response.statusCode < 200 || response.statusCode >= 300) {
        const retryAfterMs = parseRetryAfter(response.headers['retry-after'], Date.now());
        const failure: AttemptError = {
          reason: `HTTP ${response.statusCode} from ${endpoint.url}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`,
          retryable: isRetryableStatus(response.statusCode),
          status: response.statusCode,
        };
        if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs;
        return failure;
      }
      try {
        return parseResponseBody(this.endpointKind, text);
      } catch (error) {
        if (error instanceof MalformedResponseError) return { reason: `${error.message} from ${endpoint.url}`, retryable: true };
        throw error;
      }
    } catch (error) {
      if (timeout.aborted) return { reason: `timed out after ${timeoutMs} ms at ${endpoint.url}`, retryable: true };
      if (outer?.aborted) return { reason: 'aborted by the runner', retryable: false };
      const err = error as Error & { code?: string };
      return { reason: `${err.code ?? err.name}: ${err.message} at ${endpoint.url}`, retryable: true };
    } finally {
      endpoint.inFlight--;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.endpoints.map((e) => e.pool.close()));
  }
}

/** Registry entry of the `openai` backend. */
export const openaiBackend: BackendEntry = {
  description: 'Any OpenAI-compatible server (vLLM, SGLang, llama.cpp, TGI, Ollama, hosted APIs): chat or completions.',
  supportsAttention: false,
  check: (options, context) => checkOpenAIOptions(options as OpenAIOptions, context),
  create: (model: ModelSpec, context: BackendContext) =>
    Promise.resolve(new OpenAIBackend(model.name, (model.options ?? {}) as OpenAIOptions, context.env)),
};
