-- Claims a triggered id for one service, across shards: the id's owner key lives in the shard of
-- the id, not of the service, so the same id arriving again with another project, stage or service
-- (a forged or mangled event) is refused instead of being taken on in another shard.
-- KEYS[1] idOwner  owner key of the triggered id
-- ARGV[1] service  service key string
-- ARGV[2] ttlMs    how long the claim is kept (ms)
-- Returns 1 when the id is (now, or already) this service's, 0 when another service owns it.
local idOwner = KEYS[1]
local service = ARGV[1]
local ttlMs = ARGV[2]

local owner = redis.call('GET', idOwner)
if not owner then
  redis.call('SET', idOwner, service, 'PX', ttlMs)
  return 1
end
if owner == service then return 1 end
return 0
