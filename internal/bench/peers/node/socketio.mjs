// @ts-check
// The benchmark's socket.io peer: socket.io 4.8.4, the server eventwire speaks
// the protocol of, written as a socket.io app would be: the msg a client emits
// goes to everyone (io.emit), all but the sender (socket.broadcast.emit) or a
// room but the sender (socket.to(room).emit), as its to field says; join puts
// the socket in a room and acks true.
//
//   BENCH_PORT=8000 node socketio.mjs      # listens on 127.0.0.1:$BENCH_PORT
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.env.BENCH_PORT);
if (!port) {
  console.error("socket.io peer: BENCH_PORT is not set");
  process.exit(1);
}

const httpServer = createServer();
const io = new Server(httpServer, {
  transports: ["websocket"], // the load generator, like eventwire, speaks WebSocket only
  maxHttpBufferSize: 1e6,
  perMessageDeflate: false,
  serveClient: false,
});

io.on("connection", (socket) => {
  socket.on("join", (m, cb) => {
    socket.join(m.room);
    if (typeof cb === "function") cb(true);
  });
  socket.on("msg", (m) => {
    switch (m?.to) {
      case "all":
        io.emit("msg", m);
        break;
      case "others":
        socket.broadcast.emit("msg", m);
        break;
      case "room":
        socket.to(m.room).emit("msg", m);
        break;
    }
  });
});

httpServer.on("error", (err) => {
  console.error("socket.io peer:", err);
  process.exit(1);
});
httpServer.listen(port, "127.0.0.1");

for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
