package spec

import (
	"slices"
	"testing"
)

func TestGoName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"browser_to_message", "BrowserToMessage"},
		{"messageText", "MessageText"},
		{"userID", "UserID"},
		{"user_ID", "UserID"},
		{"user_id", "UserID"},
		{"userId", "UserID"},
		{"id", "ID"},
		{"url", "URL"},
		{"ts", "Ts"},
		{"homepage_url", "HomepageURL"},
		{"apiURL", "APIURL"},
		{"httpsProxy", "HTTPSProxy"},
		{"utf8_text", "UTF8Text"},
		{"userIds", "UserIds"},
		{"HTTPServer", "HTTPServer"},
		{"xmlHttpRequest", "XMLHTTPRequest"},
		{"uuid", "UUID"},
		{"guide", "Guide"},
		{"idx", "Idx"},
		{"chat.message:created", "ChatMessageCreated"},
		{"ping-all", "PingAll"},
		{"a__b", "AB"},
		{"trailing_", "Trailing"},
		{"x", "X"},
		{"A", "A"},
		{"v2_api", "V2API"},
		{"v2Api", "V2API"},
		{"room:2", "Room2"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := goName(tt.in); got != tt.want {
				t.Errorf("goName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEnumValueGoName(t *testing.T) {
	tests := []struct {
		in   string
		kind Kind
		want string
	}{
		{"info", KindString, "Info"},
		{"in-progress", KindString, "InProgress"},
		{"in_progress", KindString, "InProgress"},
		{"inProgress", KindString, "InProgress"},
		{"url", KindString, "URL"},
		{"2xx", KindString, "2xx"},
		{"a.b/c", KindString, "ABC"},
		{"café", KindString, "Caf"},
		{"+", KindString, ""},
		{"1", KindInteger, "1"},
		{"-1", KindInteger, "Minus1"},
		{"0", KindInteger, "0"},
	}
	for _, tt := range tests {
		if got := enumValueGoName(tt.in, tt.kind); got != tt.want {
			t.Errorf("enumValueGoName(%q, %s) = %q, want %q", tt.in, tt.kind, got, tt.want)
		}
	}
}

func TestNameSyntax(t *testing.T) {
	tests := []struct {
		name                string
		event, field, type_ bool
	}{
		{"browser_to_message", true, true, false},
		{"chat.message:created-v2", true, false, false},
		{"ChatLine", true, true, true},
		{"Chat_Line", true, true, false},
		{"chatLine", true, true, false},
		{"X1", true, true, true},
		{"1st", false, false, false},
		{"_id", false, false, false},
		{"a b", false, false, false},
		{"café", false, false, false},
		{"", false, false, false},
		{"a.b", true, false, false},
		{"a-b", true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isEventName(tt.name); got != tt.event {
				t.Errorf("isEventName = %v, want %v", got, tt.event)
			}
			if got := isFieldName(tt.name); got != tt.field {
				t.Errorf("isFieldName = %v, want %v", got, tt.field)
			}
			if got := isTypeName(tt.name); got != tt.type_ {
				t.Errorf("isTypeName = %v, want %v", got, tt.type_)
			}
		})
	}
}

func TestReservedEvent(t *testing.T) {
	tests := []struct {
		name     string
		reserved bool
	}{
		{"connect", true}, {"connect_error", true}, {"disconnect", true}, {"disconnecting", true},
		{"newListener", true}, {"removeListener", true}, {"eventwire:error", true}, {"eventwire:x", true},
		{"error", true}, {"Error", true}, {"Connect", true}, {"disconnect_", true},
		{"connected", false}, {"link", false}, {"eventwire_error", false}, {"errors", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reservedEvent(tt.name) != ""; got != tt.reserved {
				t.Errorf("reservedEvent(%q) = %q, want reserved %v", tt.name, reservedEvent(tt.name), tt.reserved)
			}
		})
	}
}

func TestReservedGoNamesIsACopy(t *testing.T) {
	a := ReservedGoNames()
	a[0] = "changed"
	if slices.Contains(ReservedGoNames(), "changed") {
		t.Fatal("ReservedGoNames shares its backing array with callers")
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"dirction", "direction", 1}, {"to-client", "to_client", 1}, {"héllo", "hello", 1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			if got := editDistance(tt.a, tt.b); got != tt.want {
				t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestSuggestions(t *testing.T) {
	tests := []struct {
		word    string
		allowed []string
		want    string
	}{
		{"dirction", eventKeys(), "direction"},
		{"Direction", eventKeys(), "direction"},
		{"maxlength", schemaKeys(), "maxLength"},
		{"minLenght", schemaKeys(), "minLength"},
		{"properties", schemaKeys(), "fields"},
		{"description", schemaKeys(), "doc"},
		{"maxium", schemaKeys(), "max"},
		{"data", eventKeys(), "payload"},
		{"description", topKeys(), ""},
		{"zzzzzz", schemaKeys(), ""},
		{"x", schemaKeys(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			if got := suggestKey(tt.word, tt.allowed); got != tt.want {
				t.Errorf("suggestKey(%q) = %q, want %q", tt.word, got, tt.want)
			}
		})
	}
}
