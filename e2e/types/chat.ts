// chat.ts uses examples/chat's generated client (chatevents) as a page written
// in TypeScript would: every on*/emit* function, every connection-state member
// and every option, plus @ts-expect-error lines for what the types must refuse
// (tsc fails on an unused one). e2e/typescript.test.mjs copies the client into
// gen/ next to it and type-checks it with tsc --strict; it never runs.
import {
  connect,
  manager,
  EventwireError,
  validateBrowserToMessage,
  type BrowserToMessage,
  type Client,
  type ClientToServerEvents,
  type ConnectOptions,
  type EventwireManager,
  type ManagerOptions,
  type ServerBackMessage,
  type ServerToClientEvents,
} from "./gen/chatevents.js";

const managerOptions: ManagerOptions = {
  path: "/socket.io/",
  WebSocket, // the browser's
  reconnection: true,
  reconnectionAttempts: Infinity,
  reconnectionDelay: 1_000,
  reconnectionDelayMax: 5_000,
  randomizationFactor: 0.5,
  timeout: 20_000,
};
const options: ConnectOptions = { ...managerOptions, ackTimeout: 60_000, bufferLimit: 20, forceNew: true, multiplex: false };
const chat: Client = connect(location.origin, options);
const m: EventwireManager = manager(location.origin);
const viaManager = connect(m.url, { manager: m });
// @ts-expect-error: chatevents declares no auth payload
connect(location.origin, { auth: { token: "x" } });
// @ts-expect-error: bufferLimit is a number
connect(location.origin, { bufferLimit: "many" });

const status = document.getElementById("status")!;
function show(text: string): void {
  status.textContent = `${text} (${chat.state}, ${chat.connected ? chat.id : "no id"}${chat.recovered ? ", recovered" : ""})`;
}
const offs = [
  chat.onConnect((recovered) => show(recovered ? "connected, nothing missed" : "connected")),
  chat.onDisconnect((reason) => show("disconnected: " + reason)),
  chat.onReconnectAttempt((attempt, delayMs) => show(`reconnecting… (attempt ${attempt}, in ${delayMs} ms)`)),
  chat.onReconnectFailed(() => show("gave up")),
  chat.onConnectError((err) => show(err.code)),
  chat.onError((err: EventwireError) => show(err.message)),
  chat.onLink((text) => show(text.trim())),
  chat.onServerBackMessage((line: ServerBackMessage) => show(line.messageText)),
];
// @ts-expect-error: link's payload is a string
chat.onLink((text: number) => show(String(text)));
// @ts-expect-error: server_back_message has no author
chat.onServerBackMessage((line) => show(line.author));

async function send(text: string): Promise<void> {
  const line: BrowserToMessage = { messageText: text };
  if (validateBrowserToMessage(line).length > 0) return;
  const done: void = await chat.emitBrowserToMessage(line);
  await chat.timeout(5_000).emitBrowserToMessage(line);
  await chat.volatile.emitBrowserToMessage({ messageText: "typing…" });
  // @ts-expect-error: messageText is required
  await chat.emitBrowserToMessage({});
  // @ts-expect-error: messageText is a string
  await chat.emitBrowserToMessage({ messageText: 42 });
  // @ts-expect-error: no other field
  await chat.emitBrowserToMessage({ messageText: "hi", html: "<b>hi</b>" });
  // @ts-expect-error: volatile gives the emit functions only
  chat.volatile.close();
  console.log(done);
}

await send("hello");
offs.forEach((off) => off());
chat.close();
viaManager.close();
m.close();

const fromServer: ServerToClientEvents["server_back_message"] = (line) => show(line.messageText);
const toServer: ClientToServerEvents["browser_to_message"] = (line) => show(line.messageText);
console.log(fromServer, toServer);
