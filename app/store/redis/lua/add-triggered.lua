-- Takes a triggered deployment on, once per triggered id, and enqueues its .started.
-- KEYS[1] seenTriggered  seen marker of the triggered id
-- KEYS[2] pendingOf      pending zset of its service
-- KEYS[3] pendingData    pending data hash
-- KEYS[4] deadlines      deadlines zset
-- KEYS[5] outbox         outbox hash
-- KEYS[6] due            outbox due zset
-- ARGV[1] triggeredId    triggered id
-- ARGV[2] deployment     TriggeredDeployment JSON
-- ARGV[3] receivedAt     received at (ms)
-- ARGV[4] deadline       deadline (ms)
-- ARGV[5] retentionMs    how long the seen marker is kept (ms)
-- ARGV[6] now            now (ms)
-- Returns 1 when taken on, 0 when the id was seen before.
local seenTriggered = KEYS[1]
local pendingOf = KEYS[2]
local pendingData = KEYS[3]
local deadlines = KEYS[4]
local outbox = KEYS[5]
local due = KEYS[6]
local triggeredId = ARGV[1]
local deployment = ARGV[2]
local receivedAt = ARGV[3]
local deadline = ARGV[4]
local retentionMs = ARGV[5]
local now = ARGV[6]

if not redis.call('SET', seenTriggered, '1', 'NX', 'PX', retentionMs) then
  return 0
end
local id = 'started:' .. triggeredId
redis.call('ZADD', pendingOf, receivedAt, triggeredId)
redis.call('HSET', pendingData, triggeredId, deployment)
redis.call('ZADD', deadlines, deadline, triggeredId)
redis.call('HSET', outbox, id, '{"id":' .. cjson.encode(id) .. ',"kind":"started","pending":' .. deployment .. '}')
redis.call('ZADD', due, now, id)
return 1
