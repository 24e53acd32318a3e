// The official socket.io-client v4 against the example chat: eventwire must
// speak the published protocol, so an unmodified client works.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import WebSocket from "ws";
import { startChat, nextEvent } from "./harness.mjs";

const WELCOME = "Welcome to the eventwire chat!";
let chat;
const sockets = [];

before(async () => { chat = await startChat(); });
after(async () => {
  for (const s of sockets) s.close();
  await chat.stop();
});

// join connects a socket.io-client and resolves once it has the welcome.
async function join() {
  const s = io(chat.url, { transports: ["websocket"], reconnection: false, forceNew: true });
  sockets.push(s);
  const [text] = await nextEvent(s, "link");
  assert.ok(s.connected);
  return { s, text };
}

test("a client gets the welcome link on connect", async () => {
  const { s, text } = await join();
  assert.equal(text, WELCOME);
  assert.match(s.id, /^\S+$/);
});

test("a message reaches every other client and not the sender", async () => {
  const a = await join(), b = await join(), c = await join();
  const got = [];
  a.s.on("server_back_message", (m) => got.push(m));
  const atB = nextEvent(b.s, "server_back_message");
  const atC = nextEvent(c.s, "server_back_message");
  const reply = await a.s.emitWithAck("browser_to_message", { messageText: "héllo <b>wörld</b> 👋" });
  assert.deepEqual(reply, { data: null });
  assert.deepEqual((await atB)[0], { messageText: "héllo <b>wörld</b> 👋" });
  assert.deepEqual((await atC)[0], { messageText: "héllo <b>wörld</b> 👋" });
  // The server writes the broadcast before the ack, so a's own copy would have arrived by now.
  await a.s.emitWithAck("browser_to_message", { messageText: "second" });
  assert.deepEqual(got, []);
});

test("binary data from the client arrives as base64 (BINARY_EVENT with attachments)", async () => {
  const a = await join(), b = await join();
  const atB = nextEvent(b.s, "server_back_message");
  // socket.io-client sends this as 451-[...placeholder...] plus one binary frame.
  const reply = await a.s.emitWithAck("browser_to_message", { messageText: Buffer.from("héllo") });
  assert.deepEqual(reply, { data: null });
  assert.deepEqual((await atB)[0], { messageText: Buffer.from("héllo").toString("base64") });
  assert.ok(a.s.connected);
});

const invalid = [
  { name: "empty text", payload: { messageText: "" }, detail: { field: "messageText", rule: "minLength", param: "1", message: "messageText must be at least 1 characters" } },
  { name: "501 characters", payload: { messageText: "é".repeat(501) }, detail: { field: "messageText", rule: "maxLength", param: "500", message: "messageText must be at most 500 characters" } },
  { name: "missing field", payload: {}, detail: { field: "messageText", rule: "required", message: "messageText is required" } },
  { name: "null field", payload: { messageText: null }, detail: { field: "messageText", rule: "required", message: "messageText is required" } },
  { name: "wrong type", payload: { messageText: 42 }, detail: { field: "messageText", rule: "type", param: "string", message: "messageText must be of type string" } },
  { name: "unknown field", payload: { messageText: "hi", admin: true }, detail: { field: "admin", rule: "unknown", message: "admin is not a known field" } },
  { name: "not an object", payload: "hi", detail: { field: "", rule: "type", param: "object", message: "payload must be of type object" } },
];

test("invalid payloads are refused with details, reach no one, and keep the sender connected", async () => {
  const a = await join(), b = await join();
  const leaked = [];
  b.s.on("server_back_message", (m) => leaked.push(m));
  for (const tc of invalid) {
    const reply = await a.s.emitWithAck("browser_to_message", tc.payload);
    assert.equal(reply.error?.code, "invalid_payload", tc.name);
    assert.deepEqual(reply.error.details, [tc.detail], tc.name);
    assert.equal(typeof reply.error.message, "string");
  }
  assert.ok(a.s.connected);
  const atB = nextEvent(b.s, "server_back_message");
  await a.s.emitWithAck("browser_to_message", { messageText: "still here" });
  assert.deepEqual((await atB)[0], { messageText: "still here" });
  // b reads in order: anything before the valid line would be a leaked invalid one.
  assert.deepEqual(leaked, [{ messageText: "still here" }]);
});

test("without an ack, errors arrive as the eventwire:error event", async () => {
  const { s } = await join();
  const err = nextEvent(s, "eventwire:error");
  s.emit("browser_to_message", { messageText: "" });
  const [payload] = await err;
  assert.equal(payload.event, "browser_to_message");
  assert.equal(payload.code, "invalid_payload");
  assert.equal(payload.details[0].rule, "minLength");
  assert.ok(s.connected);
});

test("unknown events and server-only events are refused by code", async () => {
  const { s } = await join();
  assert.equal((await s.emitWithAck("no_such_event", 1)).error.code, "unknown_event");
  assert.equal((await s.emitWithAck("server_back_message", { messageText: "x" })).error.code, "not_allowed");
  assert.ok(s.connected);
});

test("HTTP long-polling is refused with Engine.IO's JSON error", async () => {
  const res = await fetch(`${chat.url}/socket.io/?EIO=4&transport=polling`);
  assert.equal(res.status, 400);
  assert.equal(res.headers.get("content-type")?.split(";")[0], "application/json");
  assert.equal(typeof (await res.json()).code, "number");
  const v3 = await fetch(`${chat.url}/socket.io/?EIO=3&transport=websocket`);
  assert.equal(v3.status, 400);
  assert.deepEqual(await v3.json(), { code: 5, message: "Unsupported protocol version" });
});

test("a cross-origin upgrade is refused with 403", async () => {
  const wsURL = chat.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket";
  const status = await new Promise((resolve, reject) => {
    const ws = new WebSocket(wsURL, { headers: { Origin: "http://evil.example" } });
    ws.on("unexpected-response", (_req, res) => { resolve(res.statusCode); ws.terminate(); });
    ws.on("open", () => { ws.close(); reject(new Error("cross-origin upgrade was accepted")); });
    ws.on("error", () => {});
  });
  assert.equal(status, 403);
});
