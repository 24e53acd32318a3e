package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/eventwire/eventwire/middleware"
)

// logKey is the Redis stream holding the entries of the log the runtime
// names stream. Its hash tag puts it in the slot of metaKey(stream), so one
// script can use both, on Redis Cluster too.
func logKey(stream string) string { return "{" + stream + "}:log" }

// metaKey is the hash holding the epoch, top seq and size of the log the
// runtime names stream.
func metaKey(stream string) string { return "{" + stream + "}:meta" }

// sessionKey is the hash holding the session the runtime names key.
func sessionKey(key string) string { return "{" + key + "}:session" }

// luaLog holds the Lua functions the log scripts share. ensure returns the
// log's epoch, making the log anew under the epoch candidate when its meta
// hash is missing (a stream without its meta is of a lost epoch: it goes).
// now is Redis's clock in milliseconds. trim drops the oldest entries while
// the log is over one of its limits (a limit ≤ 0 bounds nothing); each
// entry is dropped once, so it costs O(1) per append, amortised.
const luaLog = `
local function ensure(log, meta, candidate)
  if redis.call('HSETNX', meta, 'epoch', candidate) == 1 then
    redis.call('DEL', log)
    redis.call('HSET', meta, 'top', 0, 'bytes', 0)
    return candidate
  end
  return redis.call('HGET', meta, 'epoch')
end

local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function trim(log, meta, maxEntries, maxBytes, maxAge, at)
  while true do
    local n = redis.call('XLEN', log)
    if n == 0 then
      redis.call('HSET', meta, 'bytes', 0)
      return
    end
    local oldest = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)[1]
    local m, t = '', at
    local fields = oldest[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'm' then m = fields[i + 1] elseif fields[i] == 't' then t = tonumber(fields[i + 1]) or at end
    end
    local bytes = tonumber(redis.call('HGET', meta, 'bytes') or '0') or 0
    if not ((maxEntries > 0 and n > maxEntries) or (maxBytes > 0 and bytes > maxBytes) or (maxAge > 0 and t < at - maxAge)) then
      return
    end
    redis.call('XDEL', log, oldest[1])
    redis.call('HINCRBY', meta, 'bytes', -#m)
  end
end
`

// appendScript appends ARGV[6:] to the log under the next seqs, publishes
// each entry on the channel ARGV[5] ("<epoch> <seq> <msg>") and trims.
// KEYS[3] is the batch's own key: a batch go-redis sends again (its reply
// was lost with the connection, after the script ran) finds it and appends
// nothing, so no entry is logged twice.
// KEYS: log, meta, batch. ARGV: epoch candidate, max entries, max bytes,
// max age (ms), channel, msgs…
var appendScript = goredis.NewScript(luaLog + `
local log, meta = KEYS[1], KEYS[2]
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', 30000) then
  return 0
end
local epoch = ensure(log, meta, ARGV[1])
local at = now()
local stamp = string.format('%d', at)
for i = 6, #ARGV do
  local seq = string.format('%d', redis.call('HINCRBY', meta, 'top', 1))
  redis.call('XADD', log, seq .. '-0', 'm', ARGV[i], 't', stamp)
  redis.call('HINCRBY', meta, 'bytes', #ARGV[i])
  redis.call('PUBLISH', ARGV[5], epoch .. ' ' .. seq .. ' ' .. ARGV[i])
end
trim(log, meta, tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), at)
return 1
`)

// readScript trims the log (so that entries past the age limit count as
// gone) and returns {epoch, first, last, seq, msg, seq, msg, …}: the
// entries after seq ARGV[5], at most ARGV[6] of them.
// KEYS: log, meta. ARGV: epoch candidate, max entries, max bytes, max age
// (ms), after, limit.
var readScript = goredis.NewScript(luaLog + `
local log, meta = KEYS[1], KEYS[2]
local epoch = ensure(log, meta, ARGV[1])
trim(log, meta, tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), now())
local top = redis.call('HGET', meta, 'top') or '0'
local first = string.format('%d', (tonumber(top) or 0) + 1)
local oldest = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)[1]
if oldest then
  first = string.match(oldest[1], '^(%d+)-')
end
local reply = {epoch, first, top}
local limit = tonumber(ARGV[6])
if limit > 0 then
  for _, e in ipairs(redis.call('XRANGE', log, '(' .. ARGV[5] .. '-0', '+', 'COUNT', limit)) do
    local m = ''
    for i = 1, #e[2], 2 do
      if e[2][i] == 'm' then m = e[2][i + 1] end
    end
    reply[#reply + 1] = string.match(e[1], '^(%d+)-')
    reply[#reply + 1] = m
  end
end
return reply
`)

// SubscribeLogs implements middleware.RecoveryAdapter. It subscribes to the
// channels named streams (plain PUBLISH/SUBSCRIBE, on a connection of its
// own) before it reads the logs' states, and drops what was published in
// between (entries the states already count), so the entries it hands over
// are exactly those appended after it returns.
func (a *Adapter) SubscribeLogs(ctx context.Context, streams []string, limits middleware.LogLimits, deliver func(stream string, e middleware.LogEntry)) ([]middleware.LogState, error) {
	if err := a.canSubscribe(&a.logSub, "SubscribeLogs"); err != nil {
		return nil, err
	}
	for _, stream := range streams {
		if stream == "" {
			return nil, errors.New("eventwire: redis adapter: SubscribeLogs: an empty stream name")
		}
	}
	s, err := subscribe(ctx, a.client, streams)
	if err != nil {
		return nil, err
	}
	states := make([]middleware.LogState, len(streams))
	known := make(map[string]middleware.LogState, len(streams))
	for i, stream := range streams {
		st, _, err := a.readLog(ctx, stream, 0, 0, limits)
		if err != nil {
			s.close()
			return nil, err
		}
		states[i], known[stream] = st, st
	}
	err = a.start(&a.logSub, "SubscribeLogs", s, func(m *goredis.Message) {
		e, ok := parseEntry(m.Payload)
		if !ok {
			return // not an entry: nothing to hand over
		}
		if st := known[m.Channel]; e.Epoch == st.Epoch && e.Seq <= st.Last {
			return // appended before SubscribeLogs read the state
		}
		deliver(m.Channel, e)
	})
	if err != nil {
		return nil, err
	}
	a.limits.Store(&limits)
	return states, nil
}

// parseEntry parses a live entry, "<epoch> <seq> <msg>".
func parseEntry(payload string) (middleware.LogEntry, bool) {
	epoch, rest, ok := strings.Cut(payload, " ")
	if !ok || epoch == "" {
		return middleware.LogEntry{}, false
	}
	seq, msg, ok := strings.Cut(rest, " ")
	if !ok {
		return middleware.LogEntry{}, false
	}
	n, err := strconv.ParseUint(seq, 10, 64)
	if err != nil || n == 0 {
		return middleware.LogEntry{}, false
	}
	return middleware.LogEntry{Epoch: epoch, Seq: n, Msg: []byte(msg)}, true
}

// AppendLog implements middleware.RecoveryAdapter with one script: the
// entries get their seqs, are published live and the log is trimmed, all
// at once. go-redis retries a command whose connection broke; the batch key
// makes a retry of a script that had run append nothing.
func (a *Adapter) AppendLog(ctx context.Context, stream string, msgs [][]byte) error {
	if len(msgs) == 0 {
		return nil
	}
	limits, err := a.logLimits("AppendLog", stream)
	if err != nil {
		return err
	}
	args := make([]any, 0, 5+len(msgs))
	args = append(args, limitArgs(limits)...)
	args = append(args, stream)
	for _, m := range msgs {
		args = append(args, m)
	}
	if err := a.appendBatch(ctx, stream, newEpoch(), args); err != nil {
		return fmt.Errorf("eventwire: redis adapter: AppendLog %s: %w", stream, err)
	}
	return nil
}

// appendBatch runs appendScript for the batch named id (random: this
// call's, retried by go-redis or not).
func (a *Adapter) appendBatch(ctx context.Context, stream, id string, args []any) error {
	keys := []string{logKey(stream), metaKey(stream), "{" + stream + "}:batch:" + id}
	return appendScript.Run(ctx, a.client, keys, args...).Err()
}

// ReadLog implements middleware.RecoveryAdapter with one script. Entries
// older than the age limit count as trimmed: ReadLog trims them first.
func (a *Adapter) ReadLog(ctx context.Context, stream string, after uint64, limit int) (middleware.LogState, []middleware.LogEntry, error) {
	limits, err := a.logLimits("ReadLog", stream)
	if err != nil {
		return middleware.LogState{}, nil, err
	}
	return a.readLog(ctx, stream, after, limit, limits)
}

// logLimits returns the limits SubscribeLogs stored.
func (a *Adapter) logLimits(method, stream string) (middleware.LogLimits, error) {
	switch limits := a.limits.Load(); {
	case stream == "":
		return middleware.LogLimits{}, fmt.Errorf("eventwire: redis adapter: %s: an empty stream name", method)
	case limits == nil:
		return middleware.LogLimits{}, fmt.Errorf("eventwire: redis adapter: %s %s before SubscribeLogs", method, stream)
	default:
		return *limits, nil
	}
}

// limitArgs returns the scripts' first arguments: a new epoch candidate
// and limits.
func limitArgs(limits middleware.LogLimits) []any {
	age := limits.MaxAge.Milliseconds()
	if limits.MaxAge > 0 && age == 0 {
		age = 1
	}
	return []any{newEpoch(), limits.MaxEntries, limits.MaxBytes, age}
}

// newEpoch returns a random epoch: 16 hex digits, no space.
func newEpoch() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// readLog runs readScript under limits and parses its reply.
func (a *Adapter) readLog(ctx context.Context, stream string, after uint64, limit int, limits middleware.LogLimits) (middleware.LogState, []middleware.LogEntry, error) {
	args := append(limitArgs(limits), strconv.FormatUint(after, 10), max(limit, 0))
	reply, err := readScript.Run(ctx, a.client, []string{logKey(stream), metaKey(stream)}, args...).Slice()
	if err != nil {
		return middleware.LogState{}, nil, fmt.Errorf("eventwire: redis adapter: ReadLog %s: %w", stream, err)
	}
	st, entries, err := parseRead(reply)
	if err != nil {
		return middleware.LogState{}, nil, fmt.Errorf("eventwire: redis adapter: ReadLog %s: %w", stream, err)
	}
	return st, entries, nil
}

// parseRead parses readScript's reply.
func parseRead(reply []any) (middleware.LogState, []middleware.LogEntry, error) {
	if len(reply) < 3 || len(reply)%2 != 1 {
		return middleware.LogState{}, nil, fmt.Errorf("a reply of %d elements", len(reply))
	}
	var strs [3]string
	var nums [2]uint64
	for i := range strs {
		s, ok := reply[i].(string)
		if !ok {
			return middleware.LogState{}, nil, fmt.Errorf("reply element %d is %T, not a string", i, reply[i])
		}
		strs[i] = s
	}
	for i := range nums {
		n, err := strconv.ParseUint(strs[i+1], 10, 64)
		if err != nil {
			return middleware.LogState{}, nil, fmt.Errorf("reply element %d: %w", i+1, err)
		}
		nums[i] = n
	}
	st := middleware.LogState{Epoch: strs[0], First: nums[0], Last: nums[1]}
	entries := make([]middleware.LogEntry, 0, (len(reply)-3)/2)
	for i := 3; i < len(reply); i += 2 {
		seq, ok1 := reply[i].(string)
		msg, ok2 := reply[i+1].(string)
		if !ok1 || !ok2 {
			return middleware.LogState{}, nil, fmt.Errorf("entry %d is %T %T, not two strings", len(entries), reply[i], reply[i+1])
		}
		n, err := strconv.ParseUint(seq, 10, 64)
		if err != nil {
			return middleware.LogState{}, nil, fmt.Errorf("entry %d: %w", len(entries), err)
		}
		entries = append(entries, middleware.LogEntry{Epoch: st.Epoch, Seq: n, Msg: []byte(msg)})
	}
	return st, entries, nil
}

// The session scripts. A session is a hash of its owner and value, which
// expires after its ttl. KEYS: the session.
var (
	// putScript: ARGV owner, value, ttl (ms); 1 when stored, 0 when another
	// owner holds the session.
	putScript = goredis.NewScript(`
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'value', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)
	// takeScript: ARGV owner, ttl (ms); the value, or nil (and nothing
	// stored) when there is none.
	takeScript = goredis.NewScript(`
local value = redis.call('HGET', KEYS[1], 'value')
if not value then return false end
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return value
`)
	// deleteScript: ARGV owner; deletes the session if owner holds it.
	deleteScript = goredis.NewScript(`
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)
)

// PutSession implements middleware.RecoveryAdapter.
func (a *Adapter) PutSession(ctx context.Context, key, owner string, value []byte, ttl time.Duration) (bool, error) {
	ms, err := ttlMillis("PutSession", key, ttl)
	if err != nil {
		return false, err
	}
	n, err := putScript.Run(ctx, a.client, []string{sessionKey(key)}, owner, value, ms).Int64()
	if err != nil {
		return false, fmt.Errorf("eventwire: redis adapter: PutSession %s: %w", key, err)
	}
	return n == 1, nil
}

// TakeSession implements middleware.RecoveryAdapter.
func (a *Adapter) TakeSession(ctx context.Context, key, owner string, ttl time.Duration) ([]byte, error) {
	ms, err := ttlMillis("TakeSession", key, ttl)
	if err != nil {
		return nil, err
	}
	v, err := takeScript.Run(ctx, a.client, []string{sessionKey(key)}, owner, ms).Text()
	switch {
	case errors.Is(err, goredis.Nil):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("eventwire: redis adapter: TakeSession %s: %w", key, err)
	}
	return []byte(v), nil
}

// DeleteSession implements middleware.RecoveryAdapter.
func (a *Adapter) DeleteSession(ctx context.Context, key, owner string) error {
	if err := deleteScript.Run(ctx, a.client, []string{sessionKey(key)}, owner).Err(); err != nil {
		return fmt.Errorf("eventwire: redis adapter: DeleteSession %s: %w", key, err)
	}
	return nil
}

// ttlMillis returns ttl in milliseconds, at least 1.
func ttlMillis(method, key string, ttl time.Duration) (int64, error) {
	if ttl <= 0 {
		return 0, fmt.Errorf("eventwire: redis adapter: %s %s: ttl %v is not positive", method, key, ttl)
	}
	return max(ttl.Milliseconds(), 1), nil
}
