// client.test.mjs checks the generated client of testdata/richevents against
// a fake WebSocket: the frames it sends, the auth payload, acks both ways,
// listeners, connect errors and teardown.
//
//   EVENTWIRE_CLIENT=/tmp/x/richevents.js node --test client.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { FakeWebSocket, OPEN, flush } from "./fake_websocket.mjs";

const client = await import(pathToFileURL(process.env.EVENTWIRE_CLIENT).href);
const { connect, EventwireError } = client;

// AUTH passes the auth schema of richevents; CONNECT is the packet carrying it.
const AUTH = { token: "secret-token" };
const CONNECT = '40{"token":"secret-token"}';

/** open connects with the fake and closes the client when the test ends. */
function open(t, options = {}) {
  const socket = connect("http://localhost:5050/ignored?x=1", { WebSocket: FakeWebSocket, auth: AUTH, ...options });
  t.after(() => socket.close());
  return { socket, ws: FakeWebSocket.last };
}

function handshake(ws, sid = "abc") {
  ws.receive(OPEN);
  ws.receive(`40{"sid":"${sid}"}`);
}

const chat = { from: "alice", text: "hi" };

test("builds the Engine.IO URL from the server's URL and options.path", (t) => {
  assert.equal(open(t).ws.url, "ws://localhost:5050/socket.io/?EIO=4&transport=websocket");
  assert.equal(open(t, { path: "/rt" }).ws.url, "ws://localhost:5050/rt/?EIO=4&transport=websocket");
  const s = connect("https://example.com", { WebSocket: FakeWebSocket, auth: AUTH });
  t.after(() => s.close());
  assert.equal(FakeWebSocket.last.url, "wss://example.com/socket.io/?EIO=4&transport=websocket");
  assert.throws(() => connect("ftp://example.com", { WebSocket: FakeWebSocket, auth: AUTH }), /unsupported URL scheme/);
});

test("sends 40 with the auth payload after the open packet, connects on 40{sid}", (t) => {
  const { socket, ws } = open(t);
  let connects = 0;
  socket.onConnect(() => connects++);
  assert.deepEqual(ws.sent, []);
  ws.receive(OPEN);
  assert.deepEqual(ws.sent, [CONNECT]);
  assert.equal(socket.connected, false);
  assert.equal(socket.id, "");
  ws.receive('40{"sid":"abc"}');
  assert.equal(socket.connected, true);
  assert.equal(socket.id, "abc");
  assert.equal(connects, 1);
});

test("answers ping 2 with pong 3", (t) => {
  const { ws } = open(t);
  handshake(ws);
  ws.receive("2");
  assert.equal(ws.sent.at(-1), "3");
});

test("queues emits until connected, then sends them with ack ids", async (t) => {
  const { socket, ws } = open(t);
  const first = socket.emitChat(chat);
  const second = socket.emitPing();
  ws.receive(OPEN);
  assert.deepEqual(ws.sent, [CONNECT]);
  ws.receive('40{"sid":"abc"}');
  assert.deepEqual(ws.sent, [CONNECT, '420["chat",{"from":"alice","text":"hi"}]', '421["ping"]']);
  ws.receive('430[{"data":null}]');
  ws.receive('431[{"data":null}]');
  assert.equal(await first, undefined);
  assert.equal(await second, undefined);
});

test("rejects an invalid payload with its details and sends nothing", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const sent = ws.sent.length;
  await assert.rejects(socket.emitChat({ from: "al", text: "" }), (err) => {
    assert.ok(err instanceof EventwireError);
    assert.equal(err.code, "invalid_payload");
    assert.equal(err.message, "invalid payload");
    assert.equal(err.event, "chat");
    assert.deepEqual(err.details, [
      { field: "from", rule: "minLength", param: "3", message: "from must be at least 3 characters" },
      { field: "text", rule: "minLength", param: "1", message: "text must be at least 1 characters" },
    ]);
    return true;
  });
  assert.equal(ws.sent.length, sent);
});

test("rejects with the error of a failed ack", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const p = socket.emitRename("admin");
  assert.equal(ws.sent.at(-1), '420["rename","admin"]');
  ws.receive('430[{"error":{"code":"taken","message":"the name is taken"}}]');
  await assert.rejects(p, (err) => {
    assert.ok(err instanceof EventwireError);
    assert.deepEqual([err.code, err.message, err.details, err.event], ["taken", "the name is taken", [], "rename"]);
    return true;
  });
});

test("rejects with code timeout when no ack comes", async (t) => {
  const { socket, ws } = open(t, { ackTimeout: 20 });
  handshake(ws);
  await assert.rejects(socket.emitScores([1]), { name: "EventwireError", code: "timeout", event: "scores" });
  ws.receive('430[{"data":null}]'); // late: ignored
});

test("calls listeners with the payload until unsubscribed", (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const got = [];
  const off = socket.onChat((m) => got.push(m));
  let ticks = 0;
  socket.onTick(() => ticks++);
  ws.receive('42["chat",{"from":"bob","text":"yo"}]');
  ws.receive('42["tick"]');
  off();
  ws.receive('42["chat",{"from":"bob","text":"again"}]');
  assert.deepEqual(got, [{ from: "bob", text: "yo" }]);
  assert.equal(ticks, 1);
});

test("reports eventwire:error to onError", (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const errors = [];
  socket.onError((err) => errors.push(err));
  const details = [{ field: "text", rule: "required", message: "text is required" }];
  ws.receive(`42["eventwire:error",${JSON.stringify({ event: "chat", code: "invalid_payload", message: "invalid payload", details })}]`);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof EventwireError);
  assert.deepEqual([errors[0].code, errors[0].event, errors[0].details], ["invalid_payload", "chat", details]);
});

test("close sends 41, closes the socket and rejects pending emits", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const reasons = [];
  socket.onDisconnect((r) => reasons.push(r));
  const pending = socket.emitChat(chat);
  socket.close();
  assert.equal(ws.sent.at(-1), "41");
  assert.equal(ws.closed, true);
  assert.equal(socket.connected, false);
  assert.deepEqual(reasons, ["io client disconnect"]);
  await assert.rejects(pending, { code: "disconnected" });
  await assert.rejects(socket.emitChat(chat), { code: "disconnected" });
});

test("reports the server's disconnect and a closed transport", (t) => {
  const a = open(t);
  handshake(a.ws);
  const reasons = [];
  a.socket.onDisconnect((r) => reasons.push(r));
  a.ws.receive("41");
  assert.equal(a.ws.closed, true);
  const b = open(t);
  handshake(b.ws);
  b.socket.onDisconnect((r) => reasons.push(r));
  b.ws.onclose({ code: 1006 });
  assert.deepEqual(reasons, ["io server disconnect", "transport close"]);
});

test("reports a refused connection (44) to onError", (t) => {
  const { socket, ws } = open(t);
  const errors = [];
  socket.onError((err) => errors.push(err));
  ws.receive(OPEN);
  ws.receive('44{"message":"not authorized"}');
  assert.deepEqual([errors[0].code, errors[0].message], ["connect_error", "not authorized"]);
  assert.equal(ws.closed, true);
});

test("closes on a malformed packet and on a late ping", async (t) => {
  const a = open(t);
  handshake(a.ws);
  const reasons = [];
  a.socket.onDisconnect((r) => reasons.push(r));
  a.ws.receive("42not json");
  const b = open(t);
  b.socket.onDisconnect((r) => reasons.push(r));
  b.ws.receive('0{"sid":"eio","upgrades":[],"pingInterval":10,"pingTimeout":10,"maxPayload":1000000}');
  b.ws.receive('40{"sid":"abc"}');
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(reasons, ["parse error", "ping timeout"]);
});

test("throws a clear error without a WebSocket implementation", () => {
  const saved = globalThis.WebSocket;
  globalThis.WebSocket = undefined;
  try {
    assert.throws(() => connect("http://localhost:5050", { auth: AUTH }), /no WebSocket implementation; pass options.WebSocket/);
  } finally {
    globalThis.WebSocket = saved;
  }
});

test("validators report at most 100 details, like the server", () => {
  const payload = { from: "alice", text: "hi" };
  for (let i = 0; i < 150; i++) payload[`k${i}`] = i;
  const details = client.validateChat(payload);
  assert.equal(details.length, 100);
  assert.deepEqual(details[0], { field: "k0", rule: "unknown", message: "k0 is not a known field" });
});

test("refuses an invalid auth option through onConnectError, opening no socket", async (t) => {
  const before = FakeWebSocket.created;
  const socket = connect("http://localhost:5050", { WebSocket: FakeWebSocket, auth: { token: "short", extra: 1 } });
  t.after(() => socket.close());
  const connectErrors = [];
  const errors = [];
  socket.onConnectError((err) => connectErrors.push(err));
  socket.onError((err) => errors.push(err));
  await flush();
  assert.equal(FakeWebSocket.created, before, "a WebSocket was opened");
  assert.equal(connectErrors.length, 1);
  assert.ok(connectErrors[0] instanceof EventwireError);
  assert.deepEqual([connectErrors[0].code, connectErrors[0].message], ["invalid_payload", "invalid auth"]);
  assert.deepEqual(connectErrors[0].details, [
    { field: "extra", rule: "unknown", message: "extra is not a known field" },
  ]);
  assert.deepEqual(errors, [], "onError heard a failure onConnectError handled");
  assert.equal(socket.connected, false);
  await assert.rejects(socket.emitChat(chat), { code: "disconnected" });
});

test("checks a missing auth option as {}", async (t) => {
  const socket = connect("http://localhost:5050", { WebSocket: FakeWebSocket });
  t.after(() => socket.close());
  const errors = [];
  socket.onError((err) => errors.push(err)); // without onConnectError, onError hears it
  await flush();
  assert.equal(errors.length, 1);
  assert.deepEqual(errors[0].details, [
    { field: "token", rule: "required", message: "token is required" },
  ]);
  const rules = await new Promise((resolve) => {
    const s = connect("http://localhost:5050", { WebSocket: FakeWebSocket, auth: { token: "12345678", device: { id: "nope" } } });
    t.after(() => s.close());
    s.onConnectError((err) => resolve(err.details));
  });
  assert.deepEqual(rules, [{ field: "device.id", rule: "format", param: "uuid", message: "device.id must be a valid uuid" }]);
});

test("reports a CONNECT_ERROR's data.code and details to onConnectError", (t) => {
  const { socket, ws } = open(t);
  const connectErrors = [];
  const errors = [];
  socket.onConnectError((err) => connectErrors.push(err));
  socket.onError((err) => errors.push(err));
  ws.receive(OPEN);
  ws.receive('44{"message":"the token has expired","data":{"code":"unauthorized"}}');
  assert.equal(connectErrors.length, 1);
  assert.deepEqual([connectErrors[0].code, connectErrors[0].message, connectErrors[0].details], ["unauthorized", "the token has expired", []]);
  assert.deepEqual(errors, []);
  assert.equal(ws.closed, true);
  const b = open(t);
  const details = [{ field: "token", rule: "minLength", param: "8", message: "token must be at least 8 characters" }];
  b.socket.onConnectError((err) => connectErrors.push(err));
  b.ws.receive(OPEN);
  b.ws.receive(`44${JSON.stringify({ message: "invalid auth", data: { code: "invalid_payload", details } })}`);
  assert.deepEqual([connectErrors[1].code, connectErrors[1].details], ["invalid_payload", details]);
});

test("resolves an emit of an event with an ack with the typed reply", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const join = socket.emitJoin({ room: "lobby" });
  assert.equal(ws.sent.at(-1), '420["join",{"room":"lobby"}]');
  const who = socket.emitWhoami();
  assert.equal(ws.sent.at(-1), '421["whoami"]');
  const sum = socket.emitSum([1, 2]);
  ws.receive('432[{"data":3}]');
  ws.receive('431[{"data":{"name":"alice"}}]');
  ws.receive('430[{"data":{"room":"lobby","members":["alice","bob"]}}]');
  assert.deepEqual(await join, { room: "lobby", members: ["alice", "bob"] });
  assert.deepEqual(await who, { name: "alice" });
  assert.equal(await sum, 3);
  const chatted = socket.emitChat(chat); // no ack type: resolves with nothing
  ws.receive('433[{"data":null}]');
  assert.equal(await chatted, undefined);
  const refused = socket.emitJoin({ room: "Lobby!" });
  await assert.rejects(refused, { code: "invalid_payload" });
  const failed = socket.emitJoin({ room: "secret" });
  ws.receive('434[{"error":{"code":"not_member","message":"invite only"}}]');
  await assert.rejects(failed, { code: "not_member", message: "invite only", event: "join" });
});

test("answers an event the server sends with an ack: 43<id>[{data}]", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const questions = [];
  socket.onConfirm(async (q) => {
    questions.push(q);
    await flush();
    return { answer: true, note: "sure" };
  });
  socket.onPoll(() => ["alice", "bob"]);
  ws.receive('427["confirm",{"question":"ok?"}]');
  ws.receive('428["poll"]');
  await flush();
  await flush();
  assert.deepEqual(questions, [{ question: "ok?" }]);
  assert.deepEqual(ws.sent.slice(-2).sort(), ['437[{"data":{"answer":true,"note":"sure"}}]', '438[{"data":["alice","bob"]}]']);
});

test("answers {error} for a thrown EventwireError, a failed handler, an invalid reply, no handler", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const logged = [];
  const saved = console.error;
  console.error = (...args) => logged.push(args.map(String).join(" "));
  t.after(() => {
    console.error = saved;
  });
  const reply = async (frame) => {
    const before = ws.sent.length;
    ws.receive(frame);
    await flush();
    assert.equal(ws.sent.length, before + 1, `no reply to ${frame}`);
    return ws.sent.at(-1);
  };
  let answer = () => {
    throw new EventwireError("busy", "try later");
  };
  socket.onConfirm((q) => answer(q));
  assert.equal(await reply('421["confirm",{"question":"?"}]'), '431[{"error":{"code":"busy","message":"try later"}}]');
  const details = [{ field: "question", rule: "enum", message: "no" }];
  answer = async () => {
    throw new EventwireError("unclear", "rephrase", details);
  };
  assert.equal(await reply('422["confirm",{"question":"?"}]'), `432${JSON.stringify([{ error: { code: "unclear", message: "rephrase", details } }])}`);
  answer = () => {
    throw new Error("database on fire");
  };
  assert.equal(await reply('423["confirm",{"question":"?"}]'), '433[{"error":{"code":"internal","message":"internal error"}}]');
  assert.equal(logged.length, 1);
  assert.match(logged[0], /confirm handler failed.*database on fire/);
  answer = () => ({ answer: "yes", note: "far too long a note for twenty" });
  assert.equal(
    await reply('424["confirm",{"question":"?"}]'),
    `434${JSON.stringify([
      {
        error: {
          code: "invalid_payload",
          message: "invalid payload",
          details: [{ field: "answer", rule: "type", param: "boolean", message: "answer must be of type boolean" }],
        },
      },
    ])}`,
  );
  socket.onPoll(() => ["al"]);
  assert.equal(
    await reply('425["poll"]'),
    `435${JSON.stringify([
      {
        error: {
          code: "invalid_payload",
          message: "invalid payload",
          details: [{ field: "[0]", rule: "minLength", param: "3", message: "[0] must be at least 3 characters" }],
        },
      },
    ])}`,
  );
  assert.equal(await reply('426["echo","hi"]'), '436[{"error":{"code":"no_handler","message":"no handler for echo"}}]');
});

test("one ack handler per event: a later one replaces it, removing works once", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const offFirst = socket.onEcho((w) => `first ${w}`);
  const offSecond = socket.onEcho((w) => `second ${w}`);
  ws.receive('420["echo","a"]');
  await flush();
  assert.equal(ws.sent.at(-1), '430[{"data":"second a"}]');
  offFirst(); // replaced already: removes nothing
  ws.receive('421["echo","b"]');
  await flush();
  assert.equal(ws.sent.at(-1), '431[{"data":"second b"}]');
  offSecond();
  ws.receive('422["echo","c"]');
  await flush();
  assert.equal(ws.sent.at(-1), '432[{"error":{"code":"no_handler","message":"no handler for echo"}}]');
});

test("acknowledges an event without an ack type that came with an ack id", (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const got = [];
  socket.onChat((m) => got.push(m));
  ws.receive('429["chat",{"from":"bob","text":"yo"}]');
  assert.deepEqual(got, [{ from: "bob", text: "yo" }]);
  assert.equal(ws.sent.at(-1), '439[{"data":null}]');
});

test("compiles each pattern once, when the module loads, not per check", () => {
  const Original = globalThis.RegExp;
  let built = 0;
  globalThis.RegExp = new Proxy(Original, {
    construct(target, args) {
      built++;
      return Reflect.construct(target, args);
    },
  });
  try {
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(client.validateRename("alice"), []);
      assert.equal(client.validateRename("Alice")[0].rule, "pattern");
      assert.deepEqual(client.validateContact({ line: "a\rb", words: "a b", greek: "αβ" }), []);
    }
  } finally {
    globalThis.RegExp = Original;
  }
  assert.equal(built, 0, "RegExp objects built while checking payloads");
});

test("emits several positional arguments, leaving out trailing optional ones", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const all = socket.emitMove(1, 2, "rook");
  assert.equal(ws.sent.at(-1), '420["move",1,2,"rook"]');
  const short = socket.emitMove(3, 4);
  assert.equal(ws.sent.at(-1), '421["move",3,4]');
  const nulled = socket.emitMove(5, 6, null);
  assert.equal(ws.sent.at(-1), '422["move",5,6,null]');
  const drawn = socket.emitDraw({ name: "alice" }, { color: "#00ff00" }, ["a", "b"]);
  assert.equal(ws.sent.at(-1), '423["draw",{"name":"alice"},{"color":"#00ff00"},["a","b"]]');
  ws.receive('430[{"data":null}]');
  ws.receive('431[{"data":null}]');
  ws.receive('432[{"data":null}]');
  ws.receive('433[{"data":2}]');
  assert.equal(await all, undefined);
  assert.equal(await short, undefined);
  assert.equal(await nulled, undefined);
  assert.equal(await drawn, 2);
});

test("rejects invalid arguments with details naming them and sends nothing", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const sent = ws.sent.length;
  const cases = [
    [[1], [{ field: "y", rule: "required", message: "y is required" }]],
    [[1, 2, "a", "b"], [{ field: "", rule: "type", param: "3 arguments", message: "payload must be of type 3 arguments" }]],
    [[1, 200], [{ field: "y", rule: "max", param: "100", message: "y must be at most 100" }]],
    [[1, 2, 3], [{ field: "label", rule: "type", param: "string", message: "label must be of type string" }]],
  ];
  for (const [args, details] of cases) {
    await assert.rejects(socket.emitMove(...args), (err) => {
      assert.equal(err.code, "invalid_payload");
      assert.deepEqual(err.details, details);
      return true;
    });
  }
  await assert.rejects(socket.emitDraw({ name: "alice" }, { color: "red" }), {
    code: "invalid_payload",
    details: [{ field: "style.color", rule: "pattern", param: "^#[0-9a-f]{6}$", message: "style.color must match ^#[0-9a-f]{6}$" }],
  });
  assert.equal(ws.sent.length, sent);
  assert.deepEqual(client.validateMove(1, 2), []);
});

test("calls listeners with every argument, and answers an ack event with several", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const moves = [];
  socket.onMove((x, y, label) => moves.push([x, y, label]));
  ws.receive('42["move",1,2,"rook"]');
  ws.receive('42["move",3,4]');
  assert.deepEqual(moves, [[1, 2, "rook"], [3, 4, undefined]]);
  socket.onSurvey((question, choices) => choices.indexOf("no") + question.length);
  ws.receive('429["survey","tea?",["yes","no"]]');
  await flush();
  await flush();
  assert.equal(ws.sent.at(-1), '439[{"data":5}]');
});

test("sends bytes as a BINARY_EVENT 45<n>- followed by raw binary frames", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const data = new Uint8Array([0, 1, 255]);
  const thumbnail = new Uint8Array([7, 8]).buffer;
  const sent = socket.emitUpload({ name: "a.bin", data, thumbnail });
  assert.deepEqual(ws.sent.slice(1), [
    '452-0["upload",{"name":"a.bin","data":{"_placeholder":true,"num":0},"thumbnail":{"_placeholder":true,"num":1}}]',
    data,
    new Uint8Array([7, 8]),
  ]);
  ws.receive('430[{"data":null}]');
  assert.equal(await sent, undefined);
});

test("checks bytes: type and size, with the server's details", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  await assert.rejects(socket.emitUpload({ name: "a", data: new Uint8Array(9) }), (err) => {
    assert.deepEqual(err.details, [
      { field: "data", rule: "maxBytes", param: "8", message: "data must be at most 8 bytes" },
    ]);
    return true;
  });
  await assert.rejects(socket.emitUpload({ name: "a", data: new ArrayBuffer(0) }), (err) => {
    assert.deepEqual(err.details, [
      { field: "data", rule: "minBytes", param: "1", message: "data must be at least 1 bytes" },
    ]);
    return true;
  });
  await assert.rejects(socket.emitUpload({ name: "a", data: "AAE=" }), (err) => {
    assert.deepEqual(err.details, [{ field: "data", rule: "type", param: "bytes", message: "data must be of type bytes" }]);
    return true;
  });
  assert.deepEqual(ws.sent, [CONNECT]);
});

test("checks what the server sends: an invalid event or ack reply reaches onError, never a handler", async (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const chats = [];
  const errors = [];
  socket.onChat((m) => chats.push(m));
  socket.onError((err) => errors.push([err.code, err.event, err.details.map((d) => `${d.field}:${d.rule}`)]));
  let confirmed = 0;
  socket.onConfirm(() => {
    confirmed++;
    return { answer: true };
  });
  const moves = [];
  socket.onMove((...args) => moves.push(args));

  ws.receive('42["chat",{"from":"alice","text":""}]'); // breaks minLength
  ws.receive('42["chat",{"from":"alice","text":"hi","x":1}]'); // an unknown key
  ws.receive('42["chat"]'); // no payload
  ws.receive('42["move",5,500]'); // y above max
  ws.receive('42["chat",{"from":"alice","text":"hi"}]'); // valid: the handler's
  ws.receive('42["move",5,6,"ok"]');
  assert.deepEqual(chats, [{ from: "alice", text: "hi" }]);
  assert.deepEqual(moves, [[5, 6, "ok"]]);
  assert.deepEqual(errors, [
    ["invalid_payload", "chat", ["text:minLength"]],
    ["invalid_payload", "chat", ["x:unknown"]],
    ["invalid_payload", "chat", [":required"]],
    ["invalid_payload", "move", ["y:max"]],
  ]);

  // An event expecting an ack: the handler is not called; the server learns why.
  ws.receive('427["confirm",{"question":7}]');
  await flush();
  assert.equal(confirmed, 0);
  assert.equal(ws.sent.at(-1),
    '437[{"error":{"code":"invalid_payload","message":"invalid payload","details":[{"field":"question","rule":"type","param":"string","message":"question must be of type string"}]}}]');

  // An ack reply that breaks the event's ack schema rejects the emit, and is reported.
  errors.length = 0;
  const sum = socket.emitSum([1, 2]);
  const id = ws.sent.at(-1).match(/^42(\d+)/)[1];
  ws.receive(`43${id}[{"data":5000}]`); // above max 1000
  await assert.rejects(sum, (err) => err instanceof EventwireError && err.code === "invalid_payload" &&
    err.details[0].field === "" && err.details[0].rule === "max");
  assert.deepEqual(errors, [["invalid_payload", "sum", [":max"]]]);
});

test("reports an invalid event to the console while no onError function is set", (t) => {
  const { socket, ws } = open(t);
  handshake(ws);
  const logged = [];
  const saved = console.error;
  console.error = (...args) => logged.push(args[0]);
  t.after(() => {
    console.error = saved;
  });
  let chats = 0;
  socket.onChat(() => chats++);
  ws.receive('42["chat",{"from":"alice"}]');
  assert.equal(chats, 0);
  assert.deepEqual(logged, ["eventwire: chat received with an invalid payload"]);
});
