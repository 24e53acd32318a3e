// Connection state recovery with the official socket.io-client 4.x, which
// needs no change: the example chat runs with EVENTWIRE_RECOVERY=true, one
// client streams chat lines, and the other's transport is dropped under it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import WebSocket from "ws";
import { connect } from "../examples/chat/chatevents/chatevents.js";
import { startChat, nextEvent, nextCall } from "./harness.mjs";

const env = { EVENTWIRE_RECOVERY: "true", EVENTWIRE_RATE_LIMIT: "0" };
let chat;
const sockets = [];

before(async () => { chat = await startChat(env); });
after(async () => {
  for (const s of sockets) s.close();
  await chat.stop();
});

// open connects a socket.io-client that reconnects by itself, fast.
async function open(url, options = {}) {
  const s = io(url, { transports: ["websocket"], forceNew: true, reconnectionDelay: 50, randomizationFactor: 0, ...options });
  sockets.push(s);
  await nextEvent(s, "connect");
  return s;
}

// lines records the chat lines a socket gets, in order.
function lines(s) {
  const got = [];
  s.on("server_back_message", (m) => got.push(m.messageText));
  return got;
}

// stream sends n lines from s, awaiting each ack, and calls during(i)
// before line i.
async function stream(s, n, during = () => {}) {
  for (let i = 0; i < n; i++) {
    await during(i);
    await s.emitWithAck("browser_to_message", { messageText: `line ${i}` });
  }
}

async function until(cond, what, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const expected = (n) => Array.from({ length: n }, (_, i) => `line ${i}`);

test("a transport dropped during a stream recovers: recovered is true, every missed line once, in order", async () => {
  const sender = await open(chat.url);
  const receiver = await open(chat.url);
  const got = lines(receiver);
  const sid = receiver.id;
  let reconnected = null;
  await stream(sender, 300, async (i) => {
    if (i === 100) {
      const back = nextEvent(receiver, "connect", 10000);
      receiver.io.engine.close(); // the transport drops; socket.io-client reconnects
      reconnected = back;
    }
  });
  await reconnected;
  assert.equal(receiver.recovered, true);
  assert.equal(receiver.id, sid);
  await until(() => got.length >= 300, "300 lines");
  await new Promise((r) => setTimeout(r, 100)); // a duplicate would arrive by now
  assert.deepEqual(got, expected(300));
});

test("ten drops at random moments during a stream of 600 lines: none lost, none duplicated", async () => {
  const seed = Number(process.env.EVENTWIRE_SEED ?? Date.now() % 100000);
  console.log(`# seed ${seed} (EVENTWIRE_SEED=${seed} repeats this run)`);
  let x = seed;
  const random = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const drops = new Set();
  while (drops.size < 10) drops.add(10 + Math.floor(random() * 580));
  const sender = await open(chat.url);
  const receiver = await open(chat.url);
  const got = lines(receiver);
  let reconnects = 0, recoveries = 0;
  receiver.on("connect", () => { reconnects++; if (receiver.recovered) recoveries++; });
  let back = Promise.resolve();
  await stream(sender, 600, async (i) => {
    if (drops.has(i)) {
      await back; // a drop while it is still away would be no drop
      back = nextEvent(receiver, "connect", 10000);
      receiver.io.engine.close();
      if (random() < 0.5) await back; // otherwise the stream goes on while it is away
    }
  });
  await back;
  await until(() => got.length >= 600, "600 lines");
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(reconnects, 10);
  assert.equal(recoveries, 10, "every reconnect recovered");
  assert.deepEqual(got, expected(600));
});

test("after the client's own disconnect: recovered is false and nothing is replayed", async () => {
  const sender = await open(chat.url);
  const receiver = await open(chat.url);
  const got = lines(receiver);
  await stream(sender, 3);
  await until(() => got.length === 3, "3 lines");
  receiver.disconnect();
  await stream(sender, 3);
  receiver.connect();
  await nextEvent(receiver, "connect");
  assert.equal(receiver.recovered, false);
  await stream(sender, 1);
  await until(() => got.length === 4, "the live line");
  assert.deepEqual(got, ["line 0", "line 1", "line 2", "line 0"]);
});

test("past the window: recovered is false and nothing is replayed", async () => {
  const short = await startChat({ ...env, EVENTWIRE_RECOVERY_MAX_DISCONNECTION: "300ms" });
  try {
    const sender = await open(short.url);
    const receiver = await open(short.url, { reconnectionDelay: 1000, reconnectionDelayMax: 1000 });
    const got = lines(receiver);
    await stream(sender, 2);
    await until(() => got.length === 2, "2 lines");
    const back = nextEvent(receiver, "connect", 10000);
    receiver.io.engine.close(); // back after a second: past the 300 ms window
    await stream(sender, 2);
    await back;
    assert.equal(receiver.recovered, false);
    await stream(sender, 1);
    await until(() => got.length === 3, "the live line");
    assert.deepEqual(got, ["line 0", "line 1", "line 0"]);
  } finally {
    await short.stop();
  }
});

// TrackedWebSocket is the generated client's WebSocket, kept so that a test
// can drop it.
class TrackedWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    TrackedWebSocket.last = this;
  }
}

test("the generated client recovers too: recovered in onConnect, every missed line once, no offset in its handlers", async () => {
  const sender = await open(chat.url);
  const c = connect(chat.url, { WebSocket: TrackedWebSocket, reconnectionDelay: 50, randomizationFactor: 0 });
  const recoveries = [];
  c.onConnect((recovered) => recoveries.push(recovered));
  await nextCall((fn) => c.onLink(fn), "link");
  const got = [], extra = [];
  c.onServerBackMessage((m, ...rest) => { got.push(m.messageText); extra.push(...rest); });
  const sid = c.id;
  let back = Promise.resolve();
  await stream(sender, 300, async (i) => {
    if (i === 100 || i === 200) {
      await back;
      back = nextCall((fn) => c.onConnect(fn), "connect", 10000);
      TrackedWebSocket.last.terminate(); // no close frame: the network is gone
    }
  });
  await back;
  await until(() => got.length >= 300 && c.connected, "300 lines");
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(c.recovered, true);
  assert.equal(c.id, sid, "the same socket id");
  c.close();
  assert.deepEqual(recoveries, [false, true, true]);
  assert.deepEqual(got, expected(300));
  assert.deepEqual(extra, [], "a handler saw an offset");
});
