// fake_websocket.mjs is the WebSocket the Node tests hand the generated
// client: it records what the client sends and lets a test play the server.
import assert from "node:assert/strict";

export const OPEN = '0{"sid":"eio","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}';

export class FakeWebSocket {
  /** @type {FakeWebSocket} the most recently opened one */
  static last;
  static created = 0;
  constructor(url) {
    FakeWebSocket.created++;
    this.url = url;
    this.sent = [];
    this.closed = false;
    this.binaryType = "blob"; // the browser's default
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    FakeWebSocket.last = this;
  }
  send(data) {
    assert.equal(this.closed, false, `send after close: ${data}`);
    this.sent.push(data);
  }
  close() {
    this.closed = true;
  }
  /** receive plays one frame from the server: a string is a text frame, anything else a binary one. */
  receive(frame) {
    this.onmessage?.({ data: frame });
  }
  /** serverClose plays the server closing the WebSocket with code: 1001 going away, 1008 policy, …. */
  serverClose(code = 1000, reason = "") {
    this.closed = true;
    this.onclose?.({ code, reason });
  }
  /** fail plays a broken or refused connection as browsers report it: error, then close 1006. */
  fail() {
    this.closed = true;
    this.onerror?.({});
    this.onclose?.({ code: 1006, reason: "" });
  }
}

/**
 * fakeClock makes t's setTimeout and Date fake (node:test's mock.timers),
 * starting at 0: t.mock.timers.tick(ms) runs what falls due. Only with it
 * can a test wait out backoff delays, ping deadlines and ack timeouts
 * exactly, and fast. flush (a macrotask) then runs on setImmediate.
 */
export function fakeClock(t) {
  if (clocks.has(t)) {
    return clocks.get(t);
  }
  t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
  const clock = {
    tick: (ms) => t.mock.timers.tick(ms),
    /** sleep moves Date on by ms without running timers, as a suspended laptop sees it on waking. */
    sleep: (ms) => t.mock.timers.setTime(Date.now() + ms),
    flush: () => new Promise((resolve) => setImmediate(resolve)),
  };
  clocks.set(t, clock);
  return clock;
}

const clocks = new WeakMap();

// flush lets the client's pending promises (ack handlers, replies) settle.
export const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** bytes is an ArrayBuffer holding values, as a browser WebSocket with binaryType "arraybuffer" gives. */
export const bytes = (...values) => new Uint8Array(values).buffer;

/** placeholder is the JSON of Socket.IO's placeholder of attachment num. */
export const placeholder = (num) => `{"_placeholder":true,"num":${num}}`;
