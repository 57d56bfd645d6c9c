-- Settles a leased outbox entry, unless another worker settled it already. Settling a .started
-- releases the .finished of the same triggered id. A .started Keptn refused for good takes its
-- deployment with it: a .finished without its .started would leave Keptn's task stuck, so the
-- deployment is no longer pending and a .finished already queued is dead-lettered too.
-- KEYS[1] outbox hash  KEYS[2] outbox due zset  KEYS[3] dead-letter hash  KEYS[4] dead letters by time
-- KEYS[5] pending zset of the entry's service  KEYS[6] pending data hash  KEYS[7] deadlines zset
-- KEYS[8] lease counts (see lease.lua): settled entries start again from 0
-- ARGV[1] entry id  ARGV[2] 'ack' | 'retry' | 'dead'  ARGV[3] new entry JSON (retry) or dead letter JSON
-- ARGV[4] due at (retry) or dead at (dead)  ARGV[5] dead letters kept per shard
-- Returns 1 when settled by this call, 0 when the entry was gone.
redis.call('HDEL', KEYS[8], ARGV[1])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
if ARGV[2] == 'retry' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
  return 1
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local tid = string.sub(ARGV[1], 1, 8) == 'started:' and string.sub(ARGV[1], 9) or nil
local finished = tid and ('finished:' .. tid)
if ARGV[2] ~= 'dead' then
  -- A .finished held back behind this .started is due at once now.
  if finished and redis.call('HEXISTS', KEYS[1], finished) == 1 then
    redis.call('ZADD', KEYS[2], 0, finished)
  end
  return 1
end
local function bury (id, letter)
  redis.call('HSET', KEYS[3], id, letter)
  redis.call('ZADD', KEYS[4], ARGV[4], id)
end
bury(ARGV[1], ARGV[3])
if tid then
  redis.call('ZREM', KEYS[5], tid)
  redis.call('HDEL', KEYS[6], tid)
  redis.call('ZREM', KEYS[7], tid)
  local entry = redis.call('HGET', KEYS[1], finished)
  if entry then
    redis.call('HDEL', KEYS[8], finished)
    redis.call('HDEL', KEYS[1], finished)
    redis.call('ZREM', KEYS[2], finished)
    bury(finished, '{"entry":' .. entry .. ',"attempts":[{"at":' .. ARGV[4] ..
      ',"message":"not sent: Keptn refused its .started"}],"deadAt":' .. ARGV[4] .. '}')
  end
end
-- Only the newest dead letters are kept. Those from before this index are indexed once, as oldest.
if redis.call('HLEN', KEYS[3]) > redis.call('ZCARD', KEYS[4]) then
  for _, id in ipairs(redis.call('HKEYS', KEYS[3])) do redis.call('ZADD', KEYS[4], 'NX', 0, id) end
end
local over = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[5])
if over > 0 then
  local oldest = redis.call('ZRANGE', KEYS[4], 0, over - 1)
  redis.call('HDEL', KEYS[3], unpack(oldest))
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, over - 1)
end
return 1
