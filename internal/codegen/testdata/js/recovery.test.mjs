// recovery.test.mjs checks the generated client of testdata/richevents
// against a fake WebSocket playing a server with connection state recovery:
// it keeps the pid and the last offset, sends them merged under its auth
// payload when it reconnects, strips the offset before handlers, ignores an
// event it handled already, and resets the offset when not recovered.
//
//   EVENTWIRE_CLIENT=/tmp/x/richevents.js node --test recovery.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { FakeWebSocket, OPEN, fakeClock } from "./fake_websocket.mjs";

const { connect } = await import(pathToFileURL(process.env.EVENTWIRE_CLIENT).href);

function open(t) {
  const clock = fakeClock(t);
  const socket = connect("http://localhost:5050", {
    WebSocket: FakeWebSocket, auth: { token: "secret-token" }, reconnectionDelay: 100, randomizationFactor: 0,
  });
  t.after(() => socket.close());
  const log = [];
  socket.onConnect((recovered) => log.push(["connect", recovered, socket.recovered]));
  socket.onChat((m, ...rest) => log.push(["chat", m.text, ...rest]));
  return { socket, log, clock };
}

/** reconnect drops the connection and completes the next handshake up to the CONNECT it returns. */
function reconnect(clock) {
  FakeWebSocket.last.fail();
  clock.tick(100);
  const ws = FakeWebSocket.last;
  ws.receive(OPEN);
  return { ws, connect: ws.sent.at(-1) };
}

const chat = (text, offset) => `42["chat",{"from":"bob","text":"${text}"},"${offset}"]`;

test("recovered: pid and offset go back under the auth payload; handlers never see offsets; duplicates are dropped", (t) => {
  const { log, clock } = open(t);
  let ws = FakeWebSocket.last;
  ws.receive(OPEN);
  assert.equal(ws.sent.at(-1), '40{"token":"secret-token"}');
  ws.receive('40{"sid":"s1","pid":"p1"}');
  ws.receive(chat("one", "ep.1"));
  ws.receive(chat("two", "ep.2"));
  const r = reconnect(clock);
  assert.equal(r.connect, '40{"pid":"p1","offset":"ep.2","token":"secret-token"}');
  r.ws.receive('40{"sid":"s1","pid":"p1"}');
  r.ws.receive(chat("two", "ep.2")); // a duplicate
  r.ws.receive(chat("three", "ep.3"));
  assert.deepEqual(log, [
    ["connect", false, false], ["chat", "one"], ["chat", "two"],
    ["connect", true, true], ["chat", "three"],
  ]);
});

test("not recovered: a fresh session resets the offset, and the next reconnect sends its own pid", (t) => {
  const { log, socket, clock } = open(t);
  const ws = FakeWebSocket.last;
  ws.receive(OPEN);
  ws.receive('40{"sid":"s1","pid":"p1"}');
  ws.receive(chat("one", "ep.5"));
  let r = reconnect(clock);
  r.ws.receive('40{"sid":"s2","pid":"p2"}'); // the server could not recover
  assert.equal(socket.recovered, false);
  r.ws.receive(chat("fresh", "ep.1")); // below the old offset, yet new: another session
  r = reconnect(clock);
  assert.equal(r.connect, '40{"pid":"p2","offset":"ep.1","token":"secret-token"}');
  assert.deepEqual(log.filter(([what]) => what === "chat"), [["chat", "one"], ["chat", "fresh"]]);
});

test("without recovery on the server, a trailing string argument is not taken for an offset", (t) => {
  const { socket, log } = open(t);
  socket.onError((err) => log.push(["error", err.code, err.details.map((d) => `${d.field}:${d.rule}`)]));
  const ws = FakeWebSocket.last;
  ws.receive(OPEN);
  ws.receive('40{"sid":"s1"}');
  ws.receive(chat("one", "not an offset"));
  // Left in place, it is one argument more than chat carries.
  assert.deepEqual(log.at(-1), ["error", "invalid_payload", [":type"]]);
});
