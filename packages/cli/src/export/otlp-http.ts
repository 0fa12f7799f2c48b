import zlib from 'node:zlib';
import { promisify } from 'node:util';

const gzip = promisify(zlib.gzip);

export interface HttpSenderOptions {
  url: string;
  headers: Record<string, string>;
  contentType: string;
  compression: 'gzip' | 'none';
  /** Attempts after the first one, for 429, 5xx and network errors. */
  retries: number;
  /** Per attempt, ms. */
  timeoutMs: number;
  /** The first retry's wait when the receiver gives no Retry-After, doubled each time, ms. */
  backoffMs?: number;
  /** Says that a request is being retried (one line). */
  onRetry?: (message: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** The longest wait between attempts, whatever Retry-After asks for. */
const MAX_WAIT_MS = 60_000;

/** Seconds or an HTTP date, as ms from now; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** Printable text of a response body (a JSON Status's message, or the readable runs of a protobuf one), one line. */
function describeBody(body: Uint8Array, contentType: string | null): string {
  const text = Buffer.from(body).toString('utf8');
  if (contentType?.includes('json')) {
    try {
      const message = JSON.parse(text)?.message;
      if (typeof message === 'string') return message.split('\n')[0]!.slice(0, 200);
    } catch {
      // not JSON after all
    }
  }
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f\ufffd]+/g, ' ').trim().slice(0, 200);
}

function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * POSTs OTLP/HTTP requests to one endpoint: gzip, the user's headers, and retries with
 * exponential backoff (1 s, 2 s, 4 s … with jitter, or the receiver's Retry-After) on 429, 5xx
 * and network errors. Any other answer but 2xx is an error whose message is one line: the
 * status and what the receiver said.
 */
export class OtlpHttpSender {
  requests = 0;
  retried = 0;
  bytesSent = 0;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: HttpSenderOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Sends one request body; resolves to the response body of the 2xx answer. */
  async send(payload: Uint8Array): Promise<Uint8Array> {
    const o = this.options;
    const body = o.compression === 'gzip' ? await gzip(payload) : payload;
    const headers: Record<string, string> = { ...o.headers, 'content-type': o.contentType };
    if (o.compression === 'gzip') headers['content-encoding'] = 'gzip';
    let backoff = o.backoffMs ?? 1000;
    for (let attempt = 0; ; attempt++) {
      let why = '';
      let wait: number | undefined;
      let response: Response | undefined;
      let answer = new Uint8Array(0);
      this.requests++;
      try {
        response = await fetch(o.url, { method: 'POST', headers, body: body as unknown as BodyInit, signal: AbortSignal.timeout(o.timeoutMs) });
        answer = new Uint8Array(await response.arrayBuffer());
      } catch (err) {
        response = undefined;
        why = `cannot send to ${o.url}: ${networkReason(err, o.timeoutMs)}`;
      }
      if (response) {
        if (response.ok) {
          this.bytesSent += body.length;
          return answer;
        }
        const said = describeBody(answer, response.headers.get('content-type'));
        why = `${o.url} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${said ? `: ${said}` : ''}`;
        if (!retryable(response.status)) throw new Error(why);
        wait = retryAfterMs(response.headers.get('retry-after'));
      }
      if (attempt >= o.retries) throw new Error(`${why} (gave up after ${attempt + 1} attempt${attempt === 0 ? '' : 's'})`);
      const ms = Math.min(MAX_WAIT_MS, wait ?? backoff * (0.8 + 0.4 * Math.random()));
      backoff *= 2;
      this.retried++;
      o.onRetry?.(`${why}; retrying in ${ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`}`);
      await this.sleep(ms);
    }
  }
}

function networkReason(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message.split('\n')[0]!;
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}
