package middleware_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gorilla/websocket"

	"github.com/eventwire/eventwire/middleware"
)

// chatSchema is what generated code builds for a two-event chat.
func chatSchema() middleware.Schema {
	line := &middleware.Shape{Kind: middleware.KindObject, Fields: []middleware.FieldShape{
		{Name: "text", Required: true, Shape: &middleware.Shape{Kind: middleware.KindString}},
	}}
	return middleware.Schema{Source: "events.yaml", Events: []middleware.Event{
		{Name: "say", ClientSends: true, Payload: line},
		{Name: "said", ServerSends: true, Payload: line},
	}}
}

type chatLine struct {
	Text string `json:"text" validate:"min=1,max=100"`
}

// A server with one typed handler, and a raw client speaking the wire: the
// invalid line is refused with details and reaches no handler.
func Example() {
	srv, err := middleware.New(chatSchema())
	if err != nil {
		panic(err)
	}
	err = middleware.Handle(srv, "say", func(ctx context.Context, c *middleware.Conn, m chatLine) error {
		if m.Text == "forbidden" {
			return middleware.NewError("forbidden", "you may not say that")
		}
		return c.Broadcast().Emit("said", m) // everyone but the sender
	})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close()

	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		panic(err)
	}
	defer ws.Close()
	read := func() string { _, msg, _ := ws.ReadMessage(); return string(msg) }
	send := func(frame string) { _ = ws.WriteMessage(websocket.TextMessage, []byte(frame)) }

	fmt.Println(strings.HasPrefix(read(), `0{"sid":`)) // Engine.IO open packet
	send("40")
	fmt.Println(strings.HasPrefix(read(), `40{"sid":`)) // Socket.IO CONNECT reply
	send(`421["say",{"text":""}]`)
	fmt.Println(read())
	send(`422["say",{"text":"forbidden"}]`)
	fmt.Println(read())
	send(`423["say",{"text":"hello"}]`)
	fmt.Println(read())
	// Output:
	// true
	// true
	// 431[{"error":{"code":"invalid_payload","message":"invalid payload","details":[{"field":"text","rule":"minLength","param":"1","message":"text must be at least 1 characters"}]}}]
	// 432[{"error":{"code":"forbidden","message":"you may not say that"}}]
	// 433[{"data":null}]
}

// Middleware mounts the server on its path in front of any router.
func ExampleServer_Middleware() {
	srv, err := middleware.New(chatSchema())
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "page "+r.URL.Path)
	})
	h := srv.Middleware(app)
	for _, path := range []string{"/", "/socket.io/?EIO=4&transport=polling"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// 200 page /
	// 400 {"code":0,"message":"Transport unknown"}
}

// LoadConfig reads defaults, an optional file and EVENTWIRE_* variables.
func ExampleLoadConfig() {
	v, err := middleware.NewViper("") // or a yaml/json/toml path
	if err != nil {
		panic(err)
	}
	v.Set("ping_interval", "5s") // what EVENTWIRE_PING_INTERVAL=5s does
	cfg, err := middleware.LoadConfig(v)
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Path, cfg.PingInterval, cfg.PingTimeout)

	v.Set("path", "ws")
	_, err = middleware.LoadConfig(v)
	fmt.Println(err)
	// Output:
	// /socket.io/ 5s 20s
	// eventwire: config: path "ws" must start and end with "/"
}

// Authorize checks the CONNECT packet's auth payload against Schema.Auth,
// then runs the app's check; a refusal is a CONNECT_ERROR with a code.
func ExampleAuthorize() {
	schema := chatSchema()
	schema.Auth = &middleware.Shape{Kind: middleware.KindObject, Fields: []middleware.FieldShape{
		{Name: "name", Required: true, Shape: &middleware.Shape{Kind: middleware.KindString}},
	}}
	srv, err := middleware.New(schema)
	if err != nil {
		panic(err)
	}
	type auth struct {
		Name string `json:"name" validate:"min=1,max=20"`
	}
	user := middleware.NewKey[string]("user")
	err = middleware.Authorize(srv, func(ctx context.Context, c *middleware.Conn, a auth) error {
		if a.Name == "mallory" {
			return middleware.NewError("banned", "you are banned")
		}
		user.Set(c, a.Name) // handlers read it with user.Get(c)
		return nil
	})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close()

	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	for _, connect := range []string{`40`, `40{"name":"mallory"}`, `40{"name":"alice"}`} {
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			panic(err)
		}
		_, _, _ = ws.ReadMessage() // the open packet
		_ = ws.WriteMessage(websocket.TextMessage, []byte(connect))
		_, reply, _ := ws.ReadMessage()
		if strings.HasPrefix(string(reply), "40") {
			fmt.Println("connected")
		} else {
			_, _, err = ws.ReadMessage() // the close that follows a CONNECT_ERROR
			fmt.Printf("%s then %v\n", reply, err)
		}
		ws.Close()
	}
	// Output:
	// 44{"message":"invalid auth","data":{"code":"invalid_payload","details":[{"field":"name","rule":"required","message":"name is required"}]}} then websocket: close 1008 (policy violation): connect refused
	// 44{"message":"you are banned","data":{"code":"banned"}} then websocket: close 1008 (policy violation): connect refused
	// connected
}
