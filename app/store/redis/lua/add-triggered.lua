-- Takes a triggered deployment on, once per triggered id, and enqueues its .started.
-- KEYS[1] seen marker of the triggered id   KEYS[2] pending zset of its service
-- KEYS[3] pending data hash                 KEYS[4] deadlines zset
-- KEYS[5] outbox hash                       KEYS[6] outbox due zset
-- ARGV[1] triggered id  ARGV[2] TriggeredDeployment JSON  ARGV[3] received at (ms)
-- ARGV[4] deadline (ms) ARGV[5] retention (ms)             ARGV[6] now (ms)
-- Returns 1 when taken on, 0 when the id was seen before.
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[5]) then
  return 0
end
local tid = ARGV[1]
local id = 'started:' .. tid
redis.call('ZADD', KEYS[2], ARGV[3], tid)
redis.call('HSET', KEYS[3], tid, ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[4], tid)
redis.call('HSET', KEYS[5], id, '{"id":' .. cjson.encode(id) .. ',"kind":"started","pending":' .. ARGV[2] .. '}')
redis.call('ZADD', KEYS[6], ARGV[6], id)
return 1
