// The example chat in real Chromium pages, driven by playwright-core with
// Debian's chromium (a test tool's own browser download does not work here).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startChat, launchChromium, chromiumSkip as skip } from "./harness.mjs";

let chat, browser;

before(async () => {
  if (skip) return;
  chat = await startChat();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await chat?.stop();
});

// openChat opens the chat in a fresh browser context and waits for the welcome line.
async function openChat() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(chat.url + "/");
  await page.locator("#result p", { hasText: "Welcome to the eventwire chat!" }).waitFor();
  return { page, errors };
}

// send types a line into #myInput and clicks the send button, as a user does.
async function send(page, text) {
  await page.fill("#myInput", text);
  await page.click("#send");
}

test("two browsers chat; each line shows once on each side", { skip }, async () => {
  const a = await openChat(), b = await openChat();
  await send(a.page, "hello from a");
  await b.page.locator("#result p", { hasText: "hello from a" }).waitFor();
  await a.page.locator("#result p.mine", { hasText: "hello from a" }).waitFor();
  await send(b.page, "hi a, this is b");
  await a.page.locator("#result p", { hasText: "hi a, this is b" }).waitFor();
  assert.equal(await a.page.locator("#result p", { hasText: "hello from a" }).count(), 1);
  assert.equal(await b.page.locator("#result p", { hasText: "hi a, this is b" }).count(), 1);
  assert.deepEqual([...a.errors, ...b.errors], []);
});

test("HTML a user types is shown as text on both pages", { skip }, async () => {
  const a = await openChat(), b = await openChat();
  const evil = `<img src=x onerror="window.pwned=1"><b>bold</b>`;
  await send(a.page, evil);
  const line = b.page.locator("#result p", { hasText: "<img src=x" });
  await line.waitFor();
  assert.equal(await line.textContent(), evil);
  for (const { page } of [a, b]) {
    assert.equal(await page.locator("#result img, #result b").count(), 0);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
  }
});

test("an invalid line shows a message and is not sent", { skip }, async () => {
  const a = await openChat(), b = await openChat();
  await send(a.page, "");
  await a.page.locator("#result p.error", { hasText: "messageText must be at least 1 characters" }).waitFor();
  await send(a.page, "after the empty one");
  await b.page.locator("#result p", { hasText: "after the empty one" }).waitFor();
  // b got exactly the welcome and the valid line: the empty one never left page a.
  assert.equal(await b.page.locator("#result p").count(), 2);
});
