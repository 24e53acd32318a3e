package middleware

import (
	"errors"
	"strconv"
)

// ErrorEvent is the event the server emits to report a failed inbound event
// that had no ack id. Its one argument is the Error object plus "event", the
// inbound event's name.
const ErrorEvent = "eventwire:error"

// Sentinel errors; returned errors wrap them with context (errors.Is).
var (
	// ErrClosed: the connection (or the server) is closed or closing.
	ErrClosed = errors.New("eventwire: connection closed")
	// ErrUnknownEvent: the schema declares no event of that name.
	ErrUnknownEvent = errors.New("eventwire: unknown event")
	// ErrNotAllowed: the event exists but may not be sent in that direction.
	ErrNotAllowed = errors.New("eventwire: event not allowed in this direction")
	// ErrSlowConsumer: the connection is not keeping up (its outbound
	// queue would outgrow Config.OutboundBufferBytes), so the frame was not
	// queued. With Config.SlowConsumer "disconnect" the connection is
	// closing (1013); with "drop" it stays.
	ErrSlowConsumer = errors.New("eventwire: outbound buffer full (slow consumer)")
)

// Error codes of the wire error model.
const (
	codeUnknownEvent   = "unknown_event"
	codeNotAllowed     = "not_allowed"
	codeInvalidPayload = "invalid_payload"
	codeInternal       = "internal"
	codeRateLimited    = "rate_limited"
)

// maxDetails bounds the details of one reply: a payload with thousands of
// unknown keys must not buy a reply many times its own size.
const maxDetails = 100

// Error is a machine-readable error. A handler returns one (found with
// errors.As, so it may be wrapped) to send its code and message to the
// client; any other error is logged and the client gets code "internal".
type Error struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Details []Detail `json:"details,omitempty"`
}

// Detail is one problem of an invalid payload. Field is a JSON path relative
// to the payload ("messageText", "author.name", "tags[2]", a map's entry
// "labels.a" or `labels["a b"]` as mapKeyPath writes it; "" is the payload
// itself); Rule uses the events.yaml vocabulary (required, type, unknown,
// minLength, maxLength, min, max, minItems, maxItems, minBytes, maxBytes,
// pattern, enum, format (param email, url, uuid or date-time),
// minProperties, maxProperties, keyPattern).
type Detail struct {
	Field   string `json:"field"`
	Rule    string `json:"rule"`
	Param   string `json:"param,omitempty"`
	Message string `json:"message"`
}

// NewError returns an Error with the given code and message and no details.
func NewError(code, message string) *Error {
	return &Error{Code: code, Message: message}
}

func (e *Error) Error() string {
	if e == nil { // a handler returning a typed nil *Error must not panic the logger
		return "eventwire: <nil Error>"
	}
	s := "eventwire: " + e.Code + ": " + e.Message
	switch len(e.Details) {
	case 0:
		return s
	case 1:
		return s + " (" + e.Details[0].Message + ")"
	}
	return s + " (" + e.Details[0].Message + " and " + strconv.Itoa(len(e.Details)-1) + " more)"
}

func errUnknownEvent() *Error { return NewError(codeUnknownEvent, "unknown event") }

func errNotAllowed() *Error {
	return NewError(codeNotAllowed, "clients may not send this event")
}

// errInternal is what the client learns about a failed or panicking handler;
// the cause goes to the log only.
func errInternal() *Error { return NewError(codeInternal, "internal error") }

func errInvalidPayload(details []Detail) *Error {
	return &Error{Code: codeInvalidPayload, Message: "invalid payload", Details: details}
}

// newDetail builds a Detail with the message text the generated JavaScript
// client uses too, so both sides report a problem identically.
func newDetail(field, rule, param string) Detail {
	return Detail{Field: field, Rule: rule, Param: param, Message: detailMessage(field, rule, param)}
}

// detailTexts are the messages of the events.yaml rules, as the generated
// JavaScript client words them: the field's name, text[0], the rule's
// parameter, text[1]. Read only.
var detailTexts = map[string][2]string{
	"required":  {" is required", ""},
	"type":      {" must be of type ", ""},
	"unknown":   {" is not a known field", ""},
	"minLength": {" must be at least ", " characters"},
	"maxLength": {" must be at most ", " characters"},
	"min":       {" must be at least ", ""},
	"max":       {" must be at most ", ""},
	"minItems":  {" must have at least ", " items"},
	"maxItems":  {" must have at most ", " items"},
	"minBytes":  {" must be at least ", " bytes"},
	"maxBytes":  {" must be at most ", " bytes"},
	"pattern":   {" must match ", ""},
	"enum":      {" must be one of ", ""},
	"format":    {" must be a valid ", ""},

	"minProperties": {" must have at least ", " entries"},
	"maxProperties": {" must have at most ", " entries"},
	"keyPattern":    {" is a key that must match ", ""},
}

func detailMessage(field, rule, param string) string {
	f := field
	if f == "" {
		f = "payload"
	}
	if t, ok := detailTexts[rule]; ok {
		return f + t[0] + param + t[1]
	}
	// A validator tag outside the events.yaml vocabulary (hand-written code).
	return f + " is invalid (" + rule + ")"
}
