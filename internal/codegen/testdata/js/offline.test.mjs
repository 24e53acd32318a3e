// offline.test.mjs checks what the generated client of testdata/richevents
// does with emits while it is not connected: the bounded offline buffer
// (order, limit, timeouts while buffered), volatile emits, ack timeouts per
// call (timeout(ms)) and by default, what close() and a lost connection do
// to pending emits, and the unsubscribe functions of every on*. The clock is
// node:test's mock.timers (setTimeout and Date).
//
//   EVENTWIRE_CLIENT=/tmp/x/richevents.js node --test offline.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { FakeWebSocket, OPEN, fakeClock } from "./fake_websocket.mjs";

const { connect } = await import(pathToFileURL(process.env.EVENTWIRE_CLIENT).href);

const AUTH = { token: "secret-token" };
const CONNECT = '40{"token":"secret-token"}';
const line = (text) => ({ from: "alice", text });
const chatFrame = (id, text) => `42${id}["chat",{"from":"alice","text":"${text}"}]`;

function open(t, options = {}) {
  const clock = fakeClock(t);
  const socket = connect("http://localhost:5050", { WebSocket: FakeWebSocket, auth: AUTH, randomizationFactor: 0, ...options });
  t.after(() => socket.close());
  return { socket, clock };
}

function handshake(sid = "abc") {
  const ws = FakeWebSocket.last;
  ws.receive(OPEN);
  ws.receive(`40{"sid":"${sid}"}`);
  return ws;
}

/** settled maps promises to "resolved: value" or their rejection's code, once all settled. */
async function settled(promises) {
  return (await Promise.allSettled(promises)).map((r) => (r.status === "fulfilled" ? `resolved: ${r.value}` : r.reason.code));
}

test("emits made while disconnected are sent in order once the server confirms the reconnection", async (t) => {
  const { socket, clock } = open(t);
  const first = handshake();
  first.serverClose(1001);
  const emits = [socket.emitChat(line("one")), socket.emitPing(), socket.emitChat(line("two")), socket.emitSum([1, 2])];
  assert.equal(first.sent.length, 1, "sent on the lost WebSocket");
  clock.tick(1000);
  const ws = FakeWebSocket.last;
  ws.receive(OPEN);
  assert.deepEqual(ws.sent, [CONNECT], "sent before the server confirmed the connection");
  ws.receive('40{"sid":"again"}');
  assert.deepEqual(ws.sent, [CONNECT, chatFrame(0, "one"), '421["ping"]', chatFrame(2, "two"), '423["sum",[1,2]]']);
  for (const id of [0, 1, 2]) ws.receive(`43${id}[{"data":null}]`);
  ws.receive('433[{"data":3}]');
  assert.deepEqual(await settled(emits), ["resolved: undefined", "resolved: undefined", "resolved: undefined", "resolved: 3"]);
});

test("emits made before the first connection wait for it too; an onConnect emit goes after them", (t) => {
  const { socket } = open(t);
  socket.emitChat(line("early")).catch(() => {});
  socket.onConnect(() => socket.emitChat(line("in onConnect")).catch(() => {}));
  const ws = handshake();
  assert.deepEqual(ws.sent, [CONNECT, chatFrame(0, "early"), chatFrame(1, "in onConnect")]);
});

test("an emit sent but not acknowledged when the connection is lost rejects: it is not sent again", async (t) => {
  const { socket, clock } = open(t);
  const ws = handshake();
  const sent = socket.emitChat(line("in flight"));
  ws.fail();
  const buffered = socket.emitChat(line("after"));
  assert.deepEqual(await settled([sent]), ["disconnected"]);
  clock.tick(1000);
  const next = handshake();
  assert.deepEqual(next.sent, [CONNECT, chatFrame(1, "after")]);
  next.receive('431[{"data":null}]');
  assert.deepEqual(await settled([buffered]), ["resolved: undefined"]);
});

test("bufferLimit bounds the buffer: one emit more rejects buffer_full, and nothing buffered is dropped", async (t) => {
  const { socket } = open(t, { bufferLimit: 2 });
  const emits = [socket.emitChat(line("a")), socket.emitChat(line("b")), socket.emitChat(line("c"))];
  const ws = handshake();
  assert.deepEqual(ws.sent, [CONNECT, chatFrame(0, "a"), chatFrame(1, "b")]);
  const after = socket.emitChat(line("d")); // connected: not buffered, no limit
  assert.equal(ws.sent.at(-1), chatFrame(2, "d"));
  ws.receive('430[{"data":null}]');
  ws.receive('431[{"data":null}]');
  ws.receive('432[{"data":null}]');
  assert.deepEqual(await settled([...emits, after]), ["resolved: undefined", "resolved: undefined", "buffer_full", "resolved: undefined"]);
});

test("the default bufferLimit is 100; 0 buffers nothing", async (t) => {
  const { socket } = open(t);
  const emits = Array.from({ length: 101 }, (_, i) => socket.emitChat(line(`n${i}`)));
  socket.close();
  const codes = await settled(emits);
  assert.deepEqual(codes.slice(99), ["disconnected", "buffer_full"]);
  const none = open(t, { bufferLimit: 0, forceNew: true });
  assert.deepEqual(await settled([none.socket.emitPing()]), ["buffer_full"]);
});

test("the ack timer runs from the emit: a buffered emit whose time is up is dropped unsent", async (t) => {
  const { socket, clock } = open(t, { ackTimeout: 1000 });
  const short = socket.emitChat(line("short"));
  const long = socket.timeout(5000).emitChat(line("long"));
  clock.tick(1000);
  assert.deepEqual(await settled([short]), ["timeout"]);
  const ws = handshake();
  assert.deepEqual(ws.sent, [CONNECT, chatFrame(1, "long")], "the timed-out emit was sent");
  clock.tick(3999);
  ws.receive('431[{"data":null}]');
  assert.deepEqual(await settled([long]), ["resolved: undefined"]);
});

test("ack timeouts: 10000 ms by default, options.ackTimeout, timeout(ms) per emit, 0 for none", async (t) => {
  const { socket, clock } = open(t);
  const ws = handshake();
  const byDefault = socket.emitPing();
  const perCall = socket.timeout(50).emitWhoami();
  const never = socket.timeout(0).emitPing();
  const chained = socket.volatile.timeout(70).emitEcho("hi");
  clock.tick(49);
  assert.equal(ws.sent.length, 5);
  clock.tick(1); // perCall's time is up
  clock.tick(20); // chained's
  assert.deepEqual(await settled([perCall, chained]), ["timeout", "timeout"]);
  clock.tick(9929);
  const late = [];
  byDefault.catch((err) => late.push(err.code));
  await Promise.resolve();
  assert.deepEqual(late, [], "timed out before 10000 ms");
  clock.tick(1);
  assert.deepEqual(await settled([byDefault]), ["timeout"]);
  ws.receive('431[{"data":{"name":"alice"}}]'); // late: ignored
  clock.tick(30000); // the heartbeat would end the connection at 45000 ms of silence
  ws.receive('432[{"data":null}]');
  assert.deepEqual(await settled([never]), ["resolved: undefined"]);
  const { socket: other, clock: c } = open(t, { ackTimeout: 300, forceNew: true });
  handshake();
  const configured = other.emitPing();
  c.tick(300);
  assert.deepEqual(await settled([configured]), ["timeout"]);
});

test("timeout(ms) refuses what is not a number of milliseconds", (t) => {
  const { socket } = open(t);
  for (const ms of [-1, Number.NaN, "50", undefined]) {
    assert.throws(() => socket.timeout(ms), /timeout\(ms\) must be a number >= 0/);
  }
});

test("volatile emits are dropped while not connected, sent while connected", async (t) => {
  const { socket, clock } = open(t);
  const early = socket.volatile.emitChat(line("dropped"));
  const ws = handshake();
  assert.deepEqual(ws.sent, [CONNECT], "a volatile emit was buffered");
  const live = socket.volatile.emitChat(line("live"));
  assert.equal(ws.sent.at(-1), chatFrame(0, "live"), "a dropped emit took an ack id");
  ws.receive('430[{"data":null}]');
  ws.fail();
  const lost = socket.volatile.emitPing();
  clock.tick(1000);
  assert.deepEqual(handshake().sent, [CONNECT]);
  assert.deepEqual(await settled([early, live, lost]), ["disconnected", "resolved: undefined", "disconnected"]);
  await assert.rejects(socket.volatile.emitChat(line("")), { code: "invalid_payload" }); // still checked first
});

test("close() rejects buffered emits with disconnected and sends nothing more", async (t) => {
  const { socket, clock } = open(t);
  const ws = handshake();
  ws.fail();
  const buffered = [socket.emitChat(line("a")), socket.emitPing()];
  socket.close();
  clock.tick(60000);
  assert.deepEqual(await settled(buffered), ["disconnected", "disconnected"]);
  assert.deepEqual(await settled([socket.emitPing()]), ["disconnected"]);
});

test("an ack reply ready only after the connection was lost is not sent on the next one", async (t) => {
  const { socket, clock } = open(t);
  let answer;
  socket.onEcho(() => new Promise((resolve) => { answer = resolve; }));
  const ws = handshake();
  ws.receive('425["echo","hi"]');
  await clock.flush();
  ws.fail();
  clock.tick(1000);
  const next = handshake();
  answer("hi");
  await clock.flush();
  assert.deepEqual(next.sent, [CONNECT]);
});

test("every on* function returns its unsubscribe function", async (t) => {
  const { socket, clock } = open(t, { reconnectionAttempts: 1 });
  const heard = [];
  const subscriptions = {
    onConnect: (fn) => socket.onConnect(() => fn("connect")),
    onDisconnect: (fn) => socket.onDisconnect(fn),
    onReconnectAttempt: (fn) => socket.onReconnectAttempt(fn),
    onReconnectFailed: (fn) => socket.onReconnectFailed(() => fn("failed")),
    onConnectError: (fn) => socket.onConnectError((err) => fn(err.code)),
    onError: (fn) => socket.onError((err) => fn(err.code)),
    onChat: (fn) => socket.onChat((m) => fn(m.text)),
    onTick: (fn) => socket.onTick(() => fn("tick")),
  };
  const offs = {};
  for (const [name, subscribe] of Object.entries(subscriptions)) {
    subscribe((value) => heard.push(`${name} kept: ${value}`));
    offs[name] = subscribe((value) => heard.push(`${name} removed: ${value}`));
    assert.equal(typeof offs[name], "function", `${name} returned no function`);
  }
  for (const off of Object.values(offs)) off();
  const ws = handshake();
  ws.receive('42["chat",{"from":"bob","text":"yo"}]');
  ws.receive('42["tick"]');
  ws.receive('42["eventwire:error",{"code":"nope","message":"no"}]');
  ws.fail();
  clock.tick(1000);
  FakeWebSocket.last.fail();
  assert.deepEqual(heard, [
    "onConnect kept: connect",
    "onChat kept: yo",
    "onTick kept: tick",
    "onError kept: nope",
    "onDisconnect kept: transport error",
    "onReconnectAttempt kept: 1",
    "onConnectError kept: connect_error",
    "onReconnectFailed kept: failed",
  ]);
  const offEcho = socket.onEcho(() => "x");
  assert.equal(typeof offEcho, "function");
});
