/**
 * The fast lane: keep-alive connections whose requests are all small, well-formed POSTs to a
 * route the lane takes (the V2 infer route) are read and answered on the raw socket, without
 * node:http's per-request IncomingMessage/ServerResponse streams. The first request that is
 * anything else — another route or method, a body split across reads, an unusual header — hands
 * the connection, with every byte not yet consumed, to node:http (and so to fastify) for the rest
 * of its life. No request is ever answered by guesswork: the lane's reader (request-head.ts)
 * accepts one narrow shape and node's strict parser gets the rest.
 *
 * Why: bench/serving measured a bare node:http server at ~25 µs of CPU per small JSON request on
 * this machine and a socket-level reader answering the same JSON at ~14 µs. Single-row
 * inference requests cost little more than their HTTP handling, so the HTTP layer decides how
 * many a core answers (bench/serving/README.md has the figures).
 *
 * Order is kept per connection: pipelined requests get their answers in the order they came,
 * whichever inference finishes first, and a handoff waits until every answer the lane owes on
 * that connection is written.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { type HeadLimits, readRequestHead } from './request-head.js';

export interface LaneRequest {
  target: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Answers one request: status, extra header lines (`name: value`, no CRLF), JSON body text. */
export type LaneRespond = (status: number, headerLines: readonly string[], body: string) => void;

export interface LaneOptions extends HeadLimits {
  /** Whether the lane answers a POST to this target (with these headers); false hands off. */
  takes(target: string, headers: Record<string, string>): boolean;
  /** Handles a request; must call `respond` exactly once, now or later. */
  handle(request: LaneRequest, respond: LaneRespond): void;
  /** True once the server is shutting down: answers then close their connections. */
  draining(): boolean;
}

/**
 * An http.Server whose connections start in the fast lane. listen/close/address behave as
 * node's; `closeIdleConnections` (called by `close` since Node 19, and by fastify) also ends the
 * lane's idle connections, and the busy ones close after their last answer.
 */
export class FastLaneServer extends http.Server {
  readonly #connections = new Set<LaneConnection>();
  readonly #date = new DateHeader();
  #closing = false;

  constructor(
    handler: http.RequestListener,
    private readonly lane: LaneOptions,
  ) {
    super(handler);
    // node's own connection listener, kept for the connections the lane hands over.
    const nodeListeners = this.listeners('connection') as ((socket: Socket) => void)[];
    this.removeAllListeners('connection');
    const handOff = (socket: Socket) => {
      for (const listener of nodeListeners) listener.call(this, socket);
    };
    this.on('connection', (socket: Socket) => {
      if (this.#closing) return handOff(socket);
      const connection = new LaneConnection(socket, this, this.#date, this.lane, handOff, (c) =>
        this.#connections.delete(c),
      );
      this.#connections.add(connection);
    });
  }

  override closeIdleConnections(): void {
    super.closeIdleConnections();
    this.#closing = true;
    for (const c of this.#connections) c.closeWhenIdle();
  }

  override closeAllConnections(): void {
    super.closeAllConnections();
    this.#closing = true;
    for (const c of this.#connections) c.destroy();
  }
}

/** How long a connection accepted just before shutdown may take to bring its first request. */
const FIRST_REQUEST_GRACE_MS = 1000;

interface Slot {
  /** The answer's bytes once ready. */
  text: string | null;
  /** The last request the connection reads (`Connection: close`, or the server is draining). */
  last: boolean;
}

class LaneConnection {
  /** Answers owed, in request order. */
  readonly #slots: Slot[] = [];
  /** No more requests are read: the client asked to close, or the server is draining. */
  #ending = false;
  /** Bytes waiting for the handoff (set once the lane has decided to hand off). */
  #handoff: Buffer | null = null;
  #handedOff = false;
  /** The server is closing: the next request read is the last. */
  #shuttingDown = false;
  /** Answers written so far. */
  #answered = 0;
  /** Reading paused until the client takes the answers already written. */
  #waitingForDrain = false;
  readonly #onData = (chunk: Buffer) => this.#read(chunk);
  readonly #onTimeout = () => {
    if (this.#slots.length === 0) this.socket.destroy();
  };
  readonly #onClose = () => this.forget(this);

  constructor(
    readonly socket: Socket,
    private readonly server: http.Server,
    private readonly date: DateHeader,
    private readonly lane: LaneOptions,
    private readonly handOff: (socket: Socket) => void,
    private readonly forget: (c: LaneConnection) => void,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(server.keepAliveTimeout);
    socket.on('data', this.#onData);
    socket.on('timeout', this.#onTimeout);
    socket.on('error', () => socket.destroy());
    socket.on('close', this.#onClose);
  }

  /**
   * Ends the connection once it owes nothing (now, if it is idle). A connection that has not
   * brought its first request yet gets a short grace: it was accepted, so its request is most
   * likely already on the way (node:http would drop it; a client would see "socket closed").
   */
  closeWhenIdle(): void {
    this.#shuttingDown = true;
    if (this.#handedOff || this.#ending) return;
    if (this.#slots.length > 0) {
      this.#ending = true;
      return;
    }
    if (this.#answered > 0) {
      this.#ending = true;
      this.socket.end();
      return;
    }
    setTimeout(() => {
      if (this.#handedOff || this.#ending || this.#slots.length > 0) return;
      this.#ending = true;
      this.socket.end();
    }, FIRST_REQUEST_GRACE_MS).unref();
  }

  destroy(): void {
    if (!this.#handedOff) this.socket.destroy();
  }

  /** Reads the whole requests in `buf`; anything else goes to node:http with the connection. */
  #read(buf: Buffer): void {
    if (this.#ending) return; // bytes after `Connection: close` are not read
    this.socket.cork();
    let offset = 0;
    while (offset < buf.length) {
      const head = readRequestHead(buf, offset, this.lane);
      if (head.kind !== 'request' || !this.lane.takes(head.target, head.headers)) break;
      const end = head.bodyStart + head.contentLength;
      if (end > buf.length) break; // a body split across reads: node:http waits for the rest
      offset = end;
      const last = !head.keepAlive || this.#shuttingDown || this.lane.draining();
      if (last) this.#ending = true;
      this.#dispatch(
        { target: head.target, headers: head.headers, body: buf.subarray(head.bodyStart, end) },
        last,
      );
      if (last) break;
    }
    this.socket.uncork();
    if (offset < buf.length && !this.#ending) this.#startHandoff(buf.subarray(offset));
    else if (this.#ending && this.#slots.length === 0) this.socket.end();
  }

  #dispatch(request: LaneRequest, last: boolean): void {
    const slot: Slot = { text: null, last };
    this.#slots.push(slot);
    this.lane.handle(request, (status, headerLines, body) => {
      // Draining: the connection's last answer says it closes (earlier ones are still followed).
      const close =
        slot.last || ((this.#shuttingDown || this.lane.draining()) && this.#slots.at(-1) === slot);
      slot.text = this.#format(status, headerLines, body, close);
      this.#flush();
    });
  }

  #format(status: number, headerLines: readonly string[], body: string, close: boolean): string {
    let head = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    for (const line of headerLines) head += `${line}\r\n`;
    head += `content-length: ${Buffer.byteLength(body)}\r\nDate: ${this.date.now()}\r\n`;
    head += close
      ? 'Connection: close\r\n'
      : `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(this.server.keepAliveTimeout / 1000)}\r\n`;
    return `${head}\r\n${body}`;
  }

  /** Writes every ready answer at the head of the queue, in order. */
  #flush(): void {
    const slots = this.#slots;
    if (slots.length === 0 || slots[0].text === null) return;
    let out = '';
    while (slots.length > 0 && slots[0].text !== null) {
      out += slots.shift()!.text;
      this.#answered++;
    }
    const socket = this.socket;
    if (socket.destroyed) return;
    if (!socket.write(out) && this.#handoff === null && !this.#waitingForDrain) {
      // The client is not reading its answers: stop reading its requests until it does.
      this.#waitingForDrain = true;
      socket.pause();
      socket.once('drain', () => {
        this.#waitingForDrain = false;
        if (this.#handoff === null && !this.#handedOff) socket.resume();
      });
    }
    if (slots.length > 0) return;
    if (this.#handoff !== null) this.#finishHandoff();
    else if (this.#ending || this.#shuttingDown || this.lane.draining()) this.socket.end();
  }

  #startHandoff(rest: Buffer): void {
    this.socket.pause();
    this.socket.off('data', this.#onData);
    // A copy: `rest` may view a buffer the next read reuses.
    this.#handoff = Buffer.from(rest);
    if (this.#slots.length === 0) this.#finishHandoff();
  }

  #finishHandoff(): void {
    const socket = this.socket;
    const rest = this.#handoff!;
    this.#handoff = null;
    this.#handedOff = true;
    socket.setTimeout(0);
    socket.off('timeout', this.#onTimeout);
    socket.off('close', this.#onClose);
    socket.removeAllListeners('error');
    this.forget(this);
    socket.unshift(rest);
    this.handOff(socket);
    socket.resume();
  }
}

/** `Date` header text, rebuilt once a second (as node:http does). */
class DateHeader {
  #second = -1;
  #text = '';

  now(): string {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#text = new Date(now).toUTCString();
    }
    return this.#text;
  }
}
