// client.test.mjs checks the generated client of testdata/richevents against
// a fake WebSocket: the frames it sends, acks, listeners and teardown.
//
//   EVENTWIRE_CLIENT=/tmp/x/richevents.js node --test client.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";

const client = await import(pathToFileURL(process.env.EVENTWIRE_CLIENT).href);
const { connect, EventwireError } = client;

const OPEN = '0{"sid":"eio","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}';

/** FakeWebSocket records what the client sends; receive() plays the server. */
class FakeWebSocket {
  static last;
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.closed = false;
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
  receive(frame) {
    this.onmessage?.({ data: frame });
  }
}

/** open connects with the fake and closes the client when the test ends. */
function open(t, options = {}) {
  const socket = connect("http://localhost:5050/ignored?x=1", { WebSocket: FakeWebSocket, ...options });
  t.after(() => socket.close());
  return { socket, ws: FakeWebSocket.last };
}

function handshake(ws, sid = "abc") {
  ws.receive(OPEN);
  ws.receive(`40{"sid":"${sid}"}`);
}

const chat = { from: "alice", text: "hi" };

test("builds the Engine.IO URL from the server's URL and options.path", (t) => {
  assert.equal(open(t).ws.url, "ws://localhost:5050/socket.io/?EIO=4&transport=websocket");
  assert.equal(open(t, { path: "/rt" }).ws.url, "ws://localhost:5050/rt/?EIO=4&transport=websocket");
  const s = connect("https://example.com", { WebSocket: FakeWebSocket });
  t.after(() => s.close());
  assert.equal(FakeWebSocket.last.url, "wss://example.com/socket.io/?EIO=4&transport=websocket");
  assert.throws(() => connect("ftp://example.com", { WebSocket: FakeWebSocket }), /unsupported URL scheme/);
});

test("sends 40 after the open packet, connects on 40{sid}", (t) => {
  const { socket, ws } = open(t);
  let connects = 0;
  socket.onConnect(() => connects++);
  assert.deepEqual(ws.sent, []);
  ws.receive(OPEN);
  assert.deepEqual(ws.sent, ["40"]);
  assert.equal(socket.connected, false);
  assert.equal(socket.id, "");
  ws.receive('40{"sid":"abc"}');
  assert.equal(socket.connected, true);
  assert.equal(socket.id, "abc");
  assert.equal(connects, 1);
});

test("answers ping 2 with pong 3", (t) => {
  const { ws } = open(t);
  handshake(ws);
  ws.receive("2");
  assert.equal(ws.sent.at(-1), "3");
});

test("queues emits until connected, then sends them with ack ids", async (t) => {
  const { socket, ws } = open(t);
  const first = socket.emitChat(chat);
  const second = socket.emitPing();
  ws.receive(OPEN);
  assert.deepEqual(ws.sent, ["40"]);
  ws.receive('40{"sid":"abc"}');
  assert.deepEqual(ws.sent, ["40", '420["chat",{"from":"alice","text":"hi"}]', '421["ping"]']);
  ws.receive('430[{"data":null}]');
  ws.receive('431[{"data":null}]');
  assert.equal(await first, undefined);
  assert.equal(await second, undefined);
});

test("rejects an invalid payload with its details and sends nothing", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const sent = ws.sent.length;
  await assert.rejects(socket.emitChat({ from: "al", text: "" }), (err) => {
    assert.ok(err instanceof EventwireError);
    assert.equal(err.code, "invalid_payload");
    assert.equal(err.message, "invalid payload");
    assert.equal(err.event, "chat");
    assert.deepEqual(err.details, [
      { field: "from", rule: "minLength", param: "3", message: "from must be at least 3 characters" },
      { field: "text", rule: "minLength", param: "1", message: "text must be at least 1 characters" },
    ]);
    return true;
  });
  assert.equal(ws.sent.length, sent);
});

test("rejects with the error of a failed ack", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const p = socket.emitRename("admin");
  assert.equal(ws.sent.at(-1), '420["rename","admin"]');
  ws.receive('430[{"error":{"code":"taken","message":"the name is taken"}}]');
  await assert.rejects(p, (err) => {
    assert.ok(err instanceof EventwireError);
    assert.deepEqual([err.code, err.message, err.details, err.event], ["taken", "the name is taken", [], "rename"]);
    return true;
  });
});

test("rejects with code timeout when no ack comes", async (t) => {
  const { socket, ws } = open(t, { ackTimeout: 20 });
  handshake(ws);
  await assert.rejects(socket.emitScores([1]), { name: "EventwireError", code: "timeout", event: "scores" });
  ws.receive('430[{"data":null}]'); // late: ignored
});

test("calls listeners with the payload until unsubscribed", (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const got = [];
  const off = socket.onChat((m) => got.push(m));
  let ticks = 0;
  socket.onTick(() => ticks++);
  ws.receive('42["chat",{"from":"bob","text":"yo"}]');
  ws.receive('42["tick"]');
  off();
  ws.receive('42["chat",{"from":"bob","text":"again"}]');
  assert.deepEqual(got, [{ from: "bob", text: "yo" }]);
  assert.equal(ticks, 1);
});

test("reports eventwire:error to onError", (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const errors = [];
  socket.onError((err) => errors.push(err));
  const details = [{ field: "text", rule: "required", message: "text is required" }];
  ws.receive(`42["eventwire:error",${JSON.stringify({ event: "chat", code: "invalid_payload", message: "invalid payload", details })}]`);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof EventwireError);
  assert.deepEqual([errors[0].code, errors[0].event, errors[0].details], ["invalid_payload", "chat", details]);
});

test("close sends 41, closes the socket and rejects pending emits", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const reasons = [];
  socket.onDisconnect((r) => reasons.push(r));
  const pending = socket.emitChat(chat);
  socket.close();
  assert.equal(ws.sent.at(-1), "41");
  assert.equal(ws.closed, true);
  assert.equal(socket.connected, false);
  assert.deepEqual(reasons, ["io client disconnect"]);
  await assert.rejects(pending, { code: "disconnected" });
  await assert.rejects(socket.emitChat(chat), { code: "disconnected" });
});

test("reports the server's disconnect and a closed transport", (t) => {
  const a = open(t);
  handshake(a.ws);
  const reasons = [];
  a.socket.onDisconnect((r) => reasons.push(r));
  a.ws.receive("41");
  assert.equal(a.ws.closed, true);
  const b = open(t);
  handshake(b.ws);
  b.socket.onDisconnect((r) => reasons.push(r));
  b.ws.onclose({ code: 1006 });
  assert.deepEqual(reasons, ["io server disconnect", "transport close"]);
});

test("reports a refused connection (44) to onError", (t) => {
  const { socket, ws } = open(t);
  const errors = [];
  socket.onError((err) => errors.push(err));
  ws.receive(OPEN);
  ws.receive('44{"message":"not authorized"}');
  assert.deepEqual([errors[0].code, errors[0].message], ["connect_error", "not authorized"]);
  assert.equal(ws.closed, true);
});

test("closes on a malformed packet and on a late ping", async (t) => {
  const a = open(t);
  handshake(a.ws);
  const reasons = [];
  a.socket.onDisconnect((r) => reasons.push(r));
  a.ws.receive("42not json");
  const b = open(t);
  b.socket.onDisconnect((r) => reasons.push(r));
  b.ws.receive('0{"sid":"eio","upgrades":[],"pingInterval":10,"pingTimeout":10,"maxPayload":1000000}');
  b.ws.receive('40{"sid":"abc"}');
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(reasons, ["parse error", "ping timeout"]);
});

test("throws a clear error without a WebSocket implementation", () => {
  const saved = globalThis.WebSocket;
  globalThis.WebSocket = undefined;
  try {
    assert.throws(() => connect("http://localhost:5050"), /no WebSocket implementation; pass options.WebSocket/);
  } finally {
    globalThis.WebSocket = saved;
  }
});

test("validators report at most 100 details, like the server", () => {
  const payload = { from: "alice", text: "hi" };
  for (let i = 0; i < 150; i++) payload[`k${i}`] = i;
  const details = client.validateChat(payload);
  assert.equal(details.length, 100);
  assert.deepEqual(details[0], { field: "k0", rule: "unknown", message: "k0 is not a known field" });
});
