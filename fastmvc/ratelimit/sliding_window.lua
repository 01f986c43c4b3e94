-- Sliding-window log over several windows, checked and recorded in one call.
--
-- KEYS[i]            one sorted set per window; member = unique hit id, score = hit time (µs)
-- ARGV[1]            a hit id unique among the app processes (random + counter)
-- ARGV[2]            key expiry in milliseconds (the longest window)
-- ARGV[1 + 2i]       limit of KEYS[i]
-- ARGV[2 + 2i]       window of KEYS[i] in microseconds
--
-- The hit id is the member of every set, so the call is idempotent: when the
-- client retries it after a lost reply (a socket timeout under load), the
-- retry finds its own first attempt and answers "allowed" again instead of
-- counting the hit twice.
--
-- Returns {allowed, then for each window: count, reset, retry}, where count is
-- the number of hits in the window after this call, reset the µs until its
-- oldest hit leaves, and retry the µs until a refusing window has room (-1
-- when the window did not refuse). Times come from the server's clock, so
-- every app process agrees on them. Needs Redis 5 or later, where scripts are
-- replicated by their effects, so reading TIME before writing is allowed.

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local member = ARGV[1]
local replayed = redis.call('ZSCORE', KEYS[1], member) ~= false
local counts = {}
local allowed = 1

for i = 1, #KEYS do
    local limit = tonumber(ARGV[1 + 2 * i])
    local window = tonumber(ARGV[2 + 2 * i])
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
    counts[i] = redis.call('ZCARD', KEYS[i])
    if counts[i] >= limit and not replayed then
        allowed = 0
    end
end

local reply = {allowed}

for i = 1, #KEYS do
    local limit = tonumber(ARGV[1 + 2 * i])
    local window = tonumber(ARGV[2 + 2 * i])
    local count = counts[i]
    if allowed == 1 and not replayed then
        redis.call('ZADD', KEYS[i], now, member)
        count = count + 1
    end
    local reset = window
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    if oldest[2] then
        reset = tonumber(oldest[2]) + window - now
    end
    local retry = -1
    if allowed == 0 and count >= limit then
        local blocking = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
        retry = tonumber(blocking[2]) + window - now
    end
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    reply[#reply + 1] = count
    reply[#reply + 1] = reset
    reply[#reply + 1] = retry
end

return reply
