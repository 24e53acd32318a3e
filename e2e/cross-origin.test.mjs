// Cross-site WebSocket hijacking in a real browser: a page served from a
// second origin (127.0.0.1 on another port) must not open a WebSocket to the
// chat nor import its client module, unless the chat allows that origin
// (EVENTWIRE_ALLOWED_ORIGINS). The chat's own page is the control.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startChat, launchChromium, chromiumSkip as skip } from "./harness.mjs";

// probes is a classic script put in a page: probeSocket reports what a
// WebSocket saw (its first frame, or how it failed); probeImport whether a
// module import succeeded. Bounded: a socket that never settles reports
// after 5 s as it stands.
const probes = `
window.probeSocket = (url) => new Promise((resolve) => {
  const seen = { opened: false, firstFrame: null, errored: false, closeCode: null };
  const ws = new WebSocket(url);
  const timer = setTimeout(() => resolve(seen), 5000);
  ws.onopen = () => { seen.opened = true; };
  ws.onmessage = (e) => { seen.firstFrame ??= String(e.data); ws.close(); };
  ws.onerror = () => { seen.errored = true; };
  ws.onclose = (e) => { seen.closeCode = e.code; clearTimeout(timer); resolve(seen); };
});
window.probeImport = (url) => import(url).then(
  (m) => ({ ok: true, exports: Object.keys(m) }),
  (e) => ({ ok: false, error: String(e) }));
`;

let elsewhere, elsewhereOrigin, chat, allowingChat, browser;

before(async () => {
  if (skip) return;
  elsewhere = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><meta charset="utf-8"><title>another site</title><script>${probes}</script>`);
  });
  await new Promise((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
  elsewhereOrigin = `http://127.0.0.1:${elsewhere.address().port}`;
  chat = await startChat();
  allowingChat = await startChat({ EVENTWIRE_ALLOWED_ORIGINS: elsewhereOrigin });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await chat?.stop();
  await allowingChat?.stop();
  await new Promise((resolve) => (elsewhere ? elsewhere.close(resolve) : resolve()));
});

const socketURL = (server) => `ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`;
const moduleURL = (server) => `${server.url}/socket.io/chatevents.js`;

// probe opens url in a fresh context (no shared cache) and runs both probes
// against server from that page.
async function probe(url, server, { welcome = false } = {}) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    if (welcome) await page.locator("#result p", { hasText: "Welcome to the eventwire chat!" }).waitFor();
    await page.addScriptTag({ content: probes });
    const socket = await page.evaluate((u) => window.probeSocket(u), socketURL(server));
    const imported = await page.evaluate((u) => window.probeImport(u), moduleURL(server));
    return { socket, imported };
  } finally {
    await context.close();
  }
}

// handshake sends a WebSocket upgrade with origin from Node and resolves with
// the HTTP status (101 when accepted), to show the refusal is the server's.
function handshake(server, origin) {
  return new Promise((resolve, reject) => {
    const req = http.get(socketURL(server).replace("ws:", "http:"), {
      headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", Origin: origin },
    });
    req.on("upgrade", (res, socket) => { socket.destroy(); resolve(res.statusCode); });
    req.on("response", (res) => { res.resume(); resolve(res.statusCode); });
    req.on("error", reject);
  });
}

test("same origin: the chat's own page connects, opens a socket and imports the client", { skip }, async () => {
  const { socket, imported } = await probe(chat.url + "/", chat, { welcome: true });
  assert.equal(socket.opened, true);
  assert.match(socket.firstFrame, /^0\{"sid":/);
  assert.equal(imported.ok, true, imported.error);
  assert.ok(imported.exports.includes("connect"));
});

test("another origin: no socket and no client module by default", { skip }, async () => {
  const { socket, imported } = await probe(elsewhereOrigin + "/", chat);
  assert.deepEqual(socket, { opened: false, firstFrame: null, errored: true, closeCode: 1006 });
  assert.equal(imported.ok, false);
  // The server refused: 403 to the upgrade, and the module without CORS.
  assert.equal(await handshake(chat, elsewhereOrigin), 403);
  const res = await fetch(moduleURL(chat), { headers: { Origin: elsewhereOrigin } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), null);
});

test("an allowed origin (EVENTWIRE_ALLOWED_ORIGINS) opens a socket and imports the client", { skip }, async () => {
  const { socket, imported } = await probe(elsewhereOrigin + "/", allowingChat);
  assert.equal(socket.opened, true);
  assert.match(socket.firstFrame, /^0\{"sid":/);
  assert.equal(imported.ok, true, imported.error);
  assert.ok(imported.exports.includes("connect"));
  assert.equal(await handshake(allowingChat, elsewhereOrigin), 101);
});
