-- Correlates one GitOps result: de-duplicates the delivery, claims the matching pending
-- deployment and enqueues its .finished, or (GitOps-first) enqueues a sequence trigger once
-- per service and revision. One script, so retries and replicas cannot double anything.
-- KEYS[1] delivery marker  KEYS[2] pending zset of the service  KEYS[3] pending data hash
-- KEYS[4] deadlines zset   KEYS[5] outbox hash  KEYS[6] outbox due zset  KEYS[7] recent list
-- KEYS[8] sequence marker of service+revision (only read when ARGV[5] is not empty)
-- ARGV[1] now  ARGV[2] delivery marker ttl (ms)  ARGV[3] FinishedResult JSON
-- ARGV[4] commit or ''  ARGV[5] trigger outbox entry JSON or ''  ARGV[6] trigger entry id
-- ARGV[7] sequence marker ttl (ms)  ARGV[8] recent list length  ARGV[9] '1' when a known version
-- that differs excludes a deployment, '0' when it only loses preference  ARGV[10..] versions
-- Returns {'duplicate'} | {'finished', tid, context} | {'triggered'} | {'already-triggered'} | {'no-pending'}
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[2]) then
  return {'duplicate'}
end
local commit = ARGV[4]
local versions = {}
local strictVersions = ARGV[9] == '1'
for i = 10, #ARGV do versions[ARGV[i]] = true end
local hasVersions = #ARGV >= 10

-- A record Redis' cjson cannot read (e.g. an escaped lone surrogate in a label) must not make
-- every later result for the service fail: it is treated as having nothing to compare.
local function decode (json)
  local ok, value = pcall(cjson.decode, json)
  if ok and type(value) == 'table' then return value end
  return {}
end

local function sameCommit (a, b)
  local n = math.min(#a, #b)
  return n >= 7 and string.sub(a, 1, n) == string.sub(b, 1, n)
end

-- A pending deployment matches when a known expected version or commit equals the result's;
-- it is a fallback when nothing about it can be compared; it is never taken on a mismatch.
local chosen, chosenJson, fallback, fallbackJson
for _, tid in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local json = redis.call('HGET', KEYS[3], tid)
  if json then
    local td = decode(json)
    local comparable, matched = false, false
    if type(td.version) == 'string' and hasVersions then
      matched = versions[td.version] == true
      comparable = strictVersions or matched
    end
    if not matched and type(td.commit) == 'string' and commit ~= '' then
      comparable = true
      matched = sameCommit(td.commit, commit)
    end
    if matched then chosen, chosenJson = tid, json break end
    if not comparable and not fallback then fallback, fallbackJson = tid, json end
  else
    redis.call('ZREM', KEYS[2], tid)
  end
end
if not chosen then chosen, chosenJson = fallback, fallbackJson end

local function enqueue (id, entry)
  redis.call('HSET', KEYS[5], id, entry)
  redis.call('ZADD', KEYS[6], ARGV[1], id)
  redis.call('LPUSH', KEYS[7], entry)
  redis.call('LTRIM', KEYS[7], 0, tonumber(ARGV[8]) - 1)
end

if chosen then
  redis.call('ZREM', KEYS[2], chosen)
  redis.call('HDEL', KEYS[3], chosen)
  redis.call('ZREM', KEYS[4], chosen)
  local id = 'finished:' .. chosen
  enqueue(id, '{"id":' .. cjson.encode(id) .. ',"kind":"finished","pending":' .. chosenJson .. ',"result":' .. ARGV[3] .. '}')
  return {'finished', chosen, tostring(decode(chosenJson).keptnContext or '')}
end
if ARGV[5] == '' then
  return {'no-pending'}
end
if not redis.call('SET', KEYS[8], '1', 'NX', 'PX', ARGV[7]) then
  return {'already-triggered'}
end
enqueue(ARGV[6], ARGV[5])
return {'triggered'}
