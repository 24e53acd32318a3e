// @ts-check
// The benchmark's raw Node peer: ws 8.23.0 with a hand-written broadcast, the
// Node counterpart of the melody peer (no protocol, no validation).
//
// On /ws a client sends "join:<room>" (answered "joined") or a JSON object
// {"to","room","seq","data"}; the server parses it to choose the recipients
// and forwards the bytes it received, unchanged, to everyone ("all"), all but
// the sender ("others"), or the room's members but the sender ("room").
//
//   BENCH_PORT=8000 node ws.mjs      # listens on 127.0.0.1:$BENCH_PORT
import { WebSocketServer } from "ws";

const port = Number(process.env.BENCH_PORT);
if (!port) {
  console.error("ws peer: BENCH_PORT is not set");
  process.exit(1);
}

/** @type {Map<string, Set<import("ws").WebSocket>>} room → members */
const rooms = new Map();

const wss = new WebSocketServer({ port, host: "127.0.0.1", path: "/ws", perMessageDeflate: false });

wss.on("connection", (ws) => {
  /** @type {Set<string>} the rooms this client joined, left when it goes */
  const joined = new Set();
  ws.on("message", (data, isBinary) => {
    const text = data.toString();
    if (text.startsWith("join:")) {
      const room = text.slice(5);
      let members = rooms.get(room);
      if (!members) rooms.set(room, (members = new Set()));
      members.add(ws);
      joined.add(room);
      ws.send("joined");
      return;
    }
    let m;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    const opts = { binary: isBinary }; // ws sends a Buffer as binary unless told
    switch (m?.to) {
      case "all":
        for (const c of wss.clients) c.send(data, opts);
        break;
      case "others":
        for (const c of wss.clients) if (c !== ws) c.send(data, opts);
        break;
      case "room":
        for (const c of rooms.get(m.room) ?? []) if (c !== ws) c.send(data, opts);
        break;
    }
  });
  ws.on("close", () => {
    for (const room of joined) {
      const members = rooms.get(room);
      members?.delete(ws);
      if (members?.size === 0) rooms.delete(room);
    }
  });
});

wss.on("error", (err) => {
  console.error("ws peer:", err);
  process.exit(1);
});

for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
