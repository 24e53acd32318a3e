// examples/teamchat's namespace /admin with the official socket.io-client:
// io(url) and io(url + "/admin") share one WebSocket (socket.io-client's
// Manager multiplexes them), each namespace with its own auth, events and
// disconnect; an unknown namespace gets connect_error.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { io, Manager } from "socket.io-client";
import { startExample, nextEvent, withoutOffset } from "./harness.mjs";

const TOKEN = "e2e-moderator-token";
let team;
const sockets = [];

before(async () => { team = await startExample("teamchat", { EVENTWIRE_ADMIN_TOKEN: TOKEN }); });
after(async () => {
  for (const s of sockets) s.close();
  await team.stop();
});

// track closes s when the tests end.
function track(s) {
  sockets.push(s);
  return s;
}

// pair connects a chat user and a moderator on one shared Manager (one
// WebSocket); adminOutcome resolves with the moderator's first "connect" or
// "connect_error" arguments. The first test uses io(url) and
// io(url + "/admin") themselves; later ones build the Manager, since io()
// gives a namespace it has seen before a Manager of its own.
async function pair(name, token = TOKEN, manager = undefined) {
  const opts = { transports: ["websocket"], reconnection: false };
  const chat = track(manager ? manager.socket("/", { auth: { name } }) : io(team.url, { ...opts, auth: { name } }));
  const admin = track(manager ? manager.socket("/admin", { auth: { token } }) : io(team.url + "/admin", { ...opts, auth: { token } }));
  const adminOutcome = Promise.race([
    nextEvent(admin, "connect").then(() => "connect"),
    nextEvent(admin, "connect_error").then(([err]) => err),
  ]);
  await nextEvent(chat, "connect");
  return { chat, admin, adminOutcome };
}

const manager = () => new Manager(team.url, { transports: ["websocket"], reconnection: false });

async function user(name) {
  const s = track(io(team.url, { transports: ["websocket"], reconnection: false, forceNew: true, auth: { name } }));
  await nextEvent(s, "connect");
  return s;
}

test("io(url) and io(url + '/admin') share one WebSocket, each its own socket", async () => {
  const { chat, admin, adminOutcome } = await pair("mod");
  assert.equal(await adminOutcome, "connect");
  assert.equal(chat.io, admin.io, "one Manager");
  assert.notEqual(chat.id, admin.id);
  const bob = await user("bob");
  const heard = nextEvent(bob, "announcement");
  admin.emit("announce", { text: "maintenance at noon" });
  assert.deepEqual(withoutOffset(await heard), [{ text: "maintenance at noon" }]);
  assert.deepEqual(await chat.emitWithAck("join", { room: "ops" }), { data: { room: "ops", members: ["mod"] } });
  admin.disconnect(); // leaves /admin only
  assert.deepEqual(await chat.emitWithAck("join", { room: "dev" }), { data: { room: "dev", members: ["mod"] } });
  assert.equal(chat.connected, true);
  chat.disconnect();
});

test("a wrong token is refused on /admin alone; the chat socket stays", async () => {
  const { chat, admin, adminOutcome } = await pair("eve", "guess", manager());
  const err = await adminOutcome;
  assert.equal(chat.io, admin.io, "one Manager");
  assert.equal(err.data?.code, "forbidden");
  assert.equal(err.message, "not a moderator");
  assert.deepEqual(await chat.emitWithAck("join", { room: "eve-room" }), { data: { room: "eve-room", members: ["eve"] } });
  chat.disconnect();
});

test("kick disconnects every connection of a name and acks the count", async () => {
  const { chat, admin, adminOutcome } = await pair("boss", TOKEN, manager());
  assert.equal(await adminOutcome, "connect");
  const spam1 = await user("spammer"), spam2 = await user("spammer");
  const gone = Promise.all([nextEvent(spam1, "disconnect"), nextEvent(spam2, "disconnect")]);
  assert.deepEqual(await admin.emitWithAck("kick", { name: "spammer" }), { data: { kicked: 2 } });
  for (const [reason] of await gone) assert.equal(reason, "io server disconnect");
  const invalid = await admin.emitWithAck("kick", { name: "" });
  assert.equal(invalid.error?.code, "invalid_payload");
  admin.disconnect();
  chat.disconnect();
});

test("an unknown namespace gets connect_error Invalid namespace", async () => {
  const s = track(io(team.url + "/nope", { transports: ["websocket"], reconnection: false, forceNew: true, auth: { name: "x" } }));
  const [err] = await nextEvent(s, "connect_error");
  assert.equal(err.message, "Invalid namespace");
});
