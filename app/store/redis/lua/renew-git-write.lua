-- Extends a Git write claim (see claim-git-write.lua), only for its owner: a claim that ran out,
-- or that another writer took since, is not extended (nor taken).
-- KEYS[1] gitClaim  claim marker of the triggered id
-- ARGV[1] owner     the renewing writer's id
-- ARGV[2] leaseMs   lease from now (ms)
-- Returns 1 when extended, 0 when the claim is not (or no longer) the owner's.
local gitClaim = KEYS[1]
local owner = ARGV[1]
local leaseMs = ARGV[2]

if redis.call('GET', gitClaim) ~= owner then
  return 0
end
redis.call('PEXPIRE', gitClaim, leaseMs)
return 1
