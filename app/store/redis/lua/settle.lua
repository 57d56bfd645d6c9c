-- Settles a leased outbox entry, unless another worker settled it already.
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
if ARGV[2] == 'dead' then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
end
return 1
