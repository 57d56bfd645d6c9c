-- Finishes one pending deployment if it is still pending (and, for the deadline reaper, only
-- once its deadline has passed): removing it is the claim, so of several replicas exactly one
-- enqueues its .finished.
-- KEYS[1] deadlines    deadlines zset
-- KEYS[2] pendingOf    pending zset of its service
-- KEYS[3] pendingData  pending data hash
-- KEYS[4] outbox       outbox hash
-- KEYS[5] due          outbox due zset
-- KEYS[6] recent       recent list
-- ARGV[1] triggeredId  triggered id
-- ARGV[2] now          now (ms)
-- ARGV[3] finished     FinishedResult JSON
-- ARGV[4] recentLimit  recent list length
-- ARGV[5] onlyWhenDue  '1' to require the deadline to have passed, '0' to finish it regardless
-- Returns 1 when this call claimed it, 0 otherwise.
local deadlines = KEYS[1]
local pendingOf = KEYS[2]
local pendingData = KEYS[3]
local outbox = KEYS[4]
local due = KEYS[5]
local recent = KEYS[6]
local triggeredId = ARGV[1]
local now = ARGV[2]
local finished = ARGV[3]
local recentLimit = ARGV[4]
local onlyWhenDue = ARGV[5]

local deadline = redis.call('ZSCORE', deadlines, triggeredId)
if onlyWhenDue == '1' and (not deadline or tonumber(deadline) > tonumber(now)) then
  return 0
end
local json = redis.call('HGET', pendingData, triggeredId)
redis.call('ZREM', deadlines, triggeredId)
redis.call('ZREM', pendingOf, triggeredId)
redis.call('HDEL', pendingData, triggeredId)
if not json then
  return 0
end
local id = 'finished:' .. triggeredId
local entry = '{"id":' .. cjson.encode(id) .. ',"kind":"finished","pending":' .. json .. ',"result":' .. finished .. '}'
redis.call('HSET', outbox, id, entry)
redis.call('ZADD', due, now, id)
redis.call('LPUSH', recent, entry)
redis.call('LTRIM', recent, 0, tonumber(recentLimit) - 1)
return 1
