// manager.test.mjs checks that the generated clients of testdata/nsevents
// share one WebSocket per server, one socket per namespace, as socket.io's
// Manager does: CONNECT per namespace, packets routed by namespace, 41 per
// namespace on close, the WebSocket closed with the last socket; forceNew,
// multiplex and a manager of one's own.
//
//   EVENTWIRE_CLIENT=/tmp/x/nsevents.js node --test manager.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { FakeWebSocket, OPEN, bytes, placeholder as ph, fakeClock } from "./fake_websocket.mjs";

const { connect, connectAdmin, manager } = await import(pathToFileURL(process.env.EVENTWIRE_CLIENT).href);

const URL = "http://localhost:5050";
const MAIN = { WebSocket: FakeWebSocket, auth: { name: "ann" } };
const ADMIN = { WebSocket: FakeWebSocket, auth: { token: "secret" } };

/** both connects "/" and "/admin" with the default options, closing them when the test ends. */
function both(t, mainOptions = MAIN, adminOptions = ADMIN) {
  const before = FakeWebSocket.created;
  const main = connect(URL, mainOptions);
  const admin = connectAdmin(URL, adminOptions);
  t.after(() => {
    main.close();
    admin.close();
  });
  return { main, admin, ws: FakeWebSocket.last, opened: FakeWebSocket.created - before };
}

/** handshake opens the Engine.IO session and confirms both namespaces. */
function handshake(ws) {
  ws.receive(OPEN);
  ws.receive('40{"sid":"m"}');
  ws.receive('40/admin,{"sid":"a"}');
}

test("connect and connectAdmin share one WebSocket: one CONNECT each", (t) => {
  const { main, admin, ws, opened } = both(t);
  assert.equal(opened, 1);
  assert.deepEqual(ws.sent, []);
  ws.receive(OPEN);
  assert.deepEqual(ws.sent, ['40{"name":"ann"}', '40/admin,{"token":"secret"}']);
  ws.receive('40/admin,{"sid":"a"}');
  assert.deepEqual([main.connected, admin.connected], [false, true]);
  ws.receive('40{"sid":"m"}');
  assert.deepEqual([main.connected, main.id, admin.id], [true, "m", "a"]);
});

test("events and acks are routed by namespace", async (t) => {
  const { main, admin, ws } = both(t);
  handshake(ws);
  const notices = [];
  const audits = [];
  main.onNotice((n) => notices.push(n.text));
  admin.onAudit((a) => audits.push(a));
  ws.receive('42["notice",{"text":"to main"}]');
  ws.receive('42/admin,["audit","to admin"]');
  assert.deepEqual([notices, audits], [["to main"], ["to admin"]]);
  // Both sockets count ack ids from 0; the namespace tells the acks apart.
  const said = main.emitSay("hi");
  const kicked = admin.emitKick({ name: "bob" });
  assert.deepEqual(ws.sent.slice(-2), ['420["say","hi"]', '42/admin,0["kick",{"name":"bob"}]']);
  ws.receive('43/admin,0[{"data":{"kicked":2}}]');
  ws.receive('430[{"data":"heard"}]');
  assert.equal(await said, "heard");
  assert.deepEqual(await kicked, { kicked: 2 });
});

test("binary packets are reassembled and routed by namespace", async (t) => {
  const { main, admin, ws } = both(t);
  handshake(ws);
  const dumps = [];
  const snapshots = [];
  admin.onDump((a) => dumps.push(a));
  main.onSnapshot((n) => snapshots.push(n));
  ws.receive(`451-/admin,["dump",${ph(0)}]`);
  ws.receive(bytes(1, 2));
  ws.receive(`452-["snapshot",{"data":${ph(1)},"more":[${ph(0)}]}]`);
  ws.receive(bytes(3));
  ws.receive(bytes(4, 5));
  assert.equal(Object.getPrototypeOf(dumps[0]), Uint8Array.prototype);
  assert.deepEqual([...dumps[0]], [1, 2]);
  assert.deepEqual([...snapshots[0].data], [4, 5]);
  assert.deepEqual([...snapshots[0].more[0]], [3]);
  const kicked = admin.emitKick({ name: "bob" });
  ws.receive(`461-/admin,0[{"data":{"kicked":1,"log":${ph(0)}}}]`);
  ws.receive(bytes(9));
  const reply = await kicked;
  assert.deepEqual([...reply.log], [9]);
});

test("a socket added once the session is open connects at once, on the same WebSocket", (t) => {
  const before = FakeWebSocket.created;
  const main = connect(URL, MAIN);
  t.after(() => main.close());
  const ws = FakeWebSocket.last;
  ws.receive(OPEN);
  ws.receive('40{"sid":"m"}');
  const admin = connectAdmin(URL, ADMIN);
  t.after(() => admin.close());
  assert.equal(FakeWebSocket.created, before + 1);
  assert.equal(ws.sent.at(-1), '40/admin,{"token":"secret"}');
  ws.receive('40/admin,{"sid":"a"}');
  assert.equal(admin.connected, true);
});

test("closing one namespace sends 41/admin, and keeps the other; the last closes the WebSocket", (t) => {
  const { main, admin, ws } = both(t);
  handshake(ws);
  const reasons = [];
  main.onDisconnect((r) => reasons.push(["main", r]));
  admin.onDisconnect((r) => reasons.push(["admin", r]));
  admin.close();
  assert.equal(ws.sent.at(-1), "41/admin,");
  assert.equal(ws.closed, false);
  assert.deepEqual([main.connected, admin.connected], [true, false]);
  const notices = [];
  main.onNotice((n) => notices.push(n.text));
  ws.receive('42["notice",{"text":"still here"}]');
  assert.deepEqual(notices, ["still here"]);
  main.close();
  assert.equal(ws.sent.at(-1), "41");
  assert.equal(ws.closed, true);
  assert.deepEqual(reasons, [["admin", "io client disconnect"], ["main", "io client disconnect"]]);
});

test("the server's 41/admin, and 44/admin, end that socket only", (t) => {
  const { main, admin, ws } = both(t);
  handshake(ws);
  const reasons = [];
  admin.onDisconnect((r) => reasons.push(r));
  ws.receive("41/admin,");
  assert.deepEqual(reasons, ["io server disconnect"]);
  assert.deepEqual([main.connected, ws.closed], [true, false]);
  const again = connectAdmin(URL, ADMIN);
  t.after(() => again.close());
  assert.equal(FakeWebSocket.last, ws, "a new WebSocket for a namespace that left");
  const refused = [];
  again.onConnectError((err) => refused.push(err.code));
  ws.receive('44/admin,{"message":"no","data":{"code":"not_admin"}}');
  assert.deepEqual(refused, ["not_admin"]);
  assert.deepEqual([main.connected, ws.closed], [true, false]);
});

test("a socket closed before the server confirmed it still leaves its namespace", (t) => {
  const { main, admin, ws } = both(t);
  ws.receive(OPEN);
  ws.receive('40{"sid":"m"}');
  admin.close(); // its CONNECT went out: the server has the socket, or soon will
  assert.equal(ws.sent.at(-1), "41/admin,");
  ws.receive('40/admin,{"sid":"late"}'); // the reply to the CONNECT crossed the 41
  assert.deepEqual([main.connected, admin.connected, ws.closed], [true, false, false]);
});

test("a broken WebSocket ends every socket on it", (t) => {
  const { main, admin, ws } = both(t);
  handshake(ws);
  const heard = [];
  main.onDisconnect((r) => heard.push(["main", r]));
  admin.onDisconnect((r) => heard.push(["admin", r]));
  admin.onError((err) => heard.push(["admin error", err.code]));
  ws.onclose({ code: 1006 });
  assert.deepEqual(heard, [["main", "transport close"], ["admin", "transport close"]]);
  assert.deepEqual([main.state, admin.state], ["reconnecting", "reconnecting"]);
  main.close(); // leave the shared manager to the next pair
  admin.close();
  const b = both(t);
  handshake(b.ws);
  b.main.onDisconnect((r) => heard.push(["main", r]));
  b.admin.onError((err) => heard.push(["admin error", err.code]));
  b.admin.onDisconnect((r) => heard.push(["admin", r]));
  b.ws.receive(bytes(1)); // a binary frame nobody announced breaks the protocol
  assert.deepEqual(heard.slice(2), [["main", "parse error"], ["admin error", "protocol_error"], ["admin", "parse error"]]);
  assert.equal(b.ws.closed, true);
});

test("a late ping ends every socket on the WebSocket", async (t) => {
  const { main, admin, ws } = both(t);
  ws.receive('0{"sid":"eio","upgrades":[],"pingInterval":10,"pingTimeout":10,"maxPayload":1000000}');
  ws.receive('40{"sid":"m"}');
  ws.receive('40/admin,{"sid":"a"}');
  const reasons = [];
  main.onDisconnect((r) => reasons.push(r));
  admin.onDisconnect((r) => reasons.push(r));
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(reasons, ["ping timeout", "ping timeout"]);
  assert.equal(ws.closed, true);
});

test("forceNew: true and multiplex: false open a WebSocket of their own", (t) => {
  assert.equal(both(t, MAIN, { ...ADMIN, forceNew: true }).opened, 2);
  assert.equal(both(t, MAIN, { ...ADMIN, multiplex: false }).opened, 2);
  assert.equal(both(t, { ...MAIN, forceNew: false }, { ...ADMIN, multiplex: true }).opened, 1);
});

test("a second connection to the same namespace gets its own WebSocket", (t) => {
  const first = both(t);
  const before = FakeWebSocket.created;
  const second = connect(URL, MAIN);
  t.after(() => second.close());
  assert.equal(FakeWebSocket.created, before + 1);
  assert.notEqual(FakeWebSocket.last, first.ws);
  // Another path is another server; another WebSocket class is not shared either.
  const other = connectAdmin(URL, { ...ADMIN, path: "/rt" });
  t.after(() => other.close());
  assert.equal(FakeWebSocket.created, before + 2);
  class OtherWebSocket extends FakeWebSocket {}
  const third = connect(URL, { ...MAIN, path: "/rt", WebSocket: OtherWebSocket });
  t.after(() => third.close());
  assert.equal(FakeWebSocket.created, before + 3);
  assert.ok(FakeWebSocket.last instanceof OtherWebSocket);
  const fourth = connect(URL, { ...MAIN, path: "/rt" }); // shares other's WebSocket
  t.after(() => fourth.close());
  assert.equal(FakeWebSocket.created, before + 3);
});

test("a manager of one's own: shared by the connections given it, apart from the others", (t) => {
  const m = manager(URL, { WebSocket: FakeWebSocket, path: "/rt/" });
  assert.equal(m.url, "ws://localhost:5050/rt/?EIO=4&transport=websocket");
  const before = FakeWebSocket.created;
  const main = connect(URL, { manager: m, auth: { name: "ann" } });
  const admin = connectAdmin(URL, { manager: m, auth: { token: "secret" } });
  t.after(() => m.close());
  assert.equal(FakeWebSocket.created, before + 1);
  const ws = FakeWebSocket.last;
  assert.equal(ws.url, m.url);
  handshake(ws);
  const shared = connectAdmin(URL, { ...ADMIN, path: "/rt/" }); // not on m: the default manager
  t.after(() => shared.close());
  assert.equal(FakeWebSocket.created, before + 2);
  m.close();
  assert.deepEqual(ws.sent.slice(-2), ["41", "41/admin,"]);
  assert.equal(ws.closed, true);
  assert.deepEqual([main.connected, admin.connected], [false, false]);
  // The manager opens a new WebSocket for the next connection.
  const again = connect(URL, { manager: m, auth: { name: "bob" } });
  t.after(() => again.close());
  assert.equal(FakeWebSocket.created, before + 3);
  FakeWebSocket.last.receive(OPEN);
  assert.deepEqual(FakeWebSocket.last.sent, ['40{"name":"bob"}']);
});

test("options.manager refuses what would not fit it", (t) => {
  const m = manager(URL, { WebSocket: FakeWebSocket });
  const main = connect(URL, { manager: m, auth: { name: "ann" } });
  t.after(() => main.close());
  assert.throws(() => connect(URL, { manager: m, auth: { name: "bob" } }), /has a connection to namespace \/ already/);
  assert.throws(() => connectAdmin("http://example.com", { manager: m, auth: { token: "abc" } }), /is not the server of options\.manager/);
  for (const extra of [{ path: "/socket.io/" }, { WebSocket: FakeWebSocket }, { forceNew: true }, { multiplex: true }, { reconnection: false }, { timeout: 5 }]) {
    assert.throws(() => connectAdmin(URL, { manager: m, auth: { token: "abc" }, ...extra }), /options\.manager excludes path, WebSocket, forceNew, multiplex, reconnection, .*timeout: they are the manager's/);
  }
  const admin = connectAdmin(URL + "/ignored/path", { manager: m, auth: { token: "abc" } });
  t.after(() => admin.close());
});

test("an invalid auth option leaves the shared WebSocket alone", async (t) => {
  const { main, ws } = both(t);
  handshake(ws);
  const sent = ws.sent.length;
  const before = FakeWebSocket.created;
  const bad = connectAdmin(URL, { WebSocket: FakeWebSocket, auth: { token: "x" } });
  const err = await new Promise((resolve) => bad.onConnectError(resolve));
  assert.equal(err.code, "invalid_payload");
  bad.close();
  assert.equal(ws.sent.length, sent);
  assert.equal(FakeWebSocket.created, before);
  assert.deepEqual([main.connected, ws.closed], [true, false]);
});

test("the namespaces on a manager reconnect together: one new WebSocket, a CONNECT each, auth asked again", async (t) => {
  const clock = fakeClock(t);
  let logins = 0;
  const settings = { randomizationFactor: 0, reconnectionDelay: 500 };
  const { main, admin, ws, opened } = both(t, { ...MAIN, ...settings, auth: () => ({ name: `ann${++logins}` }) }, { ...ADMIN, ...settings });
  assert.equal(opened, 1, "the same settings share a manager");
  ws.receive(OPEN);
  await clock.flush();
  ws.receive('40{"sid":"m"}');
  ws.receive('40/admin,{"sid":"a"}');
  const heard = [];
  for (const [name, s] of [["main", main], ["admin", admin]]) {
    s.onDisconnect((r) => heard.push([name, "disconnect", r]));
    s.onReconnectAttempt((n, delay) => heard.push([name, "attempt", n, delay]));
    s.onConnect(() => heard.push([name, "connect", s.id]));
  }
  ws.serverClose(1001);
  const before = FakeWebSocket.created;
  clock.tick(500);
  assert.equal(FakeWebSocket.created, before + 1, "one WebSocket for both");
  const next = FakeWebSocket.last;
  next.receive(OPEN);
  await clock.flush();
  assert.deepEqual(next.sent.toSorted(), ['40/admin,{"token":"secret"}', '40{"name":"ann2"}']);
  next.receive('40/admin,{"sid":"a2"}');
  next.receive('40{"sid":"m2"}');
  assert.deepEqual(heard, [
    ["main", "disconnect", "transport close"],
    ["admin", "disconnect", "transport close"],
    ["main", "attempt", 1, 500],
    ["admin", "attempt", 1, 500],
    ["admin", "connect", "a2"],
    ["main", "connect", "m2"],
  ]);
});

test("a namespace refused (44) stays down; the others reconnect without it", (t) => {
  const clock = fakeClock(t);
  const { main, admin, ws } = both(t, { ...MAIN, randomizationFactor: 0 }, { ...ADMIN, randomizationFactor: 0 });
  const heard = [];
  main.onConnectError((err) => heard.push(["main", err.code, err.message]));
  admin.onConnectError((err) => heard.push(["admin", err.code, err.message]));
  ws.receive(OPEN);
  // /admin refused before / was confirmed: the server closes the WebSocket (1008).
  ws.receive('44/admin,{"message":"not a moderator","data":{"code":"forbidden"}}');
  ws.serverClose(1008, "connect refused");
  assert.deepEqual([main.state, admin.state], ["reconnecting", "disconnected"]);
  clock.tick(1000);
  FakeWebSocket.last.receive(OPEN);
  assert.deepEqual(FakeWebSocket.last.sent, ['40{"name":"ann"}'], "the refused namespace connected again");
  FakeWebSocket.last.receive('40{"sid":"m"}');
  assert.equal(main.connected, true);
  assert.deepEqual(heard, [
    ["admin", "forbidden", "not a moderator"],
    ["main", "connect_error", "eventwire: could not connect (transport close)"],
  ]);
});

test("a namespace the server disconnected (41) is not connected again; the others are", (t) => {
  const clock = fakeClock(t);
  const { main, admin, ws } = both(t, { ...MAIN, randomizationFactor: 0 }, { ...ADMIN, randomizationFactor: 0 });
  handshake(ws);
  ws.receive("41/admin,");
  ws.fail();
  clock.tick(1000);
  handshake(FakeWebSocket.last);
  assert.deepEqual(FakeWebSocket.last.sent, ['40{"name":"ann"}']);
  assert.deepEqual([main.state, admin.state], ["connected", "disconnected"]);
});

test("other reconnection settings get a manager of their own", (t) => {
  for (const [mainOptions, adminOptions] of [[MAIN, { ...ADMIN, reconnectionDelayMax: 60000 }], [{ ...MAIN, reconnection: false }, ADMIN]]) {
    const { main, admin, opened } = both(t, mainOptions, adminOptions);
    assert.equal(opened, 2);
    main.close();
    admin.close();
  }
});
