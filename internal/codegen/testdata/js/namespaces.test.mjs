// namespaces.test.mjs checks the generated clients of testdata/nsevents
// against a fake WebSocket: connectAdmin speaks namespace /admin (its
// CONNECT, events, acks and DISCONNECT carry "/admin,"), ignores other
// namespaces' packets, and checks its own auth schema.
//
//   EVENTWIRE_CLIENT=/tmp/x/nsevents.js node --test namespaces.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { FakeWebSocket, OPEN } from "./fake_websocket.mjs";

const client = await import(pathToFileURL(process.env.EVENTWIRE_CLIENT).href);
const { connect, connectAdmin, validateAdminKick, validateSay } = client;

function openAdmin(t, auth = { token: "secret" }) {
  const admin = connectAdmin("http://localhost:5050", { WebSocket: FakeWebSocket, auth });
  t.after(() => admin.close());
  return { admin, ws: FakeWebSocket.last };
}

test("connectAdmin connects namespace /admin with its auth", (t) => {
  const { admin, ws } = openAdmin(t);
  ws.receive(OPEN);
  assert.deepEqual(ws.sent, ['40/admin,{"token":"secret"}']);
  ws.receive('40{"sid":"main"}'); // another namespace's reply is not ours
  assert.equal(admin.connected, false);
  ws.receive('40/admin,{"sid":"adm"}');
  assert.equal(admin.connected, true);
  assert.equal(admin.id, "adm");
});

test("events, acks and disconnect carry the namespace", async (t) => {
  const { admin, ws } = openAdmin(t);
  ws.receive(OPEN);
  ws.receive('40/admin,{"sid":"adm"}');
  const audits = [];
  admin.onAudit((v) => audits.push(v));
  ws.receive('42["audit","main"]');
  ws.receive('42/admin,["audit","kicked bob"]');
  assert.deepEqual(audits, ["kicked bob"]);
  const kicked = admin.emitKick({ name: "bob" });
  assert.equal(ws.sent.at(-1), '42/admin,0["kick",{"name":"bob"}]');
  ws.receive('430[{"data":{"kicked":9}}]'); // the main namespace's ack 0 is not ours
  ws.receive('43/admin,0[{"data":{"kicked":1}}]');
  assert.deepEqual(await kicked, { kicked: 1 });
  const errors = [];
  admin.onError((err) => errors.push(err.code));
  ws.receive('42/admin,["eventwire:error",{"event":"announce","code":"forbidden","message":"no"}]');
  assert.deepEqual(errors, ["forbidden"]);
  admin.close();
  assert.equal(ws.sent.at(-1), "41/admin,");
});

test("validators and the auth option are the namespace's", async (t) => {
  assert.deepEqual(validateAdminKick({ name: "Bob" }).map((d) => d.rule), ["pattern"]);
  assert.deepEqual(validateSay("").map((d) => d.rule), ["minLength"]);
  const before = FakeWebSocket.created;
  const admin = connectAdmin("http://localhost:5050", { WebSocket: FakeWebSocket, auth: { token: "x" } });
  const err = await new Promise((resolve) => admin.onConnectError(resolve));
  assert.equal(err.code, "invalid_payload");
  assert.equal(FakeWebSocket.created, before, "no WebSocket for an invalid auth");
  await assert.rejects(admin.emitKick({ name: "bob" }), { code: "disconnected" });
});

test("an unknown or refused namespace is a connect error", async (t) => {
  const { admin, ws } = openAdmin(t);
  const errs = [];
  admin.onConnectError((err) => errs.push([err.code, err.message]));
  ws.receive(OPEN);
  ws.receive('44/admin,{"message":"Invalid namespace"}');
  assert.deepEqual(errs, [["connect_error", "Invalid namespace"]]);
  assert.equal(ws.closed, true);
});

test("connect still speaks the main namespace", (t) => {
  const main = connect("http://localhost:5050", { WebSocket: FakeWebSocket, auth: { name: "ann" } });
  t.after(() => main.close());
  const ws = FakeWebSocket.last;
  ws.receive(OPEN);
  assert.deepEqual(ws.sent, ['40{"name":"ann"}']);
  ws.receive('40/admin,{"sid":"adm"}');
  assert.equal(main.connected, false);
  ws.receive('40{"sid":"main"}');
  assert.equal(main.connected, true);
  main.emitSay("hi").catch(() => {}); // rejected by the close at the end
  assert.equal(ws.sent.at(-1), '420["say","hi"]');
});
