import { Payload } from './payload.js';

/** A response the server writes as it is: nothing is ever read from disk per request. */
export interface Reply {
  status: number;
  type: string;
  /** A Payload is sent compressed when the client accepts it. */
  body: string | Buffer | Payload;
  /** A redirect's target. */
  location?: string;
}

/** Answers a matched path: `param` is the path's id, `query` the request's query string (raw, undecoded). */
export type Handler = (param: number | undefined, query: string) => Reply | Promise<Reply>;

const JSON_TYPE = 'application/json; charset=utf-8';

export function json(value: unknown): Reply {
  return { status: 200, type: JSON_TYPE, body: JSON.stringify(value) };
}

/** A JSON body that is already serialised (cached payloads). */
export function rawJson(body: string | Payload): Reply {
  return { status: 200, type: JSON_TYPE, body };
}

/** A JSON body made for this request alone, compressed when the client accepts it. */
export function jsonPayload(value: unknown): Reply {
  return { status: 200, type: JSON_TYPE, body: Payload.of(JSON.stringify(value)) };
}

export function notFound(what = 'not found'): Reply {
  return { status: 404, type: 'text/plain; charset=utf-8', body: `${what}\n` };
}

/**
 * The server's whole surface: exact paths, plus paths that end in one decimal id
 * (`/api/tests/12`), below the server's secret `/TOKEN` prefix. A request path is compared with
 * the table as raw text, never decoded or joined to a directory, so `..`, `%2e%2e`,
 * backslashes and absolute paths can only miss.
 */
export class Router {
  private readonly exact = new Map<string, Handler>();
  private readonly withId = new Map<string, Handler>();

  /** Registers `path`; a path ending in `/:id` matches that prefix followed by a decimal id. */
  get(path: string, handler: Handler): this {
    if (path.endsWith('/:id')) this.withId.set(path.slice(0, -':id'.length), handler);
    else this.exact.set(path, handler);
    return this;
  }

  /** The handler and id for a request path (without the query), or undefined. */
  match(pathname: string): { handler: Handler; param: number | undefined } | undefined {
    const handler = this.exact.get(pathname);
    if (handler) return { handler, param: undefined };
    const slash = pathname.lastIndexOf('/');
    const prefix = pathname.slice(0, slash + 1);
    const id = pathname.slice(slash + 1);
    const withId = this.withId.get(prefix);
    if (withId && /^(0|[1-9][0-9]{0,8})$/.test(id)) return { handler: withId, param: Number(id) };
    return undefined;
  }

  get paths(): string[] {
    return [...this.exact.keys(), ...[...this.withId.keys()].map((p) => `${p}:id`)];
  }
}
