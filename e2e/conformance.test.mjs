// The official socket.io-client v4 against examples/conformance, the
// reference server socket.io's protocol suites expect, built on
// eventwire's untyped layer: auth as sent, echoes with binary data, acks,
// namespaces and their disconnect.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { startExample, nextEvent } from "./harness.mjs";

let server;
const sockets = [];

before(async () => { server = await startExample("conformance"); });
after(async () => {
  for (const s of sockets) s.close();
  await server.stop();
});

function connect(nsp = "", opts = {}) {
  const s = io(server.url + nsp, { transports: ["websocket"], reconnection: false, forceNew: true, ...opts });
  sockets.push(s);
  return s;
}

test("the auth event carries the CONNECT payload as sent, {} without one", async () => {
  const withAuth = connect("", { auth: { token: "123", n: [1, 2] } });
  assert.deepEqual(await nextEvent(withAuth, "auth"), [{ token: "123", n: [1, 2] }]);
  const custom = connect("/custom");
  assert.deepEqual(await nextEvent(custom, "auth"), [{}]);
});

test("message is echoed as message-back, binary data included", async () => {
  for (const nsp of ["", "/custom"]) {
    const s = connect(nsp);
    await nextEvent(s, "auth");
    const back = nextEvent(s, "message-back");
    s.emit("message", 1, "2", { 3: [true] }, Buffer.from([1, 2, 3]));
    const [a, b, c, d] = await back;
    assert.deepEqual([a, b, c], [1, "2", { 3: [true] }], nsp);
    assert.deepEqual([...new Uint8Array(d)], [1, 2, 3], `${nsp}: the binary argument comes back as binary`);
  }
});

test("message-with-ack is acked with the same arguments", async () => {
  const s = connect();
  await nextEvent(s, "auth");
  // emitWithAck resolves with the first argument only: the callback gets them all.
  const [a, b, c] = await new Promise((resolve) => s.emit("message-with-ack", 1, "2", Buffer.from([4, 5, 6]), (...args) => resolve(args)));
  assert.deepEqual([a, b], [1, "2"]);
  assert.deepEqual([...new Uint8Array(c)], [4, 5, 6]);
});

test("disconnecting one namespace leaves the other on the same connection", async () => {
  const main = connect();
  await nextEvent(main, "auth");
  const custom = io(server.url + "/custom", { transports: ["websocket"], reconnection: false }); // main's Manager
  sockets.push(custom);
  await nextEvent(custom, "auth");
  custom.disconnect();
  const back = nextEvent(main, "message-back");
  main.emit("message", "still here");
  assert.deepEqual(await back, ["still here"]);
  assert.ok(main.connected);
});
