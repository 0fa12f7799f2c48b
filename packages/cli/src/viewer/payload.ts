import zlib from 'node:zlib';

export type Encoding = 'br' | 'gzip';

/** Responses smaller than this go uncompressed: compressing would not pay. */
const MIN_COMPRESS_BYTES = 1024;

/**
 * A response body held once, with its compressed forms made on first request and kept: a cached
 * payload is never copied or compressed again, whatever the number of requests.
 */
export class Payload {
  private readonly encoded = new Map<Encoding, Buffer>();

  constructor(readonly raw: Buffer) {}

  static of(text: string): Payload {
    return new Payload(Buffer.from(text));
  }

  /** The body for a request's Accept-Encoding: brotli, else gzip, else as it is. */
  for(acceptEncoding: string | undefined): { body: Buffer; encoding?: Encoding } {
    if (this.raw.length < MIN_COMPRESS_BYTES || !acceptEncoding) return { body: this.raw };
    const encoding = pick(acceptEncoding);
    if (!encoding) return { body: this.raw };
    let body = this.encoded.get(encoding);
    if (!body) {
      body = encoding === 'br' ? zlib.brotliCompressSync(this.raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: this.raw.length } }) : zlib.gzipSync(this.raw, { level: 6 });
      this.encoded.set(encoding, body);
    }
    return { body, encoding };
  }
}

/** The encoding to use for an Accept-Encoding header (`q=0` refuses one). */
function pick(header: string): Encoding | undefined {
  const accepted = new Set<string>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    if (params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p))) continue;
    accepted.add(name.trim());
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  return undefined;
}
