// The teamchat page in real Chromium pages: connect with a name, join a room,
// talk, and see a refused name with its code.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startExample, launchChromium, chromiumSkip as skip } from "./harness.mjs";

let team, browser;

before(async () => {
  if (skip) return;
  team = await startExample("teamchat");
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await team?.stop();
});

// login opens the page in a fresh context and connects with name.
async function login(name) {
  const page = await (await browser.newContext()).newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(team.url + "/");
  await page.fill("#name", name);
  await page.click("#connect");
  return { page, errors };
}

async function join(page, room) {
  await page.fill("#room", room);
  await page.click("#join");
  await page.locator("#rooms button.current", { hasText: "#" + room }).waitFor();
}

test("two users join a room and talk", { skip }, async () => {
  const ann = await login("ann");
  await ann.page.locator("#status", { hasText: "connected as ann" }).waitFor();
  const bob = await login("bob");
  await bob.page.locator("#status", { hasText: "connected as bob" }).waitFor();
  await join(ann.page, "ops");
  await join(bob.page, "ops");
  await ann.page.locator("#log p", { hasText: "bob joined" }).waitFor();
  assert.equal(await bob.page.locator("#members").textContent(), "members: ann, bob");
  await bob.page.fill("#text", "<i>hello</i> ann");
  await bob.page.click("#say");
  const line = ann.page.locator("#log p", { hasText: "bob: <i>hello</i> ann" });
  await line.waitFor();
  assert.equal(await ann.page.locator("#log i").count(), 0, "user text is shown as text");
  await bob.page.locator("#log p.mine", { hasText: "me: <i>hello</i> ann" }).waitFor();
  assert.deepEqual([...ann.errors, ...bob.errors], []);
});

test("an empty name is refused with its code", { skip }, async () => {
  const { page } = await login("");
  await page.locator("#status.error", { hasText: "invalid_payload" }).waitFor();
  assert.match(await page.locator("#status").textContent(), /name/);
});

test("an invalid room name is refused on the page, before sending", { skip }, async () => {
  const { page } = await login("cid");
  await page.locator("#status", { hasText: "connected as cid" }).waitFor();
  await page.fill("#room", "Not A Room");
  await page.click("#join");
  await page.locator("#log p.error", { hasText: "cannot join" }).waitFor();
  assert.equal(await page.locator("#rooms button").count(), 0);
});

test("a shared file reaches the other page as binary, shown inline only when it is a plain image", { skip }, async () => {
  const ann = await login("ann2");
  await ann.page.locator("#status", { hasText: "connected as ann2" }).waitFor();
  const bob = await login("bob2");
  await bob.page.locator("#status", { hasText: "connected as bob2" }).waitFor();
  await join(ann.page, "files");
  await join(bob.page, "files");
  // A 1x1 PNG, and an HTML file that must not be opened as HTML.
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
  await bob.page.setInputFiles("#file", { name: "dot.png", mimeType: "image/png", buffer: png });
  await bob.page.click("#share");
  const link = ann.page.locator("#log a", { hasText: `dot.png (${png.length} bytes)` });
  await link.waitFor();
  assert.equal(await link.locator("img").evaluate((img) => img.complete && img.naturalWidth), 1, "the PNG decodes: its bytes arrived intact");
  await bob.page.setInputFiles("#file", { name: "x.html", mimeType: "text/html", buffer: Buffer.from("<script>alert(1)</script>") });
  await bob.page.click("#share");
  const html = ann.page.locator("#log a", { hasText: "x.html (25 bytes)" });
  await html.waitFor();
  assert.equal(await html.locator("img").count(), 0);
  const type = await html.evaluate(async (a) => (await fetch(a.href)).headers.get("content-type"));
  assert.equal(type, "application/octet-stream");
  assert.deepEqual([...ann.errors, ...bob.errors], []);
});

test("the server restarts: the page shows it reconnecting, connects again and rejoins its room", { skip }, async () => {
  const ann = await login("ann3");
  await ann.page.locator("#status", { hasText: "connected as ann3" }).waitFor();
  const bob = await login("bob3");
  await bob.page.locator("#status", { hasText: "connected as bob3" }).waitFor();
  await join(ann.page, "after");
  await join(bob.page, "after");
  // Every status line the page shows, however briefly.
  await ann.page.evaluate(() => {
    const status = document.getElementById("status");
    window.statuses = [];
    new MutationObserver((records) => {
      for (const r of records) window.statuses.push(...[...r.addedNodes].map((n) => n.textContent));
    }).observe(status, { childList: true });
  });
  team = await team.restart();
  await ann.page.waitForFunction(() => window.statuses.at(-1) === "connected as ann3", undefined, { timeout: 15000 });
  const statuses = await ann.page.evaluate(() => window.statuses);
  assert.match(statuses[0], /^disconnected: transport (close|error)$/, statuses.join(" | "));
  assert.match(statuses[1], /^reconnecting… \(attempt 1\)$/, statuses.join(" | "));
  // The restarted server knows no rooms: each page joins its own again.
  for (const { page } of [ann, bob]) {
    await page.locator("#members", { hasText: /ann3/ }).waitFor();
    await page.locator("#members", { hasText: /bob3/ }).waitFor();
  }
  await bob.page.fill("#text", "back again");
  await bob.page.click("#say");
  await ann.page.locator("#log p", { hasText: "bob3: back again" }).waitFor();
  assert.deepEqual([...ann.errors, ...bob.errors], []);
});
