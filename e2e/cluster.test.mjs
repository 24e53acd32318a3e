// Two examples/chat processes on two ports joined through a broker
// (EVENTWIRE_ADAPTER=redis, then nats) act as one chat: a line sent by a
// client of either reaches every other client of both exactly once.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { randomBytes } from "node:crypto";
import { io } from "socket.io-client";
import { startExample, nextEvent, requireServices } from "./harness.mjs";

const brokers = {
  redis: { url: process.env.EVENTWIRE_REDIS_URL || "redis://127.0.0.1:6379", urlKey: "EVENTWIRE_REDIS_URL" },
  nats: { url: process.env.EVENTWIRE_NATS_URL || "nats://127.0.0.1:4222", urlKey: "EVENTWIRE_NATS_URL" },
};

const running = [];
const sockets = [];
after(async () => {
  for (const s of sockets) s.close();
  await Promise.all(running.map((p) => p.stop()));
});

// reachable resolves whether the broker at url accepts TCP connections.
function reachable(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const c = net.connect(Number(port), hostname);
    c.setTimeout(2000);
    c.once("connect", () => { c.destroy(); resolve(true); });
    c.once("error", () => resolve(false));
    c.once("timeout", () => { c.destroy(); resolve(false); });
  });
}

// join connects a socket.io-client to a chat process and records every
// line it receives.
async function join(chat) {
  const s = io(chat.url, { transports: ["websocket"], reconnection: false, forceNew: true });
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

for (const [adapter, broker] of Object.entries(brokers)) {
  test(`two chat processes over ${adapter} act as one chat`, async (t) => {
    if (!(await reachable(broker.url))) {
      if (requireServices) assert.fail(`${adapter} at ${broker.url} is required (EVENTWIRE_REQUIRE_SERVICES=1)`);
      return t.skip(`${adapter} at ${broker.url} is unreachable`);
    }
    // A prefix of its own: other runs on the same broker stay apart.
    const env = { EVENTWIRE_ADAPTER: adapter, [broker.urlKey]: broker.url,
      EVENTWIRE_ADAPTER_PREFIX: "e2e-" + randomBytes(6).toString("hex") };
    const one = await startExample("chat", env);
    const two = await startExample("chat", env);
    running.push(one, two);
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
