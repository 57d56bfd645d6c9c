-- Claims a triggered id for one service, across shards: the id's owner key lives in the shard of
-- the id, not of the service, so the same id arriving again with another project, stage or service
-- (a forged or mangled event) is refused instead of being taken on in another shard.
-- KEYS[1] owner key of the triggered id
-- ARGV[1] service key string  ARGV[2] ttl (ms)
-- Returns 1 when the id is (now, or already) this service's, 0 when another service owns it.
local owner = redis.call('GET', KEYS[1])
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if owner == ARGV[1] then return 1 end
return 0
