-- Correlates one GitOps result: de-duplicates the delivery, claims the matching pending
-- deployment and enqueues its .finished, or (GitOps-first) enqueues a sequence trigger once
-- per service and revision. One script, so retries and replicas cannot double anything.
-- KEYS[1] delivery marker  KEYS[2] pending zset of the service  KEYS[3] pending data hash
-- KEYS[4] deadlines zset   KEYS[5] outbox hash  KEYS[6] outbox due zset  KEYS[7] recent list
-- KEYS[8] sequence marker of service+revision (only read when ARGV[5] is not empty)
-- KEYS[9] held results of the service, a sorted set scored by when each runs out
-- (only written when ARGV[10] is not empty)
-- ARGV[1] now  ARGV[2] delivery marker ttl (ms)  ARGV[3] FinishedResult JSON
-- ARGV[4] commit or '' (prefixed '~' when it may only match: it then never excludes)
-- ARGV[5] trigger outbox entry JSON or ''  ARGV[6] trigger entry id
-- ARGV[7] sequence marker ttl (ms)  ARGV[8] recent list length  ARGV[9] '1' when a known version
-- that differs excludes a deployment, '0' when it only loses preference
-- ARGV[10] held result JSON or '' (kept when no pending deployment is finished)  ARGV[11] its ttl (ms)
-- ARGV[12..] versions
-- Returns {'duplicate'} | {'finished', tid, context} | {'triggered'} | {'already-triggered'} | {'no-pending'}
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[2]) then
  return {'duplicate'}
end
local commit = ARGV[4]
local commitIsHint = string.sub(commit, 1, 1) == '~'
if commitIsHint then commit = string.sub(commit, 2) end
local versions = {}
local strictVersions = ARGV[9] == '1'
for i = 12, #ARGV do versions[ARGV[i]] = true end
local hasVersions = #ARGV >= 12

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

-- Once a fallback is known only a match can change the choice, and a record can only match if its
-- JSON text holds `"version":"<v>"` for a result version or `"commit":"<first 7 of the commit>"`.
-- Records that hold neither are skipped without decoding. The test is exact only for values JSON
-- writes verbatim, so any other version or commit turns it off (every record is decoded).
local needles = {}
local verbatim = '^[%w%.%-_%+:/@~]+$'
for i = 12, #ARGV do
  if needles and string.find(ARGV[i], verbatim) then
    needles[#needles + 1] = '"version":"' .. ARGV[i] .. '"'
  else
    needles = nil
  end
end
if needles and #commit >= 7 then
  local head = string.sub(commit, 1, 7)
  if string.find(head, verbatim) then needles[#needles + 1] = '"commit":"' .. head else needles = nil end
end
local function mayMatch (json)
  if not needles then return true end
  for _, needle in ipairs(needles) do
    if string.find(json, needle, 1, true) then return true end
  end
  return false
end

-- A pending deployment matches when a known expected version or commit equals the result's;
-- it is a fallback when nothing about it can be compared; it is never taken on a mismatch, nor as
-- a fallback while its change is still to be pushed to Git by the bridge.
-- Records are read in growing HMGET batches: few calls for a long list, little waste when the
-- match comes early.
local chosen, chosenJson, fallback, fallbackJson
local tids = redis.call('ZRANGE', KEYS[2], 0, -1)
local first, batch = 1, 8
-- With neither versions nor a commit nothing can match: the first fallback is the choice.
local canMatch = not needles or #needles > 0
while first <= #tids and not chosen and (canMatch or not fallback) do
  local last = math.min(first + batch - 1, #tids)
  local jsons = redis.call('HMGET', KEYS[3], unpack(tids, first, last))
  for i = first, last do
    local tid, json = tids[i], jsons[i - first + 1]
    if not json then
      redis.call('ZREM', KEYS[2], tid)
    elseif not fallback or mayMatch(json) then
      local td = decode(json)
      local comparable, matched = false, false
      if type(td.version) == 'string' and hasVersions then
        matched = versions[td.version] == true
        comparable = strictVersions or matched
      end
      if not matched and type(td.commit) == 'string' and commit ~= '' then
        matched = sameCommit(td.commit, commit)
        comparable = comparable or matched or not commitIsHint
      end
      if matched then chosen, chosenJson = tid, json break end
      local unpushed = td.toGit == true and type(td.pushed) ~= 'string'
      if not comparable and not unpushed and not fallback then fallback, fallbackJson = tid, json end
    end
  end
  first, batch = last + 1, math.min(batch * 2, 256)
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
-- Kept for a triggered event still on its way, also when a sequence is triggered: Keptn may still
-- ask for this very version. Whatever has run out goes first, so the set holds only live results.
if ARGV[10] ~= '' then
  local ttl = tonumber(ARGV[11])
  redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', ARGV[1])
  redis.call('ZADD', KEYS[9], tonumber(ARGV[1]) + ttl, ARGV[10])
  if redis.call('PTTL', KEYS[9]) < ttl then redis.call('PEXPIRE', KEYS[9], ttl) end
end
if ARGV[5] == '' then
  return {'no-pending'}
end
if not redis.call('SET', KEYS[8], '1', 'NX', 'PX', ARGV[7]) then
  return {'already-triggered'}
end
enqueue(ARGV[6], ARGV[5])
return {'triggered'}
