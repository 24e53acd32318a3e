// richevents.ts uses the generated client of internal/codegen/testdata/richevents
// as a TypeScript app would: every on*/emit* function, every connection-state
// member and every option, plus @ts-expect-error lines for what the types must
// refuse (tsc fails on an unused one). e2e/typescript.test.mjs copies the
// client into gen/ next to it and type-checks it with tsc --strict; it never
// runs.
import {
  connect,
  manager,
  EventwireError,
  validateChat,
  type AckReply,
  type Client,
  type ClientToServerEvents,
  type ConnectOptions,
  type Detail,
  type EventwireManager,
  type JoinAck,
  type ManagerOptions,
  type Meta,
  type Profile,
  type ServerToClientEvents,
  type Status,
  type When,
} from "./gen/richevents.js";

const managerOptions: ManagerOptions = {
  path: "/socket.io/",
  WebSocket: globalThis.WebSocket,
  reconnection: true,
  reconnectionAttempts: 10,
  reconnectionDelay: 500,
  reconnectionDelayMax: 10_000,
  randomizationFactor: 0.25,
  timeout: 15_000,
};
const shared: EventwireManager = manager("https://example.com", managerOptions);
const url: string = shared.url;

let token = "secret-token";
const options: ConnectOptions = {
  ...managerOptions,
  ackTimeout: 5_000,
  bufferLimit: 50,
  forceNew: false,
  multiplex: true,
  auth: async () => ({ token, name: "alice", device: { id: crypto.randomUUID() } }),
};
const socket: Client = connect(url, options);
const onShared = connect(url, { manager: shared, auth: { token } });
connect(new URL("https://example.com"), { auth: () => ({ token }) });
// @ts-expect-error: the auth payload needs a token
connect(url, { auth: { name: "alice" } });
// @ts-expect-error: an auth function must give the auth payload
connect(url, { auth: () => ({ token: 42 }) });
// @ts-expect-error: the reconnection options are numbers
connect(url, { reconnectionDelay: "1s" });

const connected: boolean = socket.connected;
const recovered: boolean = socket.recovered;
const id: string = socket.id;
const state: "connecting" | "connected" | "reconnecting" | "disconnected" = socket.state;
// @ts-expect-error: state is one of four
const wrongState: typeof socket.state = "closed";
const offs: (() => void)[] = [
  socket.onConnect((again: boolean) => console.log("connected", connected, id, state, again === recovered)),
  socket.onDisconnect((reason: string) => console.log(reason)),
  socket.onReconnectAttempt((attempt: number, delayMs: number) => console.log(attempt, delayMs)),
  socket.onReconnectFailed(() => console.log("gave up")),
  socket.onConnectError((err: EventwireError) => console.log(err.code, err.details)),
  socket.onError((err) => console.log(err.event, err.message)),
  socket.onChat((m) => console.log(m.from.toUpperCase(), m.text)),
  socket.onConfirm(async (q) => ({ answer: q.question.endsWith("?"), note: "ok" })),
  socket.onDownload((d) => ({ head: (d.parts?.[0] ?? d.data).slice(0, 4) })),
  socket.onEcho((word) => word.repeat(2)),
  socket.onMembers((members) => console.log(members.filter((m) => m.online).map((m) => m.name))),
  socket.onMirror((bytes) => bytes),
  socket.onMove((x, y, label) => console.log(x + y, label ?? "")),
  socket.onPoll(() => ["alice", "bob"]),
  socket.onPresence((p: Profile) => console.log(p.name, p.age ?? 0)),
  socket.onRate((score) => console.log(score.toFixed(1))),
  socket.onSurvey((question, choices) => choices.indexOf(question)),
  socket.onTick(() => console.log("tick")),
  socket.onNote((at: When, data?: unknown) => console.log(new Date(at).getTime(), data)),
  socket.onRelay((value: unknown) => console.log(Array.isArray(value) ? value.length : value)),
  socket.onStatus((st: Status) => st.meta ?? st.bag?.length ?? new Date(st.since).toISOString()),
  socket.onAnnotate((a) => console.log(Object.keys(a.labels), a.statuses?.["ann"] === "away", a.owners?.["cup"]?.name)),
];
offs.forEach((off) => off());
// @ts-expect-error: a chat line's text is a string
socket.onChat((m) => m.text.toFixed());
// @ts-expect-error: confirm's handler must give its ack reply
socket.onConfirm(() => ({ note: "no answer" }));
// @ts-expect-error: survey's handler replies with a number
socket.onSurvey(() => "first");
// @ts-expect-error: a date-time is a string, not a Date
socket.onNote((at) => at.getTime());
// @ts-expect-error: an any value is unknown, so it must be narrowed before use
socket.onStatus((st) => st.extra.length);

async function emitAll(s: Client): Promise<void> {
  await s.emitChat({ from: "alice", text: "hi" });
  await s.emitContact({ email: "a@example.com", site: "https://example.com" });
  const drawn: number = await s.emitDraw({ name: "alice" }, { color: "#00ff00" }, ["a"], "box");
  await s.emitDraw({ name: "alice" }, { color: "#00ff00", width: 2 });
  const echoed: string = await s.emitEcho("hi");
  await s.emitInvite([{ user: "bob", role: "guest" }]);
  const joined: JoinAck = await s.emitJoin({ room: "lobby" });
  const mirrored = await s.emitMirror(new Uint8Array([1, 2]));
  await s.emitMove(1, 2, "rook");
  await s.emitMove(1, 2);
  await s.emitPing();
  await s.emitPostCreate({
    id: crypto.randomUUID(),
    title: "Hello",
    author: { name: "alice" },
    kind: "text",
    draft: false,
    priority: 2,
    grid: [[1, 2]],
  });
  await s.emitRate(4.5);
  await s.emitRename("alice_2");
  await s.emitScores([1, 2, 3]);
  const sum: number = await s.emitSum([1, 2]);
  await s.emitUpload({ name: "a.bin", data: new ArrayBuffer(4) });
  const me: Profile = await s.emitWhoami();
  const meta: Meta = { free: ["form", 1, null] };
  const status: unknown = await s.emitStatus({
    since: new Date().toISOString(),
    until: "2026-12-08T10:30:00.25+01:00",
    meta,
    extra: 42,
    log: ["2026-12-08T09:30:00Z"],
    bag: [null, "s", 1, true, {}, []],
  });
  const stamped: When = await s.emitStamp("2026-12-08T09:30:00Z");
  await s.emitRelay({ any: ["json", 1, true, null] });
  await s.emitRelay("a string is JSON too");
  await s.emitAnnotate({
    labels: { "a b": "x" },
    statuses: { ann: "online" },
    owners: { cup: { name: "alice", since: 3 } },
    matrix: { r: { c: [1, 2] } },
    flags: { x: true },
    levels: { k: "low" },
    colors: { bg: "#00ff00" },
    notes: { k: { ref: "n-1" } },
    aliases: { p: ["@ann"] },
  });
  const roster: Record<string, string[]> = await s.emitRoster({ ann: "away" });
  console.log(drawn, echoed, joined.members, mirrored, sum, me.name, status, stamped, roster);

  // @ts-expect-error: from is required
  await s.emitChat({ text: "hi" });
  // @ts-expect-error: text is a string
  await s.emitChat({ from: "alice", text: 1 });
  // @ts-expect-error: kind is one of text, link, image
  await s.emitPostCreate({ id: "x", title: "t", author: { name: "a" }, kind: "video", draft: false });
  // @ts-expect-error: priority is 1, 2 or 3
  await s.emitPostCreate({ id: "x", title: "t", author: { name: "a" }, kind: "text", draft: false, priority: 4 });
  // @ts-expect-error: move takes numbers
  await s.emitMove("1", 2);
  // @ts-expect-error: draw's type is line or box
  await s.emitDraw({ name: "alice" }, { color: "#000000" }, null, "circle");
  // @ts-expect-error: upload data is bytes
  await s.emitUpload({ name: "a.bin", data: "AAE=" });
  // @ts-expect-error: a date-time is sent as a string (date.toISOString())
  await s.emitStamp(new Date());
  // @ts-expect-error: extra is required, whatever its value
  await s.emitStatus({ since: "2026-12-08T09:30:00Z" });
  // @ts-expect-error: a map's values have the type of its values
  await s.emitAnnotate({ labels: { a: 1 } });
  // @ts-expect-error: a status is online, away or offline
  await s.emitRoster({ ann: "busy" });
  // @ts-expect-error: a map is an object, not an array
  await s.emitAnnotate({ labels: ["x"] });
  // @ts-expect-error: ping takes no payload
  await s.emitPing("now");
  // @ts-expect-error: the join ack has no topic
  console.log((await s.emitJoin({ room: "lobby" })).topic);
}

async function flags(s: Client): Promise<void> {
  const quick = s.timeout(2_000);
  const members: string[] = (await quick.emitJoin({ room: "lobby" })).members;
  await s.volatile.emitMove(3, 4);
  await s.volatile.timeout(100).emitPing();
  await s.timeout(0).volatile.emitRate(1);
  console.log(members);
  // @ts-expect-error: timeout(ms) gives the emit functions only
  quick.onChat(() => {});
  // @ts-expect-error: volatile emits are typed as well
  await s.volatile.emitRate("high");
  // @ts-expect-error: timeout takes milliseconds
  s.timeout("2s");
}

try {
  await emitAll(socket);
  await flags(onShared);
} catch (err) {
  if (err instanceof EventwireError) {
    const details: Detail[] = err.details;
    console.log(err.code, details.map((d) => `${d.field} ${d.rule} ${d.param ?? ""}: ${d.message}`));
  }
}
const problems: Detail[] = validateChat({ from: "al", text: "" });
console.log(problems, wrongState);
socket.close();
onShared.close();
shared.close();

// The socket.io style events interfaces type the official client's emit and on.
const toServer: ClientToServerEvents["join"] = (payload, ack) => ack({ data: { room: payload.room, members: [] } });
const toClient: ServerToClientEvents["poll"] = (ack) => ack({ error: { code: "busy", message: "later" } });
const reply: AckReply<number> = { data: 1 };
console.log(toServer, toClient, reply);
