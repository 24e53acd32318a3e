// Two examples/chat processes on two ports joined through a broker
// (EVENTWIRE_ADAPTER=redis, then nats; a private one each time) act as one
// chat: a line sent by a client of either reaches every other client of
// both exactly once, and a client whose connection drops recovers its
// session on the other process.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { io } from "socket.io-client";
import { startExample, startBroker, startProxy, nextEvent, requireServices } from "./harness.mjs";

const urlKeys = { redis: "EVENTWIRE_REDIS_URL", nats: "EVENTWIRE_NATS_URL" };

const running = [];
const sockets = [];
after(async () => {
  for (const s of sockets) s.close();
  await Promise.all(running.map((p) => p.stop()));
});

// cluster starts a private broker and two chat processes on it, or
// resolves null (after skipping t) when the broker's binary is missing.
async function cluster(t, adapter) {
  const broker = await startBroker(adapter);
  if (!broker) {
    if (requireServices) assert.fail(`${adapter}'s server binary is required (EVENTWIRE_REQUIRE_SERVICES=1)`);
    t.skip(`${adapter}'s server binary is not installed`);
    return null;
  }
  running.push(broker);
  const env = { EVENTWIRE_ADAPTER: adapter, [urlKeys[adapter]]: broker.url,
    EVENTWIRE_ADAPTER_PREFIX: "e2e-" + randomBytes(6).toString("hex") };
  const one = await startExample("chat", env);
  const two = await startExample("chat", env);
  running.push(one, two);
  return [one, two];
}

// join connects a socket.io-client to a chat process and records every
// line it receives (with its recovery offset).
async function join(chat, opts = {}) {
  const s = io(chat.url, { transports: ["websocket"], reconnection: false, forceNew: true, ...opts });
  sockets.push(s);
  const lines = [];
  s.on("server_back_message", (m) => lines.push(m.messageText));
  await nextEvent(s, "link");
  return { s, lines };
}

// waitFor polls until client has received text (no timing is asserted).
async function waitFor(client, text, ms = 10000) {
  const deadline = Date.now() + ms;
  while (!client.lines.includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in ${ms}ms; got ${JSON.stringify(client.lines)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const count = (client, text) => client.lines.filter((l) => l === text).length;

for (const adapter of Object.keys(urlKeys)) {
  test(`two chat processes over ${adapter} act as one chat`, async (t) => {
    const nodes = await cluster(t, adapter);
    if (!nodes) return;
    const [one, two] = nodes;
    const a = await join(one), b = await join(one), c = await join(two), d = await join(two);

    // Each process publishes in its order and the broker keeps it, so a
    // line sent after a client saw another line reaches every process
    // after that line (and after that process's own copy came back from
    // the broker, which it must drop). Each round waits for the last.
    const say = async (x, text) => assert.deepEqual(await x.s.emitWithAck("browser_to_message", { messageText: text }), { data: null });
    await say(a, "from a");
    for (const x of [b, c, d]) await waitFor(x, "from a");
    await say(c, "from c");
    for (const x of [a, b, d]) await waitFor(x, "from c");
    await say(a, "a again");
    for (const x of [b, c, d]) await waitFor(x, "a again");
    await say(c, "c again");
    for (const x of [a, b, d]) await waitFor(x, "c again");

    for (const [name, x] of Object.entries({ b, c, d })) assert.equal(count(x, "from a"), 1, `${name} got "from a"`);
    for (const [name, x] of Object.entries({ a, b, d })) assert.equal(count(x, "from c"), 1, `${name} got "from c"`);
    assert.equal(count(a, "from a") + count(a, "a again"), 0, "a got its own lines");
    assert.equal(count(c, "from c"), 0, "c got its own line");
  });
}

for (const adapter of Object.keys(urlKeys)) {
  test(`a session recovers on the other chat process over ${adapter}`, async (t) => {
    const nodes = await cluster(t, adapter);
    if (!nodes) return;
    const [one, two] = nodes;
    // a reaches the chat through a proxy, a load balancer that sends its
    // next connection to the other process.
    const lb = await startProxy(one.url);
    running.push({ stop: () => lb.close() });
    const a = await join(lb, { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100 });
    const b = await join(two);
    const say = async (text) => assert.deepEqual(await b.s.emitWithAck("browser_to_message", { messageText: text }), { data: null });
    await say("before");
    await waitFor(a, "before");
    assert.equal(a.s.recovered, false);

    lb.cut();
    lb.retarget(two.url);
    await nextEvent(a.s, "disconnect");
    for (const text of ["away 1", "away 2", "away 3"]) await say(text);
    const back = nextEvent(a.s, "connect", 10000);
    lb.restore();
    await back;
    assert.equal(a.s.recovered, true, "socket.recovered after reconnecting to the other process");
    await say("after");
    await waitFor(a, "after");
    assert.deepEqual(a.lines, ["before", "away 1", "away 2", "away 3", "after"], "every line once, in order");
  });
}
