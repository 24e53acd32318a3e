// The generated JavaScript client, driven by Node (with the ws package as its
// WebSocket), against the example chat.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { connect, EventwireError, validateBrowserToMessage } from "../examples/chat/chatevents/chatevents.js";
import { startChat, nextCall } from "./harness.mjs";

let chat;
const clients = [];

before(async () => { chat = await startChat(); });
after(async () => {
  for (const c of clients) c.close();
  await chat.stop();
});

// join connects a generated client and resolves with it and its welcome text.
async function join() {
  const c = connect(chat.url, { WebSocket });
  clients.push(c);
  const welcome = await nextCall((fn) => c.onLink(fn), "link");
  assert.equal(c.connected, true);
  return { c, welcome };
}

test("the generated client gets the welcome and chats with another", async () => {
  const a = await join(), b = await join();
  assert.equal(a.welcome, "Welcome to the eventwire chat!");
  const atB = nextCall((fn) => b.c.onServerBackMessage(fn), "server_back_message");
  const mine = [];
  const off = a.c.onServerBackMessage((m) => mine.push(m));
  await a.c.emitBrowserToMessage({ messageText: "ça va? 🚀" });
  assert.deepEqual(await atB, { messageText: "ça va? 🚀" });
  await a.c.emitBrowserToMessage({ messageText: "ack comes after any echo" });
  assert.deepEqual(mine, []);
  off();
});

test("an invalid payload is refused before sending, with the server's detail shape", async () => {
  const a = await join(), b = await join();
  const leaked = [];
  b.c.onServerBackMessage((m) => leaked.push(m));
  await assert.rejects(a.c.emitBrowserToMessage({ messageText: "" }), (err) => {
    assert.ok(err instanceof EventwireError);
    assert.equal(err.code, "invalid_payload");
    assert.deepEqual(err.details, [
      { field: "messageText", rule: "minLength", param: "1", message: "messageText must be at least 1 characters" },
    ]);
    return true;
  });
  assert.deepEqual(validateBrowserToMessage({ messageText: "x".repeat(501) }), [
    { field: "messageText", rule: "maxLength", param: "500", message: "messageText must be at most 500 characters" },
  ]);
  assert.deepEqual(validateBrowserToMessage({ messageText: "ok" }), []);
  // The server never saw the bad line: b's next message is the good one.
  const atB = nextCall((fn) => b.c.onServerBackMessage(fn));
  await a.c.emitBrowserToMessage({ messageText: "good" });
  assert.deepEqual(await atB, { messageText: "good" });
  assert.deepEqual(leaked, [{ messageText: "good" }]);
});

test("an unsubscribed handler is not called again", async () => {
  const a = await join(), b = await join();
  const seen = [];
  const off = b.c.onServerBackMessage((m) => seen.push(m.messageText));
  const first = nextCall((fn) => b.c.onServerBackMessage(fn));
  await a.c.emitBrowserToMessage({ messageText: "one" });
  await first;
  off();
  const next = nextCall((fn) => b.c.onServerBackMessage(fn));
  await a.c.emitBrowserToMessage({ messageText: "two" });
  await next;
  assert.deepEqual(seen, ["one"]);
});
