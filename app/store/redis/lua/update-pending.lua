-- Replaces the record of a deployment that is still pending; does nothing once it was claimed.
-- KEYS[1] pending data hash
-- ARGV[1] triggered id  ARGV[2] TriggeredDeployment JSON
-- Returns 1 when updated, 0 when it was no longer pending.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
