// Shared helpers for the end-to-end tests: start the example chat as a real
// process on a free loopback port and wait for things without sleeping blindly.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

let builtBinary;

// chatBinary returns the example's binary: EVENTWIRE_CHAT_BIN when the test
// script built it already, otherwise it is built once here.
function chatBinary() {
  if (process.env.EVENTWIRE_CHAT_BIN) return process.env.EVENTWIRE_CHAT_BIN;
  if (!builtBinary) {
    builtBinary = path.join(mkdtempSync(path.join(tmpdir(), "eventwire-e2e-")), "chat");
    execFileSync("go", ["build", "-o", builtBinary, "./examples/chat"], { cwd: repoRoot, stdio: "inherit" });
  }
  return builtBinary;
}

// startChat runs the example chat on 127.0.0.1 with a kernel-chosen port and
// resolves once it listens. The returned stop() ends the process.
export async function startChat(env = {}) {
  const child = spawn(chatBinary(), ["-addr", "127.0.0.1:0"], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("chat did not start in 20s:\n" + log)), 20000);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      log += chunk;
      const m = /url=(http:\/\/127\.0\.0\.1:\d+)\//.exec(log);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`chat exited with ${code}:\n${log}`)); });
  });
  return {
    url,
    log: () => log,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    }),
  };
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
