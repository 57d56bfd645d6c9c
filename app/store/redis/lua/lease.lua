-- Leases due outbox entries: each one leased is hidden for ARGV[2] ms; if its worker dies
-- without settling it, it becomes due again and another replica takes it over.
-- A .finished waits while the .started of the same triggered id is still in the outbox.
-- KEYS[1] outbox hash  KEYS[2] outbox due zset  KEYS[3] lease counts (settling clears an entry's)
-- ARGV[1] now  ARGV[2] lease (ms)  ARGV[3] limit
-- Returns the leased entries' JSON, each followed by how often it was leased since it was last
-- settled: above 1, a worker that held it went away mid-delivery (its event may have landed).
local now = tonumber(ARGV[1])
local leased = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]) * 2)) do
  if #leased >= 2 * tonumber(ARGV[3]) then break end
  local entry = redis.call('HGET', KEYS[1], id)
  if not entry then
    redis.call('ZREM', KEYS[2], id)
  else
    local blockedBy
    if string.sub(id, 1, 9) == 'finished:' then
      blockedBy = 'started:' .. string.sub(id, 10)
      if redis.call('HEXISTS', KEYS[1], blockedBy) == 0 then blockedBy = nil end
    end
    if blockedBy then
      local startedDue = tonumber(redis.call('ZSCORE', KEYS[2], blockedBy) or now)
      redis.call('ZADD', KEYS[2], math.max(startedDue, now) + 1, id)
    else
      redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), id)
      leased[#leased + 1] = entry
      leased[#leased + 1] = tostring(redis.call('HINCRBY', KEYS[3], id, 1))
    end
  end
end
return leased
