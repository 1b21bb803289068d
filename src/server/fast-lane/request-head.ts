/**
 * A deliberately narrow HTTP/1.1 request-head reader for the fast lane (fast-lane.ts).
 *
 * It recognises one shape only: `POST <target> HTTP/1.1`, well-formed header lines, a single
 * `Content-Length` within the body limit, and no `Transfer-Encoding`, `Expect` or `Upgrade`.
 * Anything else — another method or version, a malformed or folded line, a duplicate header, a
 * chunked body, a head past the size limit — is `other`: the connection then goes to node:http,
 * whose parser (llhttp) answers it with its own strict rules. So this reader never has to decide
 * what a malformed request means; it only has to be sure a request it accepts is well-formed.
 */

export type HeadResult =
  | { kind: 'incomplete' }
  | { kind: 'other' }
  | {
      kind: 'request';
      target: string;
      /** Header names lower-cased; every header appears once (duplicates are `other`). */
      headers: Record<string, string>;
      contentLength: number;
      /** Where the body starts in the buffer. */
      bodyStart: number;
      /** False when the client sent `Connection: close`. */
      keepAlive: boolean;
    };

const CRLF2 = Buffer.from('\r\n\r\n');
const REQUEST_LINE = /^POST (\/[!-~]*) HTTP\/1\.1$/;
/** RFC 9110 token characters. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * Field values: visible ASCII, spaces and tabs; no CR, LF, NUL or other controls. obs-text (bytes
 * 0x80-0xff) is legal but rare, and a value may be echoed (`X-Request-Id`): node:http takes those.
 */
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;
const INCOMPLETE: HeadResult = { kind: 'incomplete' };
const OTHER: HeadResult = { kind: 'other' };

export interface HeadLimits {
  /** Largest head accepted (node:http's `maxHeaderSize`; beyond it node answers 431). */
  maxHeaderSize: number;
  /** Largest body accepted (beyond it node:http and fastify answer 413). */
  bodyLimit: number;
}

/** Reads the request head starting at `start`. */
export function readRequestHead(buf: Buffer, start: number, limits: HeadLimits): HeadResult {
  const end = buf.indexOf(CRLF2, start);
  if (end < 0) return buf.length - start > limits.maxHeaderSize ? OTHER : INCOMPLETE;
  if (end - start > limits.maxHeaderSize) return OTHER;
  const lines = buf.toString('latin1', start, end).split('\r\n');
  const line = REQUEST_LINE.exec(lines[0]);
  if (line === null) return OTHER;
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i];
    const colon = text.indexOf(':');
    if (colon <= 0) return OTHER;
    const name = text.slice(0, colon);
    if (!TOKEN.test(name)) return OTHER; // also refuses folded lines (they start with a space)
    const value = text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_VALUE.test(value)) return OTHER;
    const key = name.toLowerCase();
    if (key in headers) return OTHER;
    headers[key] = value;
  }
  if ('transfer-encoding' in headers || 'expect' in headers || 'upgrade' in headers) return OTHER;
  const length = headers['content-length'];
  if (length === undefined || !/^\d{1,15}$/.test(length)) return OTHER;
  const contentLength = Number(length);
  if (contentLength > limits.bodyLimit) return OTHER;
  let keepAlive = true;
  const connection = headers.connection;
  if (connection !== undefined) {
    const tokens = connection
      .toLowerCase()
      .split(',')
      .map((t) => t.trim());
    if (tokens.includes('upgrade')) return OTHER;
    keepAlive = !tokens.includes('close');
  }
  return { kind: 'request', target: line[1], headers, contentLength, bodyStart: end + 4, keepAlive };
}
