// examples/teamchat with the official socket.io-client: auth on connect,
// rooms with acks, member notices, not_member and invalid payloads, order.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { startExample, nextEvent, withoutOffset } from "./harness.mjs";

let team;
const sockets = [];

before(async () => { team = await startExample("teamchat"); });
after(async () => {
  for (const s of sockets) s.close();
  await team.stop();
});

function open(auth) {
  const s = io(team.url, { transports: ["websocket"], reconnection: false, forceNew: true, auth });
  sockets.push(s);
  return s;
}

// user connects with a name and resolves once connected.
async function user(name) {
  const s = open({ name });
  await nextEvent(s, "connect");
  return s;
}

const ack = (s, event, payload) => s.emitWithAck(event, payload);

test("a missing or invalid name is refused with CONNECT_ERROR and a code", async () => {
  for (const [label, auth, field] of [
    ["missing auth", undefined, "name"],
    ["empty name", { name: "" }, "name"],
    ["name too long", { name: "x".repeat(21) }, "name"],
    ["wrong type", { name: 7 }, "name"],
  ]) {
    const [err] = await nextEvent(open(auth), "connect_error");
    assert.equal(err.data?.code, "invalid_payload", label);
    assert.equal(err.data.details?.[0]?.field, field, label);
    assert.equal(typeof err.message, "string", label);
  }
});

test("join acks the members in join order and tells the others", async () => {
  const ann = await user("ann"), bob = await user("bob"), cid = await user("cid");
  assert.deepEqual(await ack(ann, "join", { room: "ops" }), { data: { room: "ops", members: ["ann"] } });
  const annSees = nextEvent(ann, "member_joined");
  assert.deepEqual(await ack(bob, "join", { room: "ops" }), { data: { room: "ops", members: ["ann", "bob"] } });
  assert.deepEqual((await annSees)[0], { room: "ops", name: "bob" });
  const seen = [];
  cid.on("member_joined", (m) => seen.push(m));
  await ack(cid, "join", { room: "dev" });
  assert.deepEqual(seen, [], "cid is in another room and hears nothing of ops");
});

test("say reaches the other members with the ack's id and ts, in order", async () => {
  const ann = await user("ann"), bob = await user("bob"), eve = await user("eve");
  await ack(ann, "join", { room: "blue" });
  await ack(bob, "join", { room: "blue" });
  await ack(eve, "join", { room: "red" });
  const eveGot = [];
  eve.on("said", (m) => eveGot.push(m));
  const annGot = [];
  ann.on("said", (m) => annGot.push(m));
  const bobGot = [];
  const bobAll = new Promise((resolve) => bob.on("said", (m) => { bobGot.push(m); if (bobGot.length === 20) resolve(); }));
  const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => ack(ann, "say", { room: "blue", text: `line ${i}` })));
  await bobAll;
  assert.deepEqual(bobGot.map((m) => m.text), Array.from({ length: 20 }, (_, i) => `line ${i}`));
  for (const [i, m] of bobGot.entries()) {
    assert.deepEqual(m, { id: acks[i].data.id, room: "blue", from: "ann", text: `line ${i}`, ts: acks[i].data.ts });
    assert.ok(Number.isInteger(m.ts) && Math.abs(Date.now() - m.ts) < 60000);
  }
  assert.equal(new Set(acks.map((a) => a.data.id)).size, 20, "ids are unique");
  await ack(eve, "say", { room: "red", text: "flush" }); // eve's own line; ordering makes any leak visible by now
  assert.deepEqual(eveGot, []);
  assert.deepEqual(annGot, [], "the sender does not get its own line");
});

test("say and leave outside a room get not_member; invalid payloads get invalid_payload", async () => {
  const ann = await user("ann");
  const r = await ack(ann, "say", { room: "nowhere", text: "hi" });
  assert.equal(r.error?.code, "not_member");
  assert.equal((await ack(ann, "leave", { room: "nowhere" })).error?.code, "not_member");
  for (const payload of [{ room: "UPPER" }, { room: "" }, { room: "a".repeat(33) }, {}]) {
    const bad = await ack(ann, "join", payload);
    assert.equal(bad.error?.code, "invalid_payload", JSON.stringify(payload));
    assert.equal(bad.error.details[0].field, "room");
  }
  await ack(ann, "join", { room: "ok-room" });
  const empty = await ack(ann, "say", { room: "ok-room", text: "" });
  assert.deepEqual(empty.error.details.map((d) => [d.field, d.rule]), [["text", "minLength"]]);
  assert.ok(ann.connected);
});

test("leave and disconnect tell the remaining members", async () => {
  const ann = await user("ann"), bob = await user("bob");
  await ack(ann, "join", { room: "x" });
  await ack(ann, "join", { room: "y" });
  await ack(bob, "join", { room: "x" });
  await ack(bob, "join", { room: "y" });
  let left = nextEvent(ann, "member_left");
  assert.deepEqual(await ack(bob, "leave", { room: "x" }), { data: { room: "x" } });
  assert.deepEqual((await left)[0], { room: "x", name: "bob" });
  left = nextEvent(ann, "member_left");
  bob.close();
  assert.deepEqual((await left)[0], { room: "y", name: "bob" });
  assert.deepEqual(await ack(ann, "join", { room: "y" }), { data: { room: "y", members: ["ann"] } });
});

test("typing carries several positional arguments both ways, checked per argument", async () => {
  const ann = await user("ann"), bob = await user("bob");
  await ack(ann, "join", { room: "green" });
  await ack(bob, "join", { room: "green" });
  const bobSees = nextEvent(bob, "typing_status");
  ann.emit("typing", "green");
  assert.deepEqual(withoutOffset(await bobSees), ["green", "ann", true]);
  const bobSeesStop = nextEvent(bob, "typing_status");
  assert.deepEqual(await ann.emitWithAck("typing", "green", false), { data: null });
  assert.deepEqual(withoutOffset(await bobSeesStop), ["green", "ann", false]);
  const refused = [
    [[], [{ field: "room", rule: "required", message: "room is required" }]],
    [["green", "yes"], [{ field: "active", rule: "type", param: "boolean", message: "active must be of type boolean" }]],
    [["Green!"], [{ field: "room", rule: "pattern", param: "^[a-z0-9-]+$", message: "room must match ^[a-z0-9-]+$" }]],
    [["green", true, 3], [{ field: "", rule: "type", param: "2 arguments", message: "payload must be of type 2 arguments" }]],
  ];
  for (const [args, details] of refused) {
    const reply = await ann.emitWithAck("typing", ...args);
    assert.deepEqual(reply, { error: { code: "invalid_payload", message: "invalid payload", details } }, JSON.stringify(args));
  }
  const err = nextEvent(ann, "eventwire:error");
  ann.emit("typing", "red");
  assert.equal((await err)[0].code, "not_member");
});

test("share carries a file as a binary attachment both ways, bounded by maxBytes", async () => {
  const ann = await user("ann"), bob = await user("bob");
  await ack(ann, "join", { room: "files" });
  await ack(bob, "join", { room: "files" });
  const file = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x10]);
  const annGets = nextEvent(ann, "shared");
  const reply = await ack(bob, "share", { room: "files", name: "dot.png", type: "image/png", data: file });
  assert.ok(reply.data?.id, JSON.stringify(reply));
  const [got] = await annGets;
  assert.ok(Buffer.isBuffer(got.data), "socket.io-client hands the attachment over as a Buffer");
  assert.deepEqual(got.data, file);
  assert.deepEqual({ ...got, data: undefined }, {
    id: reply.data.id, room: "files", from: "bob", name: "dot.png", type: "image/png", data: undefined, ts: reply.data.ts,
  });
  const big = await ack(bob, "share", { room: "files", name: "big.bin", type: "application/octet-stream", data: Buffer.alloc(256 * 1024 + 1) });
  assert.deepEqual(big.error?.details?.map((d) => [d.field, d.rule, d.param]), [["data", "maxBytes", "262144"]]);
  const outsider = await user("cid");
  const refused = await ack(outsider, "share", { room: "files", name: "x", type: "text/plain", data: Buffer.from("x") });
  assert.equal(refused.error?.code, "not_member");
  assert.ok(bob.connected && ann.connected);
});

test("status carries a date-time and a free-form any value, checked by the server", async () => {
  const ann = await user("ann"), bob = await user("bob");
  await ack(ann, "join", { room: "status" });
  await ack(bob, "join", { room: "status" });
  const since = "2026-12-08T10:30:00.25+01:00";
  const first = nextEvent(bob, "status_changed");
  const reply = await ack(ann, "status", { room: "status", since });
  assert.deepEqual((await first)[0], { room: "status", name: "ann", since }, "no meta sent, none passed on");
  assert.ok(typeof reply.data === "string" && reply.data.endsWith("Z") && !Number.isNaN(Date.parse(reply.data)), JSON.stringify(reply));
  for (const meta of [{ emoji: "🌴", nested: { list: [1, null, "x"] } }, [1, "two", false, null], "away", 42.5, -7, true, false]) {
    const bobGets = nextEvent(bob, "status_changed");
    assert.equal((await ack(ann, "status", { room: "status", since, meta })).error, undefined, JSON.stringify(meta));
    assert.deepEqual((await bobGets)[0], { room: "status", name: "ann", since, meta }, JSON.stringify(meta));
  }
  const bobGetsNull = nextEvent(bob, "status_changed");
  await ack(ann, "status", { room: "status", since: "2026-12-08T09:30:00Z", meta: null });
  assert.deepEqual((await bobGetsNull)[0], { room: "status", name: "ann", since: "2026-12-08T09:30:00Z" }, "a null meta is absent");
  for (const [label, bad] of [
    ["a space for T", "2026-12-08 10:30:00Z"], ["no offset", "2026-12-08T10:30:00"], ["February 30", "2026-02-30T10:30:00Z"],
    ["a leap second", "2026-12-31T23:59:60Z"], ["lower-case z", "2026-12-08T10:30:00z"], ["a date alone", "2026-12-08"],
  ]) {
    const refused = await ack(ann, "status", { room: "status", since: bad, meta: { kept: true } });
    assert.deepEqual(refused, { error: { code: "invalid_payload", message: "invalid payload", details: [
      { field: "since", rule: "format", param: "date-time", message: "since must be a valid date-time" },
    ] } }, label);
  }
  const notString = await ack(ann, "status", { room: "status", since: Date.now() });
  assert.deepEqual(notString.error?.details?.map((d) => [d.field, d.rule, d.param]), [["since", "type", "string"]]);
  assert.ok(ann.connected && bob.connected);
});

test("presence sets statuses by room in a map; a bad key or value is refused with its path", async () => {
  const ann = await user("ann"), bob = await user("bob");
  await ack(ann, "join", { room: "map-a" });
  await ack(ann, "join", { room: "map-b" });
  await ack(bob, "join", { room: "map-a" });
  const annSees = nextEvent(ann, "presence_changed");
  assert.deepEqual(await ack(bob, "presence", { statuses: { "map-a": "away" } }), {
    data: { "map-a": { ann: "online", bob: "away" } },
  });
  assert.deepEqual((await annSees)[0], { room: "map-a", name: "bob", status: "away" });
  assert.deepEqual(await ack(ann, "presence", { statuses: { "map-b": "busy", "map-a": "online" } }), {
    data: { "map-a": { ann: "online", bob: "away" }, "map-b": { ann: "busy" } },
  });

  const detail = (field, rule, param, message) => ({ field, rule, param, message });
  const refused = async (payload) => {
    const reply = await ack(ann, "presence", payload);
    assert.equal(reply.error?.code, "invalid_payload", JSON.stringify(reply));
    return reply.error.details;
  };
  // A key that is no identifier is written with JSON quoting: statuses["Map A"].
  assert.deepEqual(await refused({ statuses: { "Map A": "away", "map-a": "away" } }), [
    detail('statuses["Map A"]', "keyPattern", "^[a-z0-9-]{1,32}$", 'statuses["Map A"] is a key that must match ^[a-z0-9-]{1,32}$'),
  ]);
  // An identifier key follows a dot; entries are checked in key order, not
  // in the order they came in: dev's detail comes before ops's.
  assert.deepEqual(await refused({ statuses: { ops: "asleep", "map-a": "away", dev: "later" } }), [
    detail("statuses.dev", "enum", "online away busy", "statuses.dev must be one of online away busy"),
    detail("statuses.ops", "enum", "online away busy", "statuses.ops must be one of online away busy"),
  ]);
  assert.deepEqual(await refused({ statuses: { "map-a": 1 } }), [
    { field: 'statuses["map-a"]', rule: "type", param: "string", message: 'statuses["map-a"] must be of type string' },
  ]);
  assert.deepEqual(await refused({ statuses: {} }), [
    detail("statuses", "minProperties", "1", "statuses must have at least 1 entries"),
  ]);
  assert.deepEqual(await refused({ statuses: ["map-a"] }), [
    { field: "statuses", rule: "type", param: "map", message: "statuses must be of type map" },
  ]);
  // Nothing refused changed ann's statuses.
  assert.deepEqual(await ack(bob, "presence", { statuses: { "map-a": "busy" } }), {
    data: { "map-a": { ann: "online", bob: "busy" } },
  });
  assert.equal((await ack(bob, "presence", { statuses: { "map-b": "away" } })).error?.code, "not_member");
});
