-- Settles a leased outbox entry, unless another worker settled it already. Settling a .started
-- releases the .finished of the same triggered id. A .started Keptn refused for good takes its
-- deployment with it: a .finished without its .started would leave Keptn's task stuck, so the
-- deployment is no longer pending and a .finished already queued is dead-lettered too.
-- KEYS[1] outbox           outbox hash
-- KEYS[2] due              outbox due zset
-- KEYS[3] dead             dead-letter hash
-- KEYS[4] deadAt           dead letters by time
-- KEYS[5] pendingOf        pending zset of the entry's service
-- KEYS[6] pendingData      pending data hash
-- KEYS[7] deadlines        deadlines zset
-- KEYS[8] leases           lease counts (see lease.lua): settled entries start again from 0
-- ARGV[1] entryId          entry id
-- ARGV[2] how              'ack' | 'retry' | 'dead'
-- ARGV[3] json             new entry JSON (retry) or dead letter JSON (dead)
-- ARGV[4] at               due at (retry) or dead at (dead)
-- ARGV[5] deadLetterLimit  dead letters kept per shard
-- Returns 1 when settled by this call, 0 when the entry was gone.
local outbox = KEYS[1]
local due = KEYS[2]
local dead = KEYS[3]
local deadAt = KEYS[4]
local pendingOf = KEYS[5]
local pendingData = KEYS[6]
local deadlines = KEYS[7]
local leases = KEYS[8]
local entryId = ARGV[1]
local how = ARGV[2]
local json = ARGV[3]
local at = ARGV[4]
local deadLetterLimit = ARGV[5]

redis.call('HDEL', leases, entryId)
if redis.call('HEXISTS', outbox, entryId) == 0 then
  return 0
end
if how == 'retry' then
  redis.call('HSET', outbox, entryId, json)
  redis.call('ZADD', due, at, entryId)
  return 1
end
redis.call('HDEL', outbox, entryId)
redis.call('ZREM', due, entryId)
local tid = string.sub(entryId, 1, 8) == 'started:' and string.sub(entryId, 9) or nil
local finished = tid and ('finished:' .. tid)
if how ~= 'dead' then
  -- A .finished held back behind this .started is due at once now.
  if finished and redis.call('HEXISTS', outbox, finished) == 1 then
    redis.call('ZADD', due, 0, finished)
  end
  return 1
end
local function bury (id, letter)
  redis.call('HSET', dead, id, letter)
  redis.call('ZADD', deadAt, at, id)
end
bury(entryId, json)
if tid then
  redis.call('ZREM', pendingOf, tid)
  redis.call('HDEL', pendingData, tid)
  redis.call('ZREM', deadlines, tid)
  local entry = redis.call('HGET', outbox, finished)
  if entry then
    redis.call('HDEL', leases, finished)
    redis.call('HDEL', outbox, finished)
    redis.call('ZREM', due, finished)
    bury(finished, '{"entry":' .. entry .. ',"attempts":[{"at":' .. at ..
      ',"message":"not sent: Keptn refused its .started"}],"deadAt":' .. at .. '}')
  end
end
-- Only the newest dead letters are kept.
local over = redis.call('ZCARD', deadAt) - tonumber(deadLetterLimit)
if over > 0 then
  local oldest = redis.call('ZRANGE', deadAt, 0, over - 1)
  redis.call('HDEL', dead, unpack(oldest))
  redis.call('ZREMRANGEBYRANK', deadAt, 0, over - 1)
end
return 1
