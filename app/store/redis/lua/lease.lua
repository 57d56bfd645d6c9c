-- Leases due outbox entries: each one leased is hidden for leaseMs; if its worker dies without
-- settling it, it becomes due again and another replica takes it over.
-- A .finished waits while the .started of the same triggered id is still in the outbox.
-- KEYS[1] outbox   outbox hash
-- KEYS[2] due      outbox due zset
-- KEYS[3] leases   lease counts (settling clears an entry's)
-- ARGV[1] now      now (ms)
-- ARGV[2] leaseMs  lease (ms)
-- ARGV[3] limit    most entries leased
-- Returns the leased entries' JSON, each followed by how often it was leased since it was last
-- settled: above 1, a worker that held it went away mid-delivery (its event may have landed).
local outbox = KEYS[1]
local due = KEYS[2]
local leases = KEYS[3]
local now = tonumber(ARGV[1])
local leaseMs = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])

local leased = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, limit * 2)) do
  if #leased >= 2 * limit then break end
  local entry = redis.call('HGET', outbox, id)
  if not entry then
    redis.call('ZREM', due, id)
  else
    local blockedBy
    if string.sub(id, 1, 9) == 'finished:' then
      blockedBy = 'started:' .. string.sub(id, 10)
      if redis.call('HEXISTS', outbox, blockedBy) == 0 then blockedBy = nil end
    end
    if blockedBy then
      local startedDue = tonumber(redis.call('ZSCORE', due, blockedBy) or now)
      redis.call('ZADD', due, math.max(startedDue, now) + 1, id)
    else
      redis.call('ZADD', due, now + leaseMs, id)
      leased[#leased + 1] = entry
      leased[#leased + 1] = tostring(redis.call('HINCRBY', leases, id, 1))
    end
  end
end
return leased
