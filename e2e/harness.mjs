// Shared helpers for the end-to-end tests: start the example chat as a real
// process on a free loopback port and wait for things without sleeping blindly.
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import net from "node:net";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const built = new Map();

// exampleBinary returns the binary of examples/<name>: the one in
// EVENTWIRE_BIN_DIR when the test script built them already, otherwise it is
// built once here.
function exampleBinary(name) {
  if (process.env.EVENTWIRE_BIN_DIR) return path.join(process.env.EVENTWIRE_BIN_DIR, name);
  if (!built.has(name)) {
    const bin = path.join(mkdtempSync(path.join(tmpdir(), "eventwire-e2e-")), name);
    execFileSync("go", ["build", "-o", bin, "./examples/" + name], { cwd: repoRoot, stdio: "inherit" });
    built.set(name, bin);
  }
  return built.get(name);
}

// startExample runs examples/<name> on 127.0.0.1 with a kernel-chosen port
// (or port) and resolves once it listens. The returned stop() ends the
// process (SIGTERM); restart() stops it and starts it again on the same port.
export async function startExample(name, env = {}, port = 0) {
  const child = spawn(exampleBinary(name), ["-addr", `127.0.0.1:${port}`], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 20s:\n` + log)), 20000);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      log += chunk;
      const m = /url=(http:\/\/127\.0\.0\.1:\d+)\//.exec(log);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`${name} exited with ${code}:\n${log}`)); });
  });
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
  return {
    url,
    port: Number(new URL(url).port),
    log: () => log,
    stop,
    async restart() {
      await stop();
      return startExample(name, env, Number(new URL(url).port));
    },
  };
}

// startProxy forwards TCP connections from a new loopback port to target
// (an http://127.0.0.1:port URL), so a test can break the network between a
// page and the server: cut() resets every connection and refuses new ones
// until restore(); silence() keeps the current connections open but stops
// forwarding on them (a dead network path no one closes), while new ones
// pass. close() ends it all.
//
// retarget(url) sends the connections made from then on to another
// server (a load balancer choosing another node).
export async function startProxy(target) {
  let { hostname, port } = new URL(target);
  const pairs = new Set(); // forwarding
  const silenced = new Set();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) return client.resetAndDestroy();
    const upstream = net.connect(Number(port), hostname);
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => { pairs.delete(pair); client.destroy(); upstream.destroy(); };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    cut() {
      refusing = true;
      for (const { client, upstream } of pairs) { client.resetAndDestroy(); upstream.destroy(); }
      pairs.clear();
    },
    restore() { refusing = false; },
    retarget(url) { ({ hostname, port } = new URL(url)); },
    silence() {
      for (const { client, upstream } of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
        silenced.add({ client, upstream });
      }
      pairs.clear(); // the silenced pairs stay open until close()
    },
    close() {
      refusing = true;
      for (const { client, upstream } of [...pairs, ...silenced]) { client.destroy(); upstream.destroy(); }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// startChat runs the seed chat example.
export const startChat = (env) => startExample("chat", env);

// withoutOffset takes the recovery offset off the arguments socket.io-client
// hands a listener: with recovery on (the examples turn it on), the server
// appends its offset to every event without an ack id, and socket.io-client
// passes it on to listeners as socket.io servers have it do.
export function withoutOffset(args) {
  assert.match(String(args.at(-1)), /^[\w-]+\.\d+$/, "the last argument is the recovery offset");
  return args.slice(0, -1);
}

// nextEvent resolves with the arguments of the next `event` on an emitter
// that has on/off (socket.io-client), or rejects after ms.
export function nextEvent(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { emitter.off(event, on); reject(new Error(`no ${event} in ${ms}ms`)); }, ms);
    function on(...args) { clearTimeout(timer); emitter.off(event, on); resolve(args); }
    emitter.on(event, on);
  });
}

// nextCall resolves with the first value passed to a subscription made by
// subscribe(fn) (the generated client's on<Event>), then unsubscribes.
export function nextCall(subscribe, what = "event", ms = 5000) {
  return new Promise((resolve, reject) => {
    let off = () => {};
    const timer = setTimeout(() => { off(); reject(new Error(`no ${what} in ${ms}ms`)); }, ms);
    off = subscribe((value) => { clearTimeout(timer); off(); resolve(value); });
  });
}

// requireServices is true when a missing dependency must fail a test instead of skipping it.
export const requireServices = process.env.EVENTWIRE_REQUIRE_SERVICES === "1";

const chromiumPath = process.env.EVENTWIRE_CHROMIUM || "/usr/bin/chromium";

// chromiumSkip is the reason browser tests skip (Chromium missing and
// services not required), or false when they run.
export const chromiumSkip = !existsSync(chromiumPath) && !requireServices
  ? `${chromiumPath} is missing (apt-get install chromium, or set EVENTWIRE_CHROMIUM)`
  : false;

// launchChromium starts Debian's chromium through playwright-core with the
// flags this machine needs (no sandbox as root, no background networking).
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: chromiumPath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--no-first-run"],
  });
}

// freePort asks the kernel for a free loopback port.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

// brokerCommands run a private broker on a loopback port, its store (if
// any) in dir: never the machine's shared one, so nothing a test makes
// stays behind.
const brokerCommands = {
  redis: (port) => ["redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]],
  nats: (port, dir) => ["nats-server", ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir]],
};

// startBroker runs a private redis-server or nats-server (with JetStream)
// and resolves with its URL once it accepts connections, or with null when
// the binary is missing. stop() kills it.
export async function startBroker(kind) {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), `eventwire-e2e-${kind}-`));
  const [bin, args] = brokerCommands[kind](port, dir);
  const child = spawn(bin, args, { cwd: dir, stdio: "ignore" });
  const missing = await new Promise((resolve) => {
    child.once("error", () => resolve(true));
    child.once("spawn", () => resolve(false));
  });
  if (missing) return null;
  const deadline = Date.now() + 10000;
  for (;;) {
    const up = await new Promise((resolve) => {
      const c = net.connect(port, "127.0.0.1");
      c.once("connect", () => { c.destroy(); resolve(true); });
      c.once("error", () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) { child.kill("SIGKILL"); throw new Error(`${bin} does not listen on ${port}`); }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url: `${kind}://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    }),
  };
}
