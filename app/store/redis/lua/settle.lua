-- Settles a leased outbox entry, unless another worker settled it already. Settling a .started
-- releases the .finished of the same triggered id.
-- KEYS[1] outbox hash  KEYS[2] outbox due zset  KEYS[3] dead-letter hash
-- ARGV[1] entry id  ARGV[2] 'ack' | 'retry' | 'dead'  ARGV[3] new entry JSON (retry) or dead letter JSON
-- ARGV[4] due at (retry)
-- Returns 1 when settled by this call, 0 when the entry was gone.
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
-- A .finished held back behind this .started is due at once now.
if string.sub(ARGV[1], 1, 8) == 'started:' then
  local finished = 'finished:' .. string.sub(ARGV[1], 9)
  if redis.call('HEXISTS', KEYS[1], finished) == 1 then
    redis.call('ZADD', KEYS[2], 0, finished)
  end
end
if ARGV[2] == 'dead' then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
end
return 1
