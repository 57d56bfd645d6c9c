-- Replaces the record of a deployment that is still pending; does nothing once it was claimed.
-- KEYS[1] pendingData  pending data hash
-- ARGV[1] triggeredId  triggered id
-- ARGV[2] deployment   TriggeredDeployment JSON
-- Returns 1 when updated, 0 when it was no longer pending.
local pendingData = KEYS[1]
local triggeredId = ARGV[1]
local deployment = ARGV[2]

if redis.call('HEXISTS', pendingData, triggeredId) == 0 then
  return 0
end
redis.call('HSET', pendingData, triggeredId, deployment)
return 1
