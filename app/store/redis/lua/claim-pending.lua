-- Finishes one pending deployment if it is still pending (and, for the deadline reaper, only
-- once its deadline has passed): removing it is the claim, so of several replicas exactly one
-- enqueues its .finished.
-- KEYS[1] deadlines zset  KEYS[2] pending zset of its service  KEYS[3] pending data hash
-- KEYS[4] outbox hash     KEYS[5] outbox due zset              KEYS[6] recent list
-- ARGV[1] triggered id  ARGV[2] now  ARGV[3] FinishedResult JSON  ARGV[4] recent list length
-- ARGV[5] '1' to require the deadline to have passed, '0' to finish it regardless
-- Returns 1 when this call claimed it, 0 otherwise.
local deadline = redis.call('ZSCORE', KEYS[1], ARGV[1])
if ARGV[5] == '1' and (not deadline or tonumber(deadline) > tonumber(ARGV[2])) then
  return 0
end
local json = redis.call('HGET', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if not json then
  return 0
end
local id = 'finished:' .. ARGV[1]
local entry = '{"id":' .. cjson.encode(id) .. ',"kind":"finished","pending":' .. json .. ',"result":' .. ARGV[3] .. '}'
redis.call('HSET', KEYS[4], id, entry)
redis.call('ZADD', KEYS[5], ARGV[2], id)
redis.call('LPUSH', KEYS[6], entry)
redis.call('LTRIM', KEYS[6], 0, tonumber(ARGV[4]) - 1)
return 1
