//! The Lua scripts, kept apart from the Rust that calls them because they are the store's
//! atomicity contract: each one does, in a single round trip that no other client can interleave
//! with, what would otherwise be a race between processes (releasing a lock someone else took
//! over, two calls both seeing budget left, a user's pending flows growing past the cap). Each
//! names only keys that share one hash slot, so it runs on a Redis Cluster too.

/// Deletes a lock only if it still holds the caller's token, so a holder whose lock expired and
/// was taken by someone else does not release the new holder's lock.
pub(super) const UNLOCK_SCRIPT: &str = r#"
if redis.call("GET", KEYS[1]) == ARGV[1] then
    return redis.call("DEL", KEYS[1])
else
    return 0
end
"#;

/// One sliding-window step (`integration_core::budget::sliding_window`), atomically: `KEYS[1]`
/// is a sorted set of the calls admitted in the last window, scored by their time in
/// microseconds of Redis's own clock (`TIME`, so replicas with skewed clocks agree; Redis 5+
/// replicates the script's effects, not the script), `KEYS[2]` the time until which the budget
/// is held. `ARGV[1]` is the window in microseconds, `ARGV[2]` the calls it admits to this
/// caller. Returns 0 when the call is admitted (and recorded), else the microseconds to wait.
/// The set expires a window after its last call, so idle budgets vanish. Every key shares the
/// account's hash tag, so the script runs on the Redis Cluster node that owns it.
///
/// With `ARGV[4]` = `1` (a background call of party `ARGV[3]`), parties take turns
/// (`integration_core::budget::fair_turn`): `KEYS[3]` is a hash of each party's admitted calls,
/// `KEYS[4]` a sorted set of when each was last seen (parties unseen for two windows are
/// forgotten), `KEYS[5]` a sorted set of the parties waiting for a slot, scored by until when
/// they count as waiting (their wait plus `ARGV[6]` µs of slack; a party just admitted, for
/// `ARGV[5]` µs, a slot's share of the window, so that one asking between pages keeps its turn
/// from parties that ask more often). A free slot goes to the caller only if no waiting party
/// was served less; otherwise it waits `ARGV[5]` µs.
pub(super) const BUDGET_SCRIPT: &str = r#"
if redis.replicate_commands then redis.replicate_commands() end
local window = tonumber(ARGV[1])
local allowed = tonumber(ARGV[2])
local party = ARGV[3]
local fair = ARGV[4] == "1"
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local held = tonumber(redis.call("GET", KEYS[2]) or "0") or 0
if held > now then
    return held - now
end
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", string.format("%.0f", now - window))
local count = redis.call("ZCARD", KEYS[1])
local wait = 0
if count >= allowed then
    local blocking = redis.call("ZRANGE", KEYS[1], count - allowed, count - allowed, "WITHSCORES")
    wait = math.max(tonumber(blocking[2]) + window - now, 1)
end
if fair then
    local forget = string.format("%.0f", now - 2 * window)
    for _, gone in ipairs(redis.call("ZRANGEBYSCORE", KEYS[4], "-inf", forget)) do
        redis.call("HDEL", KEYS[3], gone)
    end
    redis.call("ZREMRANGEBYSCORE", KEYS[4], "-inf", forget)
    redis.call("ZREMRANGEBYSCORE", KEYS[5], "-inf", string.format("%.0f", now))
    local served = tonumber(redis.call("HGET", KEYS[3], party) or "")
    if served == nil then
        local all = redis.call("HGETALL", KEYS[3])
        for i = 1, #all, 2 do
            local other = tonumber(all[i + 1])
            if all[i] ~= party and (served == nil or other < served) then
                served = other
            end
        end
        served = served or 0
    end
    local turn = true
    for _, other in ipairs(redis.call("ZRANGE", KEYS[5], 0, -1)) do
        local theirs = tonumber(redis.call("HGET", KEYS[3], other) or "")
        if other ~= party and theirs ~= nil and theirs < served then
            turn = false
            break
        end
    end
    if wait == 0 and not turn then
        wait = tonumber(ARGV[5])
    end
    if wait == 0 then
        served = served + 1
        redis.call("ZADD", KEYS[5], string.format("%.0f", now + tonumber(ARGV[5])), party)
    else
        redis.call("ZADD", KEYS[5], string.format("%.0f", now + wait + tonumber(ARGV[6])), party)
    end
    redis.call("HSET", KEYS[3], party, string.format("%.0f", served))
    redis.call("ZADD", KEYS[4], string.format("%.0f", now), party)
    local keep = math.floor(2 * window / 1000) + 1
    for i = 3, 5 do
        redis.call("PEXPIRE", KEYS[i], keep)
    end
end
if wait > 0 then
    return wait
end
redis.call("ZADD", KEYS[1], string.format("%.0f", now), string.format("%.0f:%d", now, count))
redis.call("PEXPIRE", KEYS[1], math.floor(window / 1000) + 1)
return 0
"#;

/// Holds a budget (`KEYS[1]`, its hold key) until at least `now + ARGV[1]` microseconds (never
/// shortens a hold).
pub(super) const HOLD_SCRIPT: &str = r#"
if redis.replicate_commands then redis.replicate_commands() end
local hold = tonumber(ARGV[1])
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local target = now + hold
local stored = tonumber(redis.call("GET", KEYS[1]) or "0") or 0
if stored < target then
    redis.call("SET", KEYS[1], string.format("%.0f", target), "PX", math.floor(hold / 1000) + 1)
end
return 0
"#;

/// Stores a pending authorization and keeps at most `ARGV[3]` of its user's, atomically.
/// `KEYS[1]` is the state's key, `KEYS[2]` the user's index: a sorted set of their pending states,
/// scored by order of arrival. Members whose key is gone (taken or expired) are forgotten first;
/// then the oldest beyond the cap are deleted with their keys. `ARGV[5]` is what precedes a
/// state in its key: every key touched shares the `{…oauth}` hash tag of `KEYS`, so in a Redis
/// Cluster they all live in one slot and the script may name them. Returns how many were dropped.
pub(super) const PUT_STATE_SCRIPT: &str = r#"
local index = KEYS[2]
local ttl = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
for _, member in ipairs(redis.call("ZRANGE", index, 0, -1)) do
    if redis.call("EXISTS", ARGV[5] .. member) == 0 then
        redis.call("ZREM", index, member)
    end
end
local newest = redis.call("ZRANGE", index, -1, -1, "WITHSCORES")
local seq = 1
if newest[2] then
    seq = tonumber(newest[2]) + 1
end
redis.call("SET", KEYS[1], ARGV[1], "PX", ttl)
redis.call("ZADD", index, seq, ARGV[4])
if redis.call("PTTL", index) < ttl then
    redis.call("PEXPIRE", index, ttl)
end
local dropped = 0
local excess = redis.call("ZCARD", index) - max
if excess > 0 then
    for _, member in ipairs(redis.call("ZRANGE", index, 0, excess - 1)) do
        redis.call("DEL", ARGV[5] .. member)
        redis.call("ZREM", index, member)
        dropped = dropped + 1
    end
end
return dropped
"#;

/// Appends a batch of provider events to an account's log, each once: `KEYS[1]` is the log (a
/// Stream), `KEYS[2]` a sorted set of the identities stored within the dedupe window, scored by
/// when (milliseconds of Redis's clock). `ARGV[1]` is that window in milliseconds, `ARGV[2]` the
/// events the log keeps (trimmed approximately, a whole node at a time, as `MAXLEN ~` does), then
/// identity and payload pairs. Returns how many were stored. One script, so a redelivery racing
/// the first delivery on another replica is still stored once; both keys share the account's
/// hash tag.
pub(super) const APPEND_EVENTS_SCRIPT: &str = r#"
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local window = tonumber(ARGV[1])
local keep = tonumber(ARGV[2])
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", now - window)
local stored = 0
for i = 3, #ARGV, 2 do
    if redis.call("ZADD", KEYS[2], "NX", now, ARGV[i]) == 1 then
        redis.call("XADD", KEYS[1], "MAXLEN", "~", keep, "*", "e", ARGV[i + 1])
        stored = stored + 1
    end
end
local excess = redis.call("ZCARD", KEYS[2]) - 2 * keep
if excess > 0 then
    redis.call("ZREMRANGEBYRANK", KEYS[2], 0, excess - 1)
end
redis.call("PEXPIRE", KEYS[2], window)
return stored
"#;
