-- Claims the Git write of a pending deployment for a while, so one replica at a time writes it:
-- only while it is still pending, nothing was pushed for it yet, and no one (the owner included)
-- holds the claim. The claim marker holds its owner: only the owner renews it (renew-git-write.lua).
-- KEYS[1] pendingData  pending data hash
-- KEYS[2] gitClaim     claim marker of the triggered id
-- ARGV[1] triggeredId  triggered id
-- ARGV[2] owner        the claiming writer's id
-- ARGV[3] leaseMs      lease (ms)
-- Returns the pending record (JSON) when claimed, nil otherwise.
local pendingData = KEYS[1]
local gitClaim = KEYS[2]
local triggeredId = ARGV[1]
local owner = ARGV[2]
local leaseMs = ARGV[3]

local json = redis.call('HGET', pendingData, triggeredId)
if not json then
  return false
end
local ok, td = pcall(cjson.decode, json)
if ok and type(td) == 'table' and type(td.pushed) == 'string' then
  return false
end
if not redis.call('SET', gitClaim, owner, 'NX', 'PX', leaseMs) then
  return false
end
return json
