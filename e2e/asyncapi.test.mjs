// The AsyncAPI export (gen -asyncapi) read by the official parser,
// @asyncapi/parser (pinned in package.json): for the examples' specs and
// for richevents, the spec that uses every feature, the document must
// parse with no error or warning diagnostic, and its model must hold what
// events.yaml says: a channel per namespace, operations by direction, acks
// as replies, the CONNECT auth, enums, docs and the WebSocket binding.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot, requireServices } from "./harness.mjs";

const require = createRequire(import.meta.url);
const installed = (() => {
  try {
    require.resolve("@asyncapi/parser");
    return true;
  } catch {
    return false;
  }
})();
const skip = !installed && !requireServices ? "@asyncapi/parser is missing (cd e2e && npm ci)" : false;

// Each spec with what its document must hold: per channel (namespace
// address) the operations (send/receive per direction, "+ack" when the
// event has one) and whether the namespace has a CONNECT auth. The lists
// are written from the events.yaml files, not from generated output.
const specs = [
  {
    name: "chat",
    spec: "events.yaml",
    channels: {
      "/": { auth: false, ops: { sendLink: "send", receiveBrowserToMessage: "receive", sendServerBackMessage: "send" } },
    },
  },
  {
    name: "routers",
    spec: "examples/routers/events.yaml",
    channels: { "/": { auth: false, ops: { receiveHello: "receive+ack" } } },
  },
  {
    name: "teamchat",
    spec: "examples/teamchat/events.yaml",
    channels: {
      "/": {
        auth: true,
        ops: {
          receiveJoin: "receive+ack",
          receiveLeave: "receive+ack",
          receiveSay: "receive+ack",
          sendMemberJoined: "send",
          sendMemberLeft: "send",
          sendSaid: "send",
          receiveShare: "receive+ack",
          sendShared: "send",
          receiveStatus: "receive+ack",
          sendStatusChanged: "send",
          receivePresence: "receive+ack",
          sendPresenceChanged: "send",
          receiveTyping: "receive",
          sendTypingStatus: "send",
          sendAnnouncement: "send",
        },
      },
      "/admin": {
        auth: true,
        ops: { receiveAdminAnnounce: "receive", receiveAdminKick: "receive+ack", sendAdminKicked: "send" },
      },
    },
  },
  {
    name: "richevents",
    spec: "internal/codegen/testdata/richevents/events.yaml",
    json: true,
    channels: {
      "/": {
        auth: true,
        ops: {
          receivePostCreate: "receive",
          sendChat: "send",
          receiveChat: "receive",
          receiveContact: "receive",
          sendPresence: "send",
          sendMembers: "send",
          receiveScores: "receive",
          receiveInvite: "receive",
          receiveRename: "receive",
          sendRate: "send",
          receiveRate: "receive",
          receivePing: "receive",
          sendTick: "send",
          receiveJoin: "receive+ack",
          receiveWhoami: "receive+ack",
          receiveSum: "receive+ack",
          sendConfirm: "send+ack",
          sendPoll: "send+ack",
          sendEcho: "send+ack",
          receiveEcho: "receive+ack",
          sendMove: "send",
          receiveMove: "receive",
          receiveDraw: "receive+ack",
          sendSurvey: "send+ack",
          receiveUpload: "receive",
          sendDownload: "send+ack",
          sendMirror: "send+ack",
          receiveMirror: "receive+ack",
          sendStatus: "send+ack",
          receiveStatus: "receive+ack",
          receiveStamp: "receive+ack",
          sendNote: "send",
          sendRelay: "send",
          receiveRelay: "receive",
          sendAnnotate: "send",
          receiveAnnotate: "receive",
          receiveRoster: "receive+ack",
        },
      },
    },
  },
  {
    name: "nsevents",
    spec: "internal/codegen/testdata/nsevents/events.yaml",
  },
];

let workDir;
let gen;

/** generate runs the gen command on a spec and returns the document's text. */
function generate(spec, file) {
  const out = path.join(workDir, path.basename(file, path.extname(file)) + "pkg");
  const doc = path.join(workDir, file);
  execFileSync(gen, ["-spec", path.join(repoRoot, spec), "-out", out, "-asyncapi", doc, "-asyncapi-host", "chat.example.com:443"]);
  return readFileSync(doc, "utf8");
}

/** parse parses a document and fails on any error or warning diagnostic. */
async function parse(text) {
  const { Parser } = await import("@asyncapi/parser");
  const { document, diagnostics } = await new Parser().parse(text);
  const serious = diagnostics.filter((d) => d.severity <= 1); // 0 error, 1 warning
  assert.deepEqual(serious.map((d) => `${d.code} at ${d.path.join(".")}: ${d.message}`), []);
  assert.ok(document, "the parser returned no document");
  return document;
}

test("AsyncAPI export", { skip }, async (t) => {
  workDir = mkdtempSync(path.join(tmpdir(), "eventwire-asyncapi-"));
  t.after(() => rmSync(workDir, { recursive: true, force: true }));
  gen = path.join(workDir, "gen");
  execFileSync("go", ["build", "-o", gen, "./gen"], { cwd: repoRoot, stdio: "inherit" });

  for (const s of specs) {
    await t.test(`${s.name}: valid, channels and operations by direction`, async () => {
      const doc = await parse(generate(s.spec, s.name + ".yaml"));
      assert.equal(doc.version(), "3.0.0");
      assert.equal(doc.info().title(), s.name + "pkg");
      const server = doc.servers().get("socketio");
      assert.equal(server.host(), "chat.example.com:443");
      assert.equal(server.protocol(), "ws");
      assert.equal(server.pathname(), "/socket.io/");
      for (const ch of doc.channels()) {
        const ws = ch.bindings().get("ws");
        assert.ok(ws, `channel ${ch.address()} has no ws binding`);
        assert.equal(ws.value().method, "GET");
        assert.equal(ws.value().query.properties.EIO.const, "4");
        assert.equal(ws.value().query.properties.transport.const, "websocket");
      }
      if (!s.channels) return;
      assert.deepEqual(doc.channels().all().map((c) => c.address()).sort(), Object.keys(s.channels).sort());
      const want = {};
      for (const [address, ch] of Object.entries(s.channels)) {
        for (const [id, kind] of Object.entries(ch.ops)) want[id] = `${address} ${kind}`;
        const prefix = address === "/" ? "" : address[1].toUpperCase() + address.slice(2);
        if (ch.auth) want["connect" + prefix] = `${address} receive`;
        want["eventwireError" + prefix] = `${address} send`; // every namespace's eventwire:error
      }
      const got = {};
      for (const op of doc.operations()) {
        const address = op.channels().all().map((c) => c.address()).join(",");
        got[op.id()] = `${address} ${op.action()}${op.reply() ? "+ack" : ""}`;
        // Each operation's one message is its event's (sendJoin and receiveJoin: Join,
        // receiveAdminKick: Kick in /admin), and its reply that event's ack.
        const prefix = address === "/" ? "" : address[1].toUpperCase() + address.slice(2);
        const own = ["connect", "eventwireError"].find((id) => op.id() === id + prefix);
        const event = own ?? op.id().replace(/^(send|receive)/, "").slice(prefix.length);
        assert.deepEqual(op.messages().all().map((m) => m.id()), [event], op.id());
        if (op.reply()) {
          assert.deepEqual(op.reply().messages().all().map((m) => m.id()), [event + "Ack"], op.id());
          assert.deepEqual(op.reply().channel().address(), address);
        }
      }
      assert.deepEqual(got, want);
      // Every ack is the envelope {"data": reply} or {"error": eventwire.Error}.
      for (const op of doc.operations()) {
        if (!op.reply()) continue;
        const [data, failed] = op.reply().messages().all()[0].payload().oneOf();
        assert.deepEqual([data.required(), failed.required()], [["data"], ["error"]], op.id());
        assert.equal(failed.properties().error.title(), "Error", op.id());
      }
      if (s.json) {
        // The JSON form is the same document.
        const fromJSON = await parse(generate(s.spec, s.name + ".json"));
        assert.deepEqual(fromJSON.json(), doc.json());
      }
    });
  }

  await t.test("richevents: auth, enums, docs, args, bytes, date-time, any, maps and named types through the model", async () => {
    const doc = await parse(generate("internal/codegen/testdata/richevents/events.yaml", "rich.yaml"));
    const root = doc.channels().get("root");
    const msg = (id) => root.messages().get(id);

    // The CONNECT auth payload, its docs and its required token.
    const auth = msg("connect");
    assert.match(auth.description(), /^What a client sends in the CONNECT packet\./);
    assert.match(auth.description(), /40\{\.\.\.\}/);
    assert.deepEqual(auth.payload().required(), ["token"]);
    assert.equal(auth.payload().properties().token.minLength(), 8);
    assert.equal(auth.payload().properties().token.description(), "The session token.");
    assert.equal(auth.payload().additionalProperties(), false);
    assert.equal(auth.payload().properties().device.properties().id.format(), "uuid");

    // Docs and enums of post.create.
    const post = msg("PostCreate");
    assert.equal(post.name(), "post.create");
    assert.equal(post.summary(), "A user publishes a post.");
    const props = post.payload().properties();
    assert.deepEqual(props.kind.enum(), ["text", "link", "image"]);
    assert.deepEqual(props.priority.enum(), [1, 2, 3]);
    assert.equal(props.priority.type(), "integer");
    assert.equal(props.location.description(), "Where it was written.");
    assert.equal(props.rating.minimum(), 0.5);
    assert.equal(props.attachments.maxItems(), 3);
    // A named type is resolved through components.schemas.
    assert.equal(props.author.properties().name.allOf()[0].pattern(), "^[a-z][a-z0-9_]*$");
    assert.ok(doc.components().schemas().get("Username"));
    assert.equal(doc.components().schemas().get("Profile").description(), "Who someone is.\n\nShared by post.create and presence.");

    // Patterns in their JavaScript form, formats by their JSON Schema names.
    const contact = msg("Contact").payload().properties();
    assert.equal(contact.greek.pattern(), "^\\p{Script=Greek}+$");
    assert.equal(contact.site.format(), "uri");

    // Args are a tuple: required ones count in minItems.
    const draw = msg("Draw").payload();
    assert.equal(draw.type(), "array");
    assert.equal(draw.items().length, 4);
    assert.equal(draw.minItems(), 2);
    assert.equal(draw.maxItems(), 4);

    // Acks are replies with their own schema.
    const echo = doc.operations().get("receiveEcho");
    const replyOf = (id) => doc.operations().get(id).reply().messages().all()[0].payload().oneOf()[0].properties().data;
    assert.equal(replyOf("receiveEcho").minLength(), 1);
    const download = replyOf("sendDownload");
    assert.equal(download.properties().head.contentEncoding(), "binary");
    assert.match(download.properties().head.description(), /binary attachment/);

    // date-time is JSON Schema's format; any is a schema without constraint.
    const status = msg("Status").payload().properties();
    assert.equal(status.until.type(), "string");
    assert.equal(status.until.format(), "date-time");
    assert.equal(status.log.items().format(), "date-time");
    assert.equal(doc.components().schemas().get("When").format(), "date-time");
    // An any value that may not be null (a required field, a payload, an ack
    // reply, a required argument) says so; array items and map values may be null.
    assert.equal(status.extra.type(), undefined);
    assert.equal(status.extra.not().type(), "null");
    assert.equal(status.meta.not(), undefined);
    assert.equal(status.bag.items().not(), undefined);
    assert.equal(msg("Relay").payload().not().type(), "null");
    assert.equal(replyOf("sendStatus").not().type(), "null");
    assert.equal(status.until.pattern(), "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$");
    assert.equal(status.extra.description(), "Required, so null is refused.");
    assert.deepEqual(msg("Status").payload().required(), ["since", "extra"]);
    assert.equal(status.bag.items().type(), undefined);
    assert.equal(doc.components().schemas().get("Meta").description(), "Free-form data, carried unchecked.");
    assert.equal(msg("Stamp").payload().format(), "date-time");
    assert.equal(msg("Relay").hasPayload(), true);
    assert.equal(msg("Relay").payload().type(), undefined);
    const note = msg("Note").payload();
    assert.equal(note.minItems(), 1);
    assert.equal(note.items()[1].type(), undefined);

    // A map is an object of arbitrary keys: values as additionalProperties,
    // keyPattern as propertyNames, its counts as min/maxProperties.
    const annotate = msg("Annotate").payload().properties();
    assert.equal(annotate.labels.type(), "object");
    assert.equal(annotate.labels.additionalProperties().maxLength(), 8);
    assert.equal(annotate.labels.minProperties(), 1);
    assert.equal(annotate.labels.maxProperties(), 4);
    assert.equal(annotate.owners.description(), "Who owns what, by item.");
    assert.deepEqual(annotate.owners.additionalProperties().required(), ["name"]);
    const row = annotate.matrix.additionalProperties();
    assert.equal(row.propertyNames().pattern(), "^c");
    assert.equal(row.additionalProperties().items().maximum(), 9);
    assert.deepEqual(annotate.levels.additionalProperties().enum(), ["low", "high"]);
    const statuses = doc.components().schemas().get("Statuses");
    assert.equal(statuses.propertyNames().pattern(), "^[a-z][a-z0-9_]*$");
    assert.equal(statuses.maxProperties(), 3);
    assert.deepEqual(statuses.additionalProperties().enum(), ["online", "away", "offline"]);
    const rosterAck = replyOf("receiveRoster");
    assert.equal(rosterAck.additionalProperties().type(), "array");

    // An optional argument is null when a later one is given.
    assert.deepEqual(note.items()[0].anyOf(), undefined);
    const drawItems = draw.items();
    assert.equal(drawItems[3].anyOf()[1].type(), "null");
    assert.deepEqual(drawItems[3].anyOf()[0].enum(), ["line", "box"]);

    // The error model: the eventwire:error event and the error object.
    const failed = msg("eventwireError");
    assert.equal(failed.name(), "eventwire:error");
    const error = doc.components().schemas().get("eventwire.Error");
    assert.deepEqual(Object.keys(error.properties()), ["code", "message", "details"]);
    assert.deepEqual(error.properties().details.items().required(), ["field", "rule", "message"]);
    assert.equal(failed.payload().allOf()[1].properties().event.type(), "string");

    // An event without data has no payload.
    assert.equal(msg("Tick").hasPayload(), false);
    // The framing is described for readers.
    assert.match(doc.info().description(), /42\["name",payload\]/);
  });

  await t.test("nsevents: each namespace its channel, connect and ops", async () => {
    const doc = await parse(generate("internal/codegen/testdata/nsevents/events.yaml", "ns.yaml"));
    assert.deepEqual(doc.channels().all().map((c) => [c.id(), c.address()]), [["root", "/"], ["Admin", "/admin"]]);
    const admin = doc.channels().get("Admin");
    assert.equal(admin.description(), "Moderators' namespace.");
    assert.match(admin.messages().get("connect").description(), /40\/admin,\{\.\.\.\}/);
    assert.ok(doc.operations().get("connectAdmin"));
    assert.deepEqual(doc.operations().get("connectAdmin").channels().all().map((c) => c.address()), ["/admin"]);
  });

  // CI's generate check keeps them equal to what gen writes.
  // Their server is where the example listens.
  for (const [shipped, host] of [["examples/chat/asyncapi.yaml", "127.0.0.1:5050"], ["examples/teamchat/asyncapi.yaml", "127.0.0.1:5060"]]) {
    await t.test(`the shipped ${shipped} is valid`, async () => {
      const file = path.join(repoRoot, shipped);
      assert.ok(existsSync(file), file + " is missing; run go generate ./examples/...");
      const doc = await parse(readFileSync(file, "utf8"));
      assert.equal(doc.servers().get("socketio").host(), host);
    });
  }
});
