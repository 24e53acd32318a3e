// reconnect.test.mjs checks how the generated client of testdata/richevents
// keeps its connection: reconnection with backoff and jitter, the attempts
// limit, when it does not reconnect (close(), the server's DISCONNECT or
// refusal), the connect timeout, the heartbeat, the page waking up, the auth
// function, and the connection state. The clock is node:test's mock.timers
// (setTimeout and Date), so delays are exact and cost no time.
//
//   EVENTWIRE_CLIENT=/tmp/x/richevents.js node --test reconnect.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { FakeWebSocket, OPEN, fakeClock } from "./fake_websocket.mjs";

const { connect, EventwireError } = await import(pathToFileURL(process.env.EVENTWIRE_CLIENT).href);

const URL = "http://localhost:5050";
const AUTH = { token: "secret-token" };
const CONNECT = '40{"token":"secret-token"}';

/**
 * open connects on a fake clock and records what the listeners hear in log;
 * the client closes when the test ends.
 */
function open(t, options = {}) {
  const clock = fakeClock(t);
  const socket = connect(URL, { WebSocket: FakeWebSocket, auth: AUTH, ...options });
  t.after(() => socket.close());
  const log = [];
  socket.onConnect(() => log.push(["connect", socket.id]));
  socket.onDisconnect((reason) => log.push(["disconnect", reason]));
  socket.onConnectError((err) => log.push(["connect_error", err.code]));
  socket.onReconnectAttempt((n, delay) => log.push(["attempt", n, delay]));
  socket.onReconnectFailed(() => log.push(["failed"]));
  return { socket, log, clock };
}

/** handshake completes the last WebSocket's handshake as the server does, giving sid. */
function handshake(sid = "abc") {
  const ws = FakeWebSocket.last;
  ws.receive(OPEN);
  ws.receive(`40{"sid":"${sid}"}`);
  return ws;
}

/** delays are the delays of the attempts log holds. */
const delays = (log) => log.filter(([what]) => what === "attempt").map(([, , delay]) => delay);

test("attempt n waits reconnectionDelay·2^(n-1), up to reconnectionDelayMax, then ± randomizationFactor of it", (t) => {
  const { log, clock } = open(t, { reconnectionDelay: 100, reconnectionDelayMax: 1000, randomizationFactor: 0.5 });
  const randoms = [0, 0.9999999, 0.5, 0.5, 0.5, 0];
  t.mock.method(Math, "random", () => randoms.shift() ?? 0.5);
  handshake();
  for (let n = 1; n <= 6; n++) {
    const ws = FakeWebSocket.last;
    ws.fail(); // the connection, then each attempt, fails
    const delay = delays(log).at(-1);
    clock.tick(delay - 1);
    assert.equal(FakeWebSocket.last, ws, `attempt ${n} began before its delay`);
    clock.tick(1);
    assert.notEqual(FakeWebSocket.last, ws, `attempt ${n} did not begin after its delay`);
  }
  // Bases 100, 200, 400, 800, 1000, 1000; random 0 takes half, ~1 adds half, 0.5 none.
  assert.deepEqual(delays(log), [50, 300, 400, 800, 1000, 500]);
  assert.deepEqual(log.filter(([what]) => what === "attempt").map(([, n]) => n), [1, 2, 3, 4, 5, 6]);
});

test("the defaults: 1000 ms doubled up to 5000, ±50 %, attempts without end", (t) => {
  const { log, clock } = open(t);
  handshake();
  t.mock.method(Math, "random", () => 0.5);
  for (let n = 1; n <= 8; n++) {
    FakeWebSocket.last.fail();
    clock.tick(delays(log).at(-1));
  }
  assert.deepEqual(delays(log), [1000, 2000, 4000, 5000, 5000, 5000, 5000, 5000]);
});

test("jitter stays within ± randomizationFactor and spreads the delays", (t) => {
  const { log, clock } = open(t, { reconnectionDelay: 1000, reconnectionDelayMax: 1000, randomizationFactor: 0.25 });
  handshake();
  for (let n = 1; n <= 200; n++) {
    FakeWebSocket.last.fail();
    clock.tick(delays(log).at(-1));
  }
  const all = delays(log);
  assert.equal(all.length, 200);
  for (const d of all) {
    assert.ok(d >= 750 && d <= 1250, `delay ${d} is outside 1000 ± 25 %`);
  }
  assert.ok(new Set(all).size > 50, "the delays are not spread");
});

test("the backoff starts afresh once the server confirms a connection", (t) => {
  const { log, clock } = open(t, { randomizationFactor: 0 });
  handshake("one");
  FakeWebSocket.last.fail();
  clock.tick(1000);
  FakeWebSocket.last.fail();
  clock.tick(2000);
  handshake("two");
  FakeWebSocket.last.fail();
  assert.deepEqual(delays(log), [1000, 2000, 1000]);
  assert.deepEqual(log.filter(([what]) => what === "connect"), [["connect", "one"], ["connect", "two"]]);
});

test("after reconnectionAttempts failed attempts: onReconnectFailed, disconnected, no more attempts", async (t) => {
  const { socket, log, clock } = open(t, { reconnectionAttempts: 2, randomizationFactor: 0 });
  handshake();
  const unacked = socket.emitChat({ from: "alice", text: "hi" }).catch((err) => err.code);
  FakeWebSocket.last.serverClose(1001);
  clock.tick(1000);
  FakeWebSocket.last.fail();
  assert.equal(socket.state, "reconnecting");
  clock.tick(2000);
  const before = FakeWebSocket.created;
  FakeWebSocket.last.fail();
  assert.equal(socket.state, "disconnected");
  clock.tick(60000);
  assert.equal(FakeWebSocket.created, before, "attempted again after the last attempt");
  assert.deepEqual(log, [
    ["connect", "abc"],
    ["disconnect", "transport close"],
    ["attempt", 1, 1000],
    ["connect_error", "connect_error"],
    ["attempt", 2, 2000],
    ["connect_error", "connect_error"],
    ["failed"],
  ]);
  assert.equal(await unacked, "disconnected");
});

test("reconnects after the server goes away (1001), runs out of buffer (1013), or closes the session (1)", (t) => {
  const { socket, log, clock } = open(t, { randomizationFactor: 0 });
  let ws = handshake("first");
  for (const [lose, sid] of [[() => ws.serverClose(1001, "server shutting down"), "second"], [() => ws.serverClose(1013), "third"], [() => ws.receive("1"), "fourth"]]) {
    lose();
    assert.deepEqual([socket.connected, socket.state, socket.id], [false, "reconnecting", ""]);
    clock.tick(1000);
    assert.notEqual(FakeWebSocket.last, ws);
    ws = FakeWebSocket.last;
    ws.receive(OPEN);
    assert.deepEqual(ws.sent, [CONNECT], "the CONNECT goes again, with the auth payload");
    ws.receive(`40{"sid":"${sid}"}`);
    assert.deepEqual([socket.connected, socket.state, socket.id], [true, "connected", sid]);
  }
  assert.deepEqual(log.filter(([what]) => what !== "attempt"), [
    ["connect", "first"],
    ["disconnect", "transport close"],
    ["connect", "second"],
    ["disconnect", "transport close"],
    ["connect", "third"],
    ["disconnect", "transport close"],
    ["connect", "fourth"],
  ]);
});

test("no reconnection after close(): connected, or waiting for an attempt", (t) => {
  const { socket, log, clock } = open(t);
  const ws = handshake();
  socket.close();
  assert.equal(ws.sent.at(-1), "41");
  const before = FakeWebSocket.created;
  clock.tick(60000);
  assert.equal(FakeWebSocket.created, before);
  assert.deepEqual(log, [["connect", "abc"], ["disconnect", "io client disconnect"]]);
  assert.equal(socket.state, "disconnected");

  const second = open(t);
  handshake();
  FakeWebSocket.last.fail();
  assert.equal(second.socket.state, "reconnecting");
  second.socket.close();
  clock.tick(60000);
  assert.equal(FakeWebSocket.created, before + 1, "an attempt ran after close()");
  assert.equal(second.socket.state, "disconnected");
});

test("no reconnection after the server's DISCONNECT (41) or a refusal (44)", (t) => {
  const { socket, log, clock } = open(t);
  handshake();
  FakeWebSocket.last.receive("41");
  assert.equal(FakeWebSocket.last.closed, true, "the last socket on it closes the WebSocket");
  const refused = open(t);
  FakeWebSocket.last.receive(OPEN);
  FakeWebSocket.last.receive('44{"message":"banned","data":{"code":"banned"}}');
  FakeWebSocket.last.serverClose(1008); // what the server does next: nobody listens any more
  const before = FakeWebSocket.created;
  clock.tick(60000);
  assert.equal(FakeWebSocket.created, before);
  assert.deepEqual([socket.state, refused.socket.state], ["disconnected", "disconnected"]);
  assert.deepEqual(log, [["connect", "abc"], ["disconnect", "io server disconnect"]]);
  assert.deepEqual(refused.log, [["connect_error", "banned"]]);
});

test("reconnection: false ends the connection when it is lost", (t) => {
  const { socket, log, clock } = open(t, { reconnection: false });
  handshake();
  FakeWebSocket.last.serverClose(1001);
  const before = FakeWebSocket.created;
  clock.tick(60000);
  assert.equal(FakeWebSocket.created, before);
  assert.equal(socket.state, "disconnected");
  assert.deepEqual(log, [["connect", "abc"], ["disconnect", "transport close"]]);
});

test("the first connection failing is retried too", (t) => {
  const { socket, log, clock } = open(t, { randomizationFactor: 0 });
  assert.equal(socket.state, "connecting");
  FakeWebSocket.last.fail(); // server down
  assert.equal(socket.state, "reconnecting");
  clock.tick(1000);
  handshake();
  assert.deepEqual(log, [["connect_error", "connect_error"], ["attempt", 1, 1000], ["connect", "abc"]]);
});

test("the connect timeout covers opening the WebSocket and the CONNECT reply", (t) => {
  const { socket, log, clock } = open(t, { timeout: 5000, randomizationFactor: 0 });
  const first = FakeWebSocket.last;
  clock.tick(4999);
  assert.equal(first.closed, false);
  clock.tick(1); // no open packet
  assert.equal(first.closed, true);
  clock.tick(1000);
  const second = FakeWebSocket.last;
  second.receive(OPEN);
  clock.tick(5000); // open, but no reply to the CONNECT
  assert.equal(second.closed, true);
  clock.tick(2000);
  handshake();
  clock.tick(5000); // connected: the timeout is over
  assert.equal(socket.connected, true);
  assert.deepEqual(log, [
    ["connect_error", "timeout"],
    ["attempt", 1, 1000],
    ["connect_error", "timeout"],
    ["attempt", 2, 2000],
    ["connect", "abc"],
  ]);
});

test("a connection silent for pingInterval + pingTimeout is dead: ping timeout, then reconnection", (t) => {
  const { log, clock } = open(t, { randomizationFactor: 0 });
  const ws = FakeWebSocket.last;
  ws.receive('0{"sid":"eio","upgrades":[],"pingInterval":1000,"pingTimeout":500,"maxPayload":1000000}');
  ws.receive('40{"sid":"abc"}');
  clock.tick(1000);
  ws.receive("2");
  assert.equal(ws.sent.at(-1), "3", "a ping is answered");
  clock.tick(1400);
  ws.receive('42["tick"]'); // any frame counts as life
  clock.tick(1499);
  assert.equal(ws.closed, false, "closed while the server was not silent for 1500 ms");
  clock.tick(1);
  assert.equal(ws.closed, true);
  assert.deepEqual(log.slice(1), [["disconnect", "ping timeout"], ["attempt", 1, 1000]]);
  clock.tick(1000);
  assert.notEqual(FakeWebSocket.last, ws);
});

test("the page coming back online or awake starts a waiting attempt at once, and ends a dead connection", (t) => {
  const page = new EventTarget();
  const doc = { visibilityState: "visible" };
  globalThis.window = page;
  globalThis.document = doc;
  t.after(() => {
    delete globalThis.window;
    delete globalThis.document;
  });
  const { socket, log, clock } = open(t, { randomizationFactor: 0, reconnectionDelay: 30000, reconnectionDelayMax: 30000 });
  handshake();
  FakeWebSocket.last.fail();
  let before = FakeWebSocket.created;
  page.dispatchEvent(new Event("online"));
  assert.equal(FakeWebSocket.created, before + 1, "online did not start the attempt");
  FakeWebSocket.last.fail();
  before = FakeWebSocket.created;
  doc.visibilityState = "hidden";
  page.dispatchEvent(new Event("visibilitychange"));
  assert.equal(FakeWebSocket.created, before, "a hidden page started an attempt");
  doc.visibilityState = "visible";
  page.dispatchEvent(new Event("visibilitychange"));
  assert.equal(FakeWebSocket.created, before + 1);
  handshake("back");
  assert.equal(socket.connected, true);
  clock.sleep(60000); // the laptop slept: Date moved on, timers did not run
  page.dispatchEvent(new Event("pageshow"));
  assert.equal(socket.state, "reconnecting");
  assert.deepEqual(log.filter(([what]) => what === "disconnect"), [["disconnect", "transport error"], ["disconnect", "ping timeout"]]);
  socket.close();
  before = FakeWebSocket.created;
  page.dispatchEvent(new Event("online"));
  assert.equal(FakeWebSocket.created, before, "a closed client still listens to the page");
});

test("an auth function is called for each CONNECT; its result is checked, its failure ends the connection", async (t) => {
  let calls = 0;
  const { socket, log, clock } = open(t, { randomizationFactor: 0, auth: async () => ({ token: `secret-${++calls}` }) });
  let ws = FakeWebSocket.last;
  ws.receive(OPEN);
  await clock.flush();
  assert.deepEqual(ws.sent, ['40{"token":"secret-1"}']);
  ws.receive('40{"sid":"abc"}');
  ws.serverClose(1001);
  clock.tick(1000);
  ws = FakeWebSocket.last;
  ws.receive(OPEN);
  await clock.flush();
  assert.deepEqual(ws.sent, ['40{"token":"secret-2"}'], "a fresh token for the reconnection");
  assert.equal(socket.state, "reconnecting");

  for (const [auth, code] of [[() => ({ token: "short" }), "invalid_payload"], [() => Promise.reject(new Error("offline")), "auth_failed"], [() => { throw new EventwireError("expired", "log in again"); }, "expired"]]) {
    const s = open(t, { auth, forceNew: true });
    FakeWebSocket.last.receive(OPEN);
    await clock.flush();
    assert.deepEqual(FakeWebSocket.last.sent, [], `a CONNECT went out for ${code}`);
    assert.equal(FakeWebSocket.last.closed, true);
    assert.deepEqual([s.socket.state, s.log], ["disconnected", [["connect_error", code]]]);
  }
  assert.deepEqual(log.filter(([what]) => what !== "attempt"), [["connect", "abc"], ["disconnect", "transport close"]]);
});

test("an auth function's result that comes after its WebSocket was lost is not sent", async (t) => {
  let release;
  const { clock } = open(t, { randomizationFactor: 0, auth: () => new Promise((resolve) => { release = resolve; }) });
  const first = FakeWebSocket.last;
  first.receive(OPEN);
  await clock.flush(); // the auth function runs
  first.fail();
  release(AUTH);
  await clock.flush();
  assert.deepEqual(first.sent, []);
  clock.tick(1000);
  FakeWebSocket.last.receive(OPEN);
  await clock.flush();
  release(AUTH);
  await clock.flush();
  assert.deepEqual(FakeWebSocket.last.sent, [CONNECT]);
});

test("state walks connecting, connected, reconnecting, connected, disconnected", (t) => {
  const { socket, clock } = open(t, { randomizationFactor: 0 });
  const states = [socket.state];
  handshake();
  states.push(socket.state);
  FakeWebSocket.last.serverClose(1001);
  states.push(socket.state);
  clock.tick(1000);
  states.push(socket.state); // attempting
  handshake();
  states.push(socket.state);
  socket.close();
  states.push(socket.state);
  assert.deepEqual(states, ["connecting", "connected", "reconnecting", "reconnecting", "connected", "disconnected"]);
});

test("a WebSocket constructor that throws is a failed attempt, reported once subscribed", (t) => {
  const clock = fakeClock(t);
  class Refusing extends FakeWebSocket {
    constructor(url) {
      super(url);
      if (Refusing.refuse) throw new SyntaxError("port blocked");
    }
  }
  Refusing.refuse = true;
  const socket = connect(URL, { WebSocket: Refusing, auth: AUTH, randomizationFactor: 0 });
  t.after(() => socket.close());
  const errors = [];
  socket.onConnectError((err) => errors.push(err.message));
  clock.tick(0);
  assert.match(errors[0], /cannot open a WebSocket to ws:\/\/localhost:5050\/socket\.io\/.*port blocked/);
  Refusing.refuse = false;
  clock.tick(1000);
  handshake();
  assert.equal(socket.connected, true);
});

test("the options are checked", () => {
  for (const [options, pattern] of [
    [{ reconnection: "yes" }, /reconnection must be true or false/],
    [{ reconnectionDelay: -1 }, /reconnectionDelay must be a number >= 0/],
    [{ reconnectionAttempts: Number.NaN }, /reconnectionAttempts must be a number >= 0/],
    [{ randomizationFactor: 2 }, /randomizationFactor must be between 0 and 1/],
    [{ timeout: "5s" }, /timeout must be a number >= 0/],
    [{ ackTimeout: -5 }, /ackTimeout must be a number >= 0/],
    [{ bufferLimit: "10" }, /bufferLimit must be a number >= 0/],
  ]) {
    assert.throws(() => connect(URL, { WebSocket: FakeWebSocket, auth: AUTH, ...options }), pattern);
  }
});
