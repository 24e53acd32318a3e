// binary.test.mjs checks binary packets in the generated client of
// testdata/richevents against a fake WebSocket: BINARY_EVENT and BINARY_ACK
// from the server, reassembled into Uint8Array values; ack replies holding
// bytes sent as BINARY_ACK; and every frame sequence that breaks the
// protocol, which closes the connection with an error.
//
//   EVENTWIRE_CLIENT=/tmp/x/richevents.js node --test binary.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { FakeWebSocket, OPEN, flush, bytes, placeholder as ph } from "./fake_websocket.mjs";

const { connect, EventwireError } = await import(pathToFileURL(process.env.EVENTWIRE_CLIENT).href);

const AUTH = { token: "secret-token" };

/** open connects, completes the handshake and closes the client when the test ends. */
function open(t) {
  const socket = connect("http://localhost:5050", { WebSocket: FakeWebSocket, auth: AUTH });
  t.after(() => socket.close());
  const ws = FakeWebSocket.last;
  ws.receive(OPEN);
  ws.receive('40{"sid":"abc"}');
  ws.sent.length = 0;
  return { socket, ws };
}

/** assertBytes checks that got is a plain Uint8Array (not a Buffer, not a view on more) holding want. */
function assertBytes(got, want) {
  assert.equal(Object.getPrototypeOf(got), Uint8Array.prototype, `${got?.constructor?.name} is not a Uint8Array`);
  assert.deepEqual([...got], want);
  assert.equal(got.buffer.byteLength, want.length, "the value shares a larger buffer");
}

test("asks the WebSocket for ArrayBuffer binary frames", (t) => {
  const { ws } = open(t);
  assert.equal(ws.binaryType, "arraybuffer");
});

test("a BINARY_EVENT with one attachment hands the handler a Uint8Array", async (t) => {
  const { socket, ws } = open(t);
  const got = [];
  socket.onDownload((d) => {
    got.push(d);
    return {};
  });
  ws.receive(`451-["download",{"name":"a.bin","data":${ph(0)}}]`);
  assert.deepEqual(got, [], "handled before its attachment came");
  ws.receive(bytes(1, 2, 3));
  assert.equal(got.length, 1);
  assert.equal(got[0].name, "a.bin");
  assertBytes(got[0].data, [1, 2, 3]);
  await flush();
  assert.deepEqual(ws.sent, [], "a reply went out for an event sent without an ack id");
});

test("several attachments, nested in objects and arrays, each land in their place", (t) => {
  const { socket, ws } = open(t);
  const got = [];
  socket.onDownload((d) => {
    got.push(d);
    return {};
  });
  ws.receive(`453-["download",{"name":"b","parts":[${ph(2)},${ph(0)}],"data":${ph(1)}}]`);
  ws.receive(bytes(10, 11));
  // The ws package may give a Buffer, which is a view on a larger pooled buffer.
  const pool = Buffer.from([0, 20, 21, 22, 0]);
  ws.receive(pool.subarray(1, 4));
  ws.receive(new Uint8Array([30]));
  assert.equal(got.length, 1);
  assertBytes(got[0].data, [20, 21, 22]);
  assert.equal(got[0].parts.length, 2);
  assertBytes(got[0].parts[0], [30]);
  assertBytes(got[0].parts[1], [10, 11]);
});

test("a BINARY_EVENT with an ack id is answered with a BINARY_ACK", async (t) => {
  const { socket, ws } = open(t);
  const got = [];
  socket.onMirror((data) => {
    got.push(data);
    return data;
  });
  ws.receive(`451-7["mirror",${ph(0)}]`);
  ws.receive(bytes(5, 6));
  await flush();
  assertBytes(got[0], [5, 6]);
  assert.deepEqual(ws.sent, [`461-7[{"data":${ph(0)}}]`, new Uint8Array([5, 6])]);
});

test("an ack reply holding bytes goes out as a BINARY_ACK: 46<n>-<id> and its frames", async (t) => {
  const { socket, ws } = open(t);
  socket.onDownload((d) => ({ head: d.data.subarray(0, 2) }));
  ws.receive(`451-4["download",{"name":"c","data":${ph(0)}}]`);
  ws.receive(bytes(7, 8, 9));
  await flush();
  assert.deepEqual(ws.sent, [`461-4[{"data":{"head":${ph(0)}}}]`, new Uint8Array([7, 8])]);
  // An ArrayBuffer reply is an attachment too; a reply without bytes stays a plain ACK.
  socket.onMirror(() => bytes(1));
  ws.receive(`451-5["mirror",${ph(0)}]`);
  ws.receive(bytes(2));
  await flush();
  assert.deepEqual(ws.sent.slice(2), ['461-5[{"data":' + ph(0) + "}]", new Uint8Array([1])]);
  socket.onDownload(() => ({}));
  ws.receive(`451-6["download",{"name":"d","data":${ph(0)}}]`);
  ws.receive(bytes(1));
  await flush();
  assert.deepEqual(ws.sent.slice(4), ['436[{"data":{}}]']);
});

test("a reply that fails its schema check is an error reply, without attachments", async (t) => {
  const { socket, ws } = open(t);
  socket.onDownload(() => ({ head: new Uint8Array(5) })); // maxBytes 4
  ws.receive(`451-1["download",{"name":"e","data":${ph(0)}}]`);
  ws.receive(bytes(1));
  await flush();
  assert.equal(ws.sent.length, 1);
  assert.match(ws.sent[0], /^431\[\{"error":\{"code":"invalid_payload".*"rule":"maxBytes"/);
});

test("a BINARY_ACK resolves emitMirror with a Uint8Array", async (t) => {
  const { socket, ws } = open(t);
  const reply = socket.emitMirror(new Uint8Array([9, 8]));
  assert.deepEqual(ws.sent, [`451-0["mirror",${ph(0)}]`, new Uint8Array([9, 8])]);
  ws.receive(`461-0[{"data":${ph(0)}}]`);
  ws.receive(bytes(4, 5));
  assertBytes(await reply, [4, 5]);
});

test('a "__proto__" key holding a placeholder stays a key, which the schema refuses as unknown', (t) => {
  const { socket, ws } = open(t);
  const got = [];
  const errors = [];
  socket.onDownload((d) => {
    got.push(d);
    return {};
  });
  socket.onError((err) => errors.push(err.details.map((d) => `${d.field}:${d.rule}`)));
  ws.receive(`452-["download",{"name":"p","data":${ph(0)},"__proto__":${ph(1)}}]`);
  ws.receive(bytes(1));
  ws.receive(bytes(2));
  // Had it set the object's prototype, it would not be an own key to refuse.
  assert.deepEqual(errors, [["__proto__:unknown"]]);
  assert.deepEqual(got, []);
  assert.equal(/** @type {any} */ ({}).data, undefined);
});

// Each case is the frames the server sends after the handshake, and what
// the error message says. Every one closes the connection: onError hears a
// protocol_error, onDisconnect "parse error".
const broken = [
  ["a binary frame no binary packet announced", [bytes(1)], /a binary frame came that no binary packet announced/],
  ["a text frame before all attachments", [`452-["download",{"name":"x","data":${ph(0)},"parts":[${ph(1)}]}]`, bytes(1), "2"], /a text frame came before all attachments/],
  ["an event before all attachments", [`451-["download",{"name":"x","data":${ph(0)}}]`, '42["tick"]'], /a text frame came before all attachments/],
  ["a placeholder num out of range", [`451-["download",{"name":"x","data":${ph(1)}}]`, bytes(1)], /placeholder num 1 out of range/],
  ["a negative placeholder num", [`451-["download",{"name":"x","data":${ph(-1)}}]`, bytes(1)], /placeholder num -1 out of range/],
  ["a placeholder num that is not an integer", [`451-["download",{"name":"x","data":{"_placeholder":true,"num":0.5}}]`, bytes(1)], /invalid placeholder/],
  ["a placeholder num that is a string", [`451-["download",{"name":"x","data":{"_placeholder":true,"num":"0"}}]`, bytes(1)], /invalid placeholder/],
  ["_placeholder that is not true", [`451-["download",{"name":"x","data":{"_placeholder":"true","num":0}}]`, bytes(1)], /invalid placeholder/],
  ["_placeholder false", [`451-["download",{"name":"x","data":{"_placeholder":false,"num":0}}]`, bytes(1)], /invalid placeholder/],
  ["a placeholder with another key", [`451-["download",{"name":"x","data":{"_placeholder":true,"num":0,"x":1}}]`, bytes(1)], /invalid placeholder/],
  ["an attachment no placeholder names", [`452-["download",{"name":"x","data":${ph(1)}}]`, bytes(1), bytes(2)], /attachment 0 has no placeholder/],
  ["a placeholder in a packet without attachments", [`42["download",{"name":"x","data":${ph(0)}}]`], /placeholder num 0 out of range/],
  ["a BINARY_ACK with a placeholder out of range", [`461-0[{"data":${ph(3)}}]`, bytes(1)], /placeholder num 3 out of range/],
  ["a binary frame that is not binary data", [`451-["download",{"name":"x","data":${ph(0)}}]`, { size: 1 }], /arrived as \[object Object\], not an ArrayBuffer/],
  ["a binary packet without its count", [`45-["download",{}]`], /malformed packet/],
  ["a count on a packet that is not binary", [`421-["tick"]`], /malformed packet/],
  ["an ACK without an id", ['43[{"data":null}]'], /malformed packet/],
  ["an EVENT without a name", ["42[1]"], /EVENT without an event name/],
  ["malformed JSON", ["42not json"], /in packet "not json"/],
];

for (const [name, frames, message] of broken) {
  test(`protocol error: ${name}`, (t) => {
    const { socket, ws } = open(t);
    socket.onDownload(() => ({}));
    const pending = socket.emitMirror(new Uint8Array(1));
    const got = [];
    socket.onError((err) => got.push(["error", err]));
    socket.onDisconnect((reason) => got.push(["disconnect", reason]));
    for (const frame of frames) {
      ws.receive(frame);
    }
    assert.equal(got.length, 2, `heard ${JSON.stringify(got)}`);
    const [[kind, err], disconnect] = got;
    assert.equal(kind, "error");
    assert.ok(err instanceof EventwireError);
    assert.equal(err.code, "protocol_error");
    assert.match(err.message, /^eventwire: protocol error: /);
    assert.match(err.message, message);
    assert.deepEqual(disconnect, ["disconnect", "parse error"]);
    assert.equal(ws.closed, true);
    assert.equal(socket.connected, false);
    return assert.rejects(pending, { code: "disconnected" });
  });
}

test("a protocol error before the server confirms the connection is a connect error", async (t) => {
  const socket = connect("http://localhost:5050", { WebSocket: FakeWebSocket, auth: AUTH });
  t.after(() => socket.close());
  const ws = FakeWebSocket.last;
  const connectErrors = [];
  const errors = [];
  socket.onConnectError((err) => connectErrors.push(err));
  socket.onError((err) => errors.push(err));
  ws.receive(OPEN);
  ws.receive(bytes(1));
  assert.deepEqual(connectErrors.map((e) => e.code), ["protocol_error"]);
  assert.deepEqual(errors, []);
  assert.equal(ws.closed, true);
});

test("after a protocol error, a new connection starts clean", (t) => {
  const a = open(t);
  a.ws.receive(`452-["download",{"name":"x","data":${ph(0)},"parts":[${ph(1)}]}]`);
  a.ws.receive(bytes(1));
  a.ws.receive("2"); // breaks the protocol: a text frame inside the binary packet
  assert.equal(a.ws.closed, true);
  const b = open(t);
  assert.notEqual(b.ws, a.ws);
  const got = [];
  b.socket.onDownload((d) => {
    got.push(d);
    return {};
  });
  b.ws.receive(`451-["download",{"name":"y","data":${ph(0)}}]`);
  b.ws.receive(bytes(3));
  assertBytes(got[0].data, [3]);
});
