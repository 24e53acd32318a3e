package protocol_test

import (
	"fmt"

	"github.com/eventwire/eventwire/internal/protocol"
)

func ExampleDecode() {
	frame := []byte(`42/chat,7["browser_to_message",{"messageText":"hi"}]`)
	if frame[0] != protocol.Message {
		return // an Engine.IO ping, pong or close
	}
	p, err := protocol.Decode(frame[1:])
	if err != nil {
		fmt.Println(err)
		return
	}
	name, args, _ := protocol.SplitEvent(p.Data)
	fmt.Println(p.Type, p.Namespace, p.HasID, p.ID, name, string(args[0]))
	// Output: EVENT /chat true 7 browser_to_message {"messageText":"hi"}
}

func ExampleAppendEvent() {
	payload := []byte(`{"messageText":"hi"}`) // encoded once, shared by every recipient
	var buf []byte
	buf = protocol.AppendEvent(buf[:0], "/", false, 0, "server_back_message", payload)
	fmt.Println(string(buf))
	// Output: 42["server_back_message",{"messageText":"hi"}]
}

func ExampleAppendAck() {
	fmt.Println(string(protocol.AppendAck(nil, "/", 7, []byte(`{"data":null}`))))
	// Output: 437[{"data":null}]
}

func ExampleAppendOpen() {
	o := protocol.OpenPacket{SID: "xyz", PingInterval: 25000, PingTimeout: 20000, MaxPayload: 1000000}
	fmt.Println(string(protocol.AppendOpen(nil, o)))
	// Output: 0{"sid":"xyz","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}
}
