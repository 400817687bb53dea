// multisocket.js — the Talk client for browsers and Node (an ES module: no build step, no dependencies).
//
// Speaks MultiSocket frames over a WebSocket with the `multisocket.binary` subprotocol, and Talk frames inside
// them (DESIGN.md, "Talk", has both layouts). The same concepts as the Swift `Talk` peer: connect (with automatic
// reconnect and backoff), call, notify, handle, streams with credit-based back-pressure, heartbeats.
// Node 20 needs `node --experimental-websocket` (or pass `WebSocket` in the options); Node 22+ and browsers
// have a global WebSocket.

export const TALK_VERSION = 1;
const MAGIC = 0x54;
const HEADER = 8;
const TTL = 8;
const K = {
  hello: 1, heartbeat: 2, request: 3, notification: 4, result: 5, failure: 6, unknownOperation: 7, retry: 8,
  streamOpen: 9, part: 10, end: 11, credit: 12, cancel: 13, versionMismatch: 14,
};
const FROM_HANDLER = 1;
const REQUEST_COMPLETE = 2;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes of a payload: a Uint8Array as is, a string as UTF-8, an ArrayBuffer, or nothing. */
export function toBytes(payload) {
  if (payload === undefined || payload === null) return new Uint8Array(0);
  if (payload instanceof Uint8Array) return payload;
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  if (typeof payload === 'string') return encoder.encode(payload);
  throw new TypeError('payload must be a Uint8Array, ArrayBuffer or string (use the JSON helpers for values)');
}
/** The UTF-8 text of bytes. */
export const text = (bytes) => decoder.decode(bytes);
/** The JSON value in bytes. */
export const json = (bytes) => JSON.parse(decoder.decode(bytes));
const jsonBytes = (value) => encoder.encode(JSON.stringify(value === undefined ? null : value));

/** A Talk failure: `code` is one of the Swift TalkError codes (unknownOperation, handlerFailed, retry, …). */
export class TalkError extends Error {
  constructor(code, message, retryAfter) {
    super(`talk ${code}: ${message}`);
    this.name = 'TalkError';
    this.code = code;
    this.detail = message;
    this.retryAfter = retryAfter;
  }
}

// MARK: Wire

function encodeTalk({ kind, id = 0, flags = 0, name = '', number = 0, load = 0, payload = new Uint8Array(0) }) {
  const nameBytes = encoder.encode(name);
  const hasName = kind === K.request || kind === K.notification || kind === K.streamOpen;
  const hasLoad = kind === K.hello || kind === K.heartbeat;
  const hasNumber = kind === K.streamOpen || kind === K.retry || kind === K.credit || hasLoad;
  if (hasName && nameBytes.length > 255) throw new TalkError('badPayload', 'name longer than 255 bytes');
  const size = HEADER + (hasName ? 1 + nameBytes.length : 0) + (hasLoad ? 2 : 0) + (hasNumber ? 4 : 0) + payload.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = MAGIC; out[1] = TALK_VERSION; out[2] = kind; out[3] = flags;
  view.setUint32(4, id >>> 0);
  let at = HEADER;
  if (hasName) { out[at++] = nameBytes.length; out.set(nameBytes, at); at += nameBytes.length; }
  if (hasLoad) { view.setUint16(at, load); at += 2; }
  if (hasNumber) { view.setUint32(at, number >>> 0); at += 4; }
  out.set(payload, at);
  return out;
}

function decodeTalk(bytes) {
  if (bytes.length < HEADER || bytes[0] !== MAGIC) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frame = { version: bytes[1], kind: bytes[2], flags: bytes[3], id: view.getUint32(4), name: '', number: 0, load: 0 };
  if (frame.version !== TALK_VERSION) { frame.payload = bytes.subarray(HEADER); return frame; }
  if (frame.kind < K.hello || frame.kind > K.versionMismatch) return null;
  let at = HEADER;
  const k = frame.kind;
  if (k === K.request || k === K.notification || k === K.streamOpen) {
    if (at >= bytes.length) return null;
    const length = bytes[at++];
    if (bytes.length - at < length) return null;
    try { frame.name = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(at, at + length)); } catch { return null; }
    at += length;
  }
  if (k === K.hello || k === K.heartbeat) {
    if (bytes.length - at < 2) return null;
    frame.load = view.getUint16(at); at += 2;
  }
  if (k === K.streamOpen || k === K.retry || k === K.credit || k === K.hello || k === K.heartbeat) {
    if (bytes.length - at < 4) return null;
    frame.number = view.getUint32(at); at += 4;
  }
  frame.payload = bytes.subarray(at);
  return frame;
}

// A MultiSocket frame: [flags][ttl][hops][distance][length u32 BE][source ids][destination ids][content].
// `to` is the path back to a peer (the source of a message it sent); `null` sends to one peer.
function encodeMessage(content, to) {
  const destination = to ? [0, ...to] : [];
  const out = new Uint8Array(8 + 4 * destination.length + content.length);
  const view = new DataView(out.buffer);
  out[0] = to ? 2 : 0; out[1] = TTL; out[2] = 0; out[3] = destination.length;
  view.setUint32(4, content.length);
  destination.forEach((id, index) => view.setUint32(8 + 4 * index, id >>> 0));
  out.set(content, 8 + 4 * destination.length);
  return out;
}

function decodeMessage(bytes) {
  if (bytes.length < 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [flags, ttl, hops, distance] = bytes;
  const length = view.getUint32(4);
  if ((flags & 3) === 3 || bytes.length !== 8 + 4 * (hops + distance) + length) return null;
  if (flags & 0x04 || ttl === 0) return { skip: true };
  const source = [];
  for (let index = 0; index < hops; index++) source.push(view.getUint32(8 + 4 * index));
  return { source, content: bytes.subarray(8 + 4 * (hops + distance)) };
}

const pathKey = (path, id) => `${path.join('.')}:${id}`;

// MARK: Streams

/** One end of a stream: `send`/`sendJSON`, `finish`, `next` (or `for await`), `cancel`. */
export class TalkStream {
  constructor(talk, id, isCaller, path, peerWindow) {
    this.talk = talk; this.id = id; this.isCaller = isCaller; this.path = path;
    this.window = talk.options.streamWindow;
    this.peerWindow = peerWindow; this.sendCredit = peerWindow; this.unacknowledged = 0;
    this.allowance = this.window; this.pendingGrant = 0;
    this.buffer = []; this.buffered = 0; this.inputEnded = false; this.outputEnded = false; this.failure = null;
    this.reader = null; this.writers = [];
  }
  get flags() { return this.isCaller ? 0 : FROM_HANDLER; }
  async send(payload) {
    const part = toBytes(payload);
    if (this.failure) throw this.failure;
    if (this.outputEnded) throw new TalkError('badPayload', 'part sent after the end');
    if (this.peerWindow && part.length > this.peerWindow) throw new TalkError('badPayload', 'part larger than the window');
    if (!(this.path && this.writers.length === 0 && part.length <= this.sendCredit)) {
      await new Promise((resolve, reject) => this.writers.push({ bytes: part.length, resolve, reject }));
    } else {
      this.sendCredit -= part.length;
    }
    this.unacknowledged += part.length;
    this.talk._send(encodeTalk({ kind: K.part, id: this.id, flags: this.flags, payload: part }), this.path);
  }
  sendJSON(value) { return this.send(jsonBytes(value)); }
  finish() {
    if (this.failure) throw this.failure;
    if (this.outputEnded) return;
    this.outputEnded = true;
    if (this.path) this.talk._send(encodeTalk({ kind: K.end, id: this.id, flags: this.flags }), this.path);
  }
  next() {
    if (this.buffer.length) return Promise.resolve(this._consume(this.buffer.shift()));
    if (this.failure) return Promise.reject(this.failure);
    if (this.inputEnded) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.cancel(new TalkError('timedOut', `no part of stream ${this.id} in time`)),
        this.talk.options.timeout);
      this.reader = { resolve: (part) => { clearTimeout(timer); resolve(part); },
        reject: (error) => { clearTimeout(timer); reject(error); } };
    });
  }
  async nextJSON() { const part = await this.next(); return part === null ? null : json(part); }
  async *[Symbol.asyncIterator]() { for (let part; (part = await this.next()) !== null;) yield part; }
  /** Cancels the stream and tells the peer. */
  cancel(error = new TalkError('cancelled', `stream ${this.id} cancelled`)) {
    if (!this._fail(error)) return;
    if (this.path) {
      this.talk._send(this.isCaller ? encodeTalk({ kind: K.cancel, id: this.id })
        : encodeTalk({ kind: K.failure, id: this.id, flags: FROM_HANDLER, payload: encoder.encode(error.message) }), this.path);
    }
    if (this.isCaller) this.talk.outbound.delete(this.id);
  }
  _consume(part) {
    this.buffered -= part.length;
    this.pendingGrant += part.length;
    if (this.pendingGrant > 0 && (this.pendingGrant >= this.window / 4 || this.buffered === 0) && this.path) {
      this.allowance += this.pendingGrant;
      this.talk._send(encodeTalk({ kind: K.credit, id: this.id, flags: this.flags, number: this.pendingGrant }), this.path);
      this.pendingGrant = 0;
    }
    return part;
  }
  _fail(error) {
    if (this.failure) return false;
    this.failure = error; this.buffer = []; this.buffered = 0;
    if (this.reader) { this.reader.reject(error); this.reader = null; }
    for (const writer of this.writers.splice(0)) writer.reject(error);
    return true;
  }
  _receive(part) {
    if (this.failure || this.inputEnded) return;
    if (part.length > this.allowance) {
      this.cancel(new TalkError('protocolViolation', 'peer sent parts beyond its credit'));
      return;
    }
    this.allowance -= part.length;
    const copy = part.slice();
    this.buffered += copy.length;
    if (this.reader) { const reader = this.reader; this.reader = null; reader.resolve(this._consume(copy)); }
    else this.buffer.push(copy);
  }
  _end() {
    this.inputEnded = true;
    if (this.reader && !this.buffer.length) { const reader = this.reader; this.reader = null; reader.resolve(null); }
    if (this.isCaller) {
      this.outputEnded = true;
      for (const writer of this.writers.splice(0)) writer.reject(new TalkError('cancelled', 'the handler ended the stream'));
    }
  }
  _credit(bytes, path) {
    if (!this.path) this.path = path;
    if (!this.peerWindow) this.peerWindow = bytes;
    this.sendCredit += bytes;
    this.unacknowledged = Math.max(0, this.unacknowledged - bytes);
    while (this.writers.length && this.writers[0].bytes <= this.sendCredit) {
      const writer = this.writers.shift();
      this.sendCredit -= writer.bytes;
      writer.resolve();
    }
  }
}

// MARK: The peer

/**
 * A Talk peer over one WebSocket, reconnecting with jittered exponential backoff while it is not closed.
 * Options: heartbeatInterval (ms, 0 = none), missedHeartbeats, timeout (ms, for replies and stream parts),
 * minReconnect / maxReconnect (ms), streamWindow (bytes), load (() => 0…1), WebSocket (a constructor).
 */
export class Talk {
  constructor(url, options = {}) {
    this.url = url;
    this.options = { heartbeatInterval: 5000, missedHeartbeats: 3, timeout: 30000, minReconnect: 100,
      maxReconnect: 8000, streamWindow: 256 * 1024, load: () => 0, WebSocket: globalThis.WebSocket, ...options };
    if (!this.options.WebSocket) throw new Error('no WebSocket: pass one, or run Node 20 with --experimental-websocket');
    this.handlers = new Map(); this.notificationHandlers = new Map();
    this.heartbeatHooks = []; this.stateHooks = [];
    this.outbound = new Map(); this.inbound = new Map();
    this.nextID = Math.floor(Math.random() * 0xfffffff) + 1;
    this.socket = null; this.closed = false; this.delay = this.options.minReconnect; this.waiting = [];
    this.lastHeard = 0; this.peerSpeaksTalk = false; this.timer = null;
  }

  /** Registers a handler: `fn(request)` returns a Uint8Array, a string, or nothing; throwing fails the call. */
  handle(operation, fn) { this.handlers.set(operation, { fn }); }
  /** Registers a JSON handler: `fn(value, request)` returns a value sent back as JSON. */
  handleJSON(operation, fn) { this.handle(operation, async (request) => jsonBytes(await fn(request.json(), request))); }
  /** Registers a stream handler: `fn(stream, request)`; returning ends its parts. */
  handleStream(operation, fn) { this.handlers.set(operation, { fn, stream: true }); }
  /** Registers a notification handler: `fn({ name, payload, peer, json(), text() })`. */
  onNotification(name, fn) { this.notificationHandlers.set(name, fn); }
  /** Adds a hook called with `{ load, interval, isHello }` for each hello and heartbeat of the server. */
  onHeartbeat(fn) { this.heartbeatHooks.push(fn); }
  /** Adds a hook called with 'open' and 'closed' as the connection comes and goes. */
  onStateChange(fn) { this.stateHooks.push(fn); }

  /** Connects; resolves when the first connection is open. Reconnects by itself afterwards until close(). */
  connect() {
    const opened = new Promise((resolve) => this.waiting.push(resolve));
    if (!this.socket) this._open();
    return opened;
  }

  /** Closes for good: pending calls fail with `closed`. */
  close() {
    this.closed = true;
    clearInterval(this.timer);
    if (this.socket) this.socket.close();
    this._failAll(new TalkError('closed', 'talk peer closed'));
  }

  /** Calls `operation` and resolves with its result bytes. Options: timeout (ms), retries, to (a path). */
  async call(operation, payload, { timeout = this.options.timeout, retries = 0, to = null } = {}) {
    for (;;) {
      try {
        return await this._callOnce(operation, toBytes(payload), timeout, to);
      } catch (error) {
        if (!(error instanceof TalkError) || error.code !== 'retry' || retries-- <= 0) throw error;
        await new Promise((resolve) => setTimeout(resolve, error.retryAfter));
      }
    }
  }
  /** Calls `operation` with a JSON value and resolves with the JSON result. */
  async callJSON(operation, value, options) { return json(await this.call(operation, jsonBytes(value), options)); }

  /** Sends the notification `name` (to one peer, or along `to`). */
  notify(name, payload, { to = null } = {}) {
    this._send(encodeTalk({ kind: K.notification, name, payload: toBytes(payload) }), to);
  }
  notifyJSON(name, value, options) { this.notify(name, jsonBytes(value), options); }

  /** Opens a stream of `operation`; with `sendsParts: false` it is a call with a streaming result. */
  stream(operation, payload, { sendsParts = true, to = null } = {}) {
    const id = this._id();
    const stream = new TalkStream(this, id, true, to, 0);
    if (!sendsParts) stream.outputEnded = true;
    this.outbound.set(id, { stream });
    this._send(encodeTalk({ kind: K.streamOpen, id, flags: sendsParts ? 0 : REQUEST_COMPLETE, name: operation,
      number: this.options.streamWindow, payload: toBytes(payload) }), to);
    return stream;
  }

  // MARK: Internals

  _id() { do { this.nextID = (this.nextID + 1) >>> 0; } while (this.nextID === 0 || this.outbound.has(this.nextID)); return this.nextID; }

  _callOnce(operation, payload, timeout, to) {
    const id = this._id();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.outbound.delete(id); reject(new TalkError('timedOut', `no reply to ${operation}`)); }, timeout);
      this.outbound.set(id, { resolve: (v) => { clearTimeout(timer); resolve(v); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      try { this._send(encodeTalk({ kind: K.request, id, name: operation, payload }), to); }
      catch (error) { this.outbound.delete(id); clearTimeout(timer); reject(error); }
    });
  }

  _send(talkBytes, to) {
    if (!this.socket || this.socket.readyState !== 1) throw new TalkError('peerLost', 'not connected');
    this.socket.send(encodeMessage(talkBytes, to));
  }
  _sendQuietly(talkBytes, to) { try { this._send(talkBytes, to); } catch { /* the connection is gone */ } }

  _open() {
    const socket = new this.options.WebSocket(this.url, 'multisocket.binary');
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => {
      this.delay = this.options.minReconnect;
      this.lastHeard = Date.now();
      this.peerSpeaksTalk = false;
      this._sendQuietly(this._beat(K.hello), []);
      const interval = this.options.heartbeatInterval;
      if (interval > 0) this.timer = setInterval(() => this._tick(), interval);
      for (const hook of this.stateHooks) hook('open');
      for (const resolve of this.waiting.splice(0)) resolve();
    };
    socket.onmessage = (event) => this._receive(new Uint8Array(event.data));
    socket.onclose = () => {
      clearInterval(this.timer);
      if (this.socket === socket) this.socket = null;
      this._failAll(new TalkError(this.closed ? 'closed' : 'peerLost', 'connection lost'));
      for (const hook of this.stateHooks) hook('closed');
      if (this.closed) return;
      const wait = this.delay;
      this.delay = Math.min(this.options.maxReconnect, this.delay * (1.1 + Math.random() * 0.4));
      setTimeout(() => { if (!this.closed) this._open(); }, wait);
    };
    socket.onerror = () => {};
  }

  _beat(kind) {
    const load = Math.round(Math.min(1, Math.max(0, this.options.load() || 0)) * 65535);
    return encodeTalk({ kind, number: this.options.heartbeatInterval, load });
  }

  _tick() {
    const limit = this.options.heartbeatInterval * this.options.missedHeartbeats;
    if (this.peerSpeaksTalk && Date.now() - this.lastHeard > limit) { this.socket?.close(); return; }
    this._sendQuietly(this._beat(K.heartbeat), []);
  }

  _failAll(error) {
    for (const [, entry] of this.outbound) entry.stream ? entry.stream._fail(error) : entry.reject(error);
    this.outbound.clear();
    for (const [, entry] of this.inbound) { entry.abort.abort(error); entry.stream?._fail(error); }
    this.inbound.clear();
  }

  _receive(bytes) {
    this.lastHeard = Date.now();
    const message = decodeMessage(bytes);
    if (!message || message.skip) return;
    const frame = decodeTalk(message.content);
    if (!frame) return;
    const from = message.source;
    if (frame.version !== TALK_VERSION) {
      if (frame.kind === K.versionMismatch) this._answer(frame.id, null, new TalkError('versionMismatch', `peer speaks Talk version ${frame.version}`));
      else this._sendQuietly(encodeTalk({ kind: K.versionMismatch, id: frame.id, flags: frame.flags & FROM_HANDLER ? 0 : FROM_HANDLER, payload: Uint8Array.of(TALK_VERSION) }), from);
      return;
    }
    const fromHandler = (frame.flags & FROM_HANDLER) !== 0;
    const inboundStream = () => this.inbound.get(pathKey(from, frame.id))?.stream;
    const outboundStream = () => this.outbound.get(frame.id)?.stream;
    switch (frame.kind) {
      case K.hello: case K.heartbeat:
        this.peerSpeaksTalk = true;
        for (const hook of this.heartbeatHooks) hook({ load: frame.load / 65535, interval: frame.number, isHello: frame.kind === K.hello });
        break;
      case K.request: case K.streamOpen: this._handle(frame, from); break;
      case K.notification: {
        const fn = this.notificationHandlers.get(frame.name);
        const payload = frame.payload.slice();
        if (fn) fn({ name: frame.name, payload, peer: from, text: () => text(payload), json: () => json(payload) });
        break;
      }
      case K.result: this._answer(frame.id, frame.payload.slice(), null); break;
      case K.failure:
        if (fromHandler) this._answer(frame.id, null, new TalkError('handlerFailed', text(frame.payload)));
        else inboundStream()?._fail(new TalkError('cancelled', text(frame.payload)));
        break;
      case K.unknownOperation: this._answer(frame.id, null, new TalkError('unknownOperation', `no handler for '${text(frame.payload)}'`)); break;
      case K.retry: this._answer(frame.id, null, new TalkError('retry', text(frame.payload), frame.number)); break;
      case K.versionMismatch: this._answer(frame.id, null, new TalkError('versionMismatch', `peer speaks Talk version(s) ${[...frame.payload].join(', ')}`)); break;
      case K.part: (fromHandler ? outboundStream() : inboundStream())?._receive(frame.payload); break;
      case K.end:
        if (fromHandler) { const stream = outboundStream(); if (stream) { this.outbound.delete(frame.id); stream._end(); } }
        else inboundStream()?._end();
        break;
      case K.credit: (fromHandler ? outboundStream() : inboundStream())?._credit(frame.number, from); break;
      case K.cancel:
        if (fromHandler) { const stream = outboundStream(); if (stream) { this.outbound.delete(frame.id); stream._fail(new TalkError('cancelled', 'the handler cancelled')); } }
        else { const entry = this.inbound.get(pathKey(from, frame.id)); if (entry) { entry.abort.abort(new TalkError('cancelled', 'the caller cancelled')); entry.stream?._fail(new TalkError('cancelled', 'the caller cancelled')); } }
        break;
      default: break;
    }
  }

  _answer(id, result, error) {
    const entry = this.outbound.get(id);
    if (!entry) return;
    this.outbound.delete(id);
    if (entry.stream) { if (error) entry.stream._fail(error); return; }
    error ? entry.reject(error) : entry.resolve(result);
  }

  async _handle(frame, from) {
    const reply = (fields) => this._sendQuietly(encodeTalk({ id: frame.id, flags: FROM_HANDLER, ...fields }), from);
    const handler = this.handlers.get(frame.name);
    if (!handler) return reply({ kind: K.unknownOperation, payload: encoder.encode(frame.name) });
    const isStream = frame.kind === K.streamOpen;
    if (isStream !== !!handler.stream) {
      return reply({ kind: K.failure, payload: encoder.encode(`'${frame.name}' is ${isStream ? 'not ' : ''}a stream`) });
    }
    const key = pathKey(from, frame.id);
    const abort = new AbortController();
    const payload = frame.payload.slice();
    const request = {
      operation: frame.name, payload, peer: from, signal: abort.signal,
      text: () => text(payload), json: () => json(payload),
      call: (operation, body, options = {}) => this.call(operation, body, { ...options, to: from }),
      notify: (name, body) => this.notify(name, body, { to: from }),
    };
    const entry = { abort };
    this.inbound.set(key, entry);
    try {
      if (isStream) {
        const stream = new TalkStream(this, frame.id, false, from, frame.number);
        if (frame.flags & REQUEST_COMPLETE) stream.inputEnded = true;
        entry.stream = stream;
        reply({ kind: K.credit, number: this.options.streamWindow });
        await handler.fn(stream, request);
        stream.finish();
      } else {
        const result = await handler.fn(request);
        if (!abort.signal.aborted) reply({ kind: K.result, payload: toBytes(result) });
      }
    } catch (error) {
      if (abort.signal.aborted) return;
      if (error instanceof TalkError && error.code === 'retry') reply({ kind: K.retry, number: error.retryAfter ?? 50, payload: encoder.encode(error.detail) });
      else if (!entry.stream || entry.stream._fail(error)) reply({ kind: K.failure, payload: encoder.encode(error?.message ?? String(error)) });
    } finally {
      this.inbound.delete(key);
    }
  }
}
