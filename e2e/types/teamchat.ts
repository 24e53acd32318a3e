// teamchat.ts uses examples/teamchat's generated client (teamevents: auth,
// acks, positional arguments, bytes and the /admin namespace) as a page
// written in TypeScript would: every on*/emit* function of both clients, every
// connection-state member and every option, plus @ts-expect-error lines for
// what the types must refuse (tsc fails on an unused one).
// e2e/typescript.test.mjs copies the client into gen/ next to it and
// type-checks it with tsc --strict; it never runs.
import {
  connect,
  connectAdmin,
  manager,
  EventwireError,
  type AdminClient,
  type AdminKickAck,
  type Auth,
  type Client,
  type ConnectOptions,
  type JoinAck,
  type ManagerOptions,
  type Said,
  type ShareAck,
} from "./gen/teamevents.js";

const managerOptions: ManagerOptions = {
  path: "/socket.io/",
  WebSocket: globalThis.WebSocket,
  reconnection: true,
  reconnectionAttempts: 20,
  reconnectionDelay: 250,
  reconnectionDelayMax: 8_000,
  randomizationFactor: 0.3,
  timeout: 10_000,
};
let name = "ann";
const auth = (): Auth => ({ name }); // read per CONNECT: a rename applies on the next reconnection
const options: ConnectOptions = { ...managerOptions, ackTimeout: 8_000, bufferLimit: 10, forceNew: false, multiplex: true, auth };
const team: Client = connect(location.origin, options);
const tokenOf = async (): Promise<string> => (await fetch("/token")).text();
const admin: AdminClient = connectAdmin(location.origin, { ...managerOptions, auth: async () => ({ token: await tokenOf() }) });
const own = manager(location.origin, managerOptions);
const second = connectAdmin(location.origin, { manager: own, auth: { token: "moderator-token" } });
// @ts-expect-error: the main namespace's auth is a name, not a token
connect(location.origin, { auth: { token: "x" } });
// @ts-expect-error: /admin's auth function must give a token
connectAdmin(location.origin, { auth: () => ({ name: "ann" }) });

for (const c of [team, admin, second] as const) {
  c.onConnect(() => console.log("connected", c.id, c.connected, c.state, c.recovered));
  c.onDisconnect((reason) => console.log("disconnected:", reason));
  c.onReconnectAttempt((attempt, delayMs) => console.log(`reconnecting… (attempt ${attempt}) in ${delayMs} ms`));
  c.onReconnectFailed(() => console.log("gave up"));
  c.onConnectError((err) => console.log("refused:", err.code, err.details));
  c.onError((err: EventwireError) => console.log(err.event, err.message));
}

const rooms = new Map<string, string[]>();
const offs = [
  team.onAnnouncement((a) => console.log(a.text)),
  team.onMemberJoined((m) => rooms.get(m.room)?.push(m.name)),
  team.onMemberLeft((m) => rooms.set(m.room, (rooms.get(m.room) ?? []).filter((n) => n !== m.name))),
  team.onSaid((m: Said) => console.log(new Date(m.ts), m.from, m.text)),
  team.onShared((f) => console.log(f.name, f.type, f.data.byteLength)),
  team.onTypingStatus((room, who, active) => console.log(room, who, active ? "typing" : "")),
  team.onStatusChanged((s) => console.log(s.name, new Date(s.since), typeof s.meta === "string" ? s.meta : JSON.stringify(s.meta))),
  team.onPresenceChanged((p) => console.log(p.room, p.name, p.status === "away" ? "away" : p.status)),
  admin.onKicked((k) => console.log(k.name, "kicked by", k.by)),
];
// @ts-expect-error: meta is unknown until narrowed
team.onStatusChanged((s) => s.meta.emoji);
// @ts-expect-error: said's ts is a number
team.onSaid((m) => m.ts.toUpperCase());
// @ts-expect-error: typing_status gives three arguments, the last a boolean
team.onTypingStatus((room, who, active: string) => console.log(room, who, active));

async function use(): Promise<void> {
  const joined: JoinAck = await team.emitJoin({ room: "ops" });
  rooms.set(joined.room, joined.members);
  await team.emitLeave({ room: "ops" });
  const said = await team.emitSay({ room: "ops", text: "hi" });
  const shared: ShareAck = await team.emitShare({ room: "ops", name: "a.png", type: "image/png", data: new Uint8Array(8) });
  await team.emitTyping("ops");
  await team.volatile.emitTyping("ops", false);
  await team.timeout(1_000).emitSay({ room: "ops", text: "quick" });
  const kicked: AdminKickAck = await admin.emitKick({ name: "spammer" });
  await admin.emitAnnounce({ text: "maintenance at noon" });
  await admin.timeout(500).volatile.emitAnnounce({ text: "now" });
  const took: string = await team.emitStatus({ room: "ops", since: new Date().toISOString(), meta: { emoji: "🌴", until: "Monday" } });
  console.log(said.id, shared.ts, kicked.kicked, new Date(took));
  const presence: Record<string, Record<string, "online" | "away" | "busy">> = await team.emitPresence({
    statuses: { ops: "away", "dev-2": "busy" },
  });
  console.log(Object.entries(presence.ops ?? {}).filter(([, status]) => status !== "online"));

  // @ts-expect-error: since is an RFC 3339 string, not a Date
  await team.emitStatus({ room: "ops", since: new Date() });
  // @ts-expect-error: join needs a room
  await team.emitJoin({});
  // @ts-expect-error: share's data is bytes
  await team.emitShare({ room: "ops", name: "a.txt", type: "text/plain", data: "text" });
  // @ts-expect-error: a status is online, away or busy
  await team.emitPresence({ statuses: { ops: "asleep" } });
  // @ts-expect-error: statuses is a map, not a list of rooms
  await team.emitPresence({ statuses: ["ops"] });
  // @ts-expect-error: typing's second argument is a boolean
  await team.emitTyping("ops", "yes");
  // @ts-expect-error: kick's ack counts
  const count: string = (await admin.emitKick({ name: "bob" })).kicked;
  // @ts-expect-error: /admin has no say
  await admin.emitSay({ room: "ops", text: "hi" });
  console.log(count);
}

await use();
name = "ann2";
offs.forEach((off) => off());
for (const c of [team, admin, second]) c.close();
own.close();
