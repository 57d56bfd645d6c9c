-- Correlates one GitOps result: de-duplicates the delivery, claims the matching pending
-- deployment and enqueues its .finished, or (GitOps-first) enqueues a sequence trigger once
-- per service and revision. One script, so retries and replicas cannot double anything.
-- KEYS[1] delivery         delivery marker
-- KEYS[2] pendingOf        pending zset of the service
-- KEYS[3] pendingData      pending data hash
-- KEYS[4] deadlines        deadlines zset
-- KEYS[5] outbox           outbox hash
-- KEYS[6] due              outbox due zset
-- KEYS[7] recent           recent list
-- KEYS[8] sequence         sequence marker of service+revision (only read when triggerEntry is not empty)
-- KEYS[9] held             held results of the service, a sorted set scored by when each runs out
--                          (only written when heldEntry is not empty)
-- ARGV[1] now              now (ms)
-- ARGV[2] dedupeTtlMs      delivery marker ttl (ms)
-- ARGV[3] finished         FinishedResult JSON
-- ARGV[4] commit           commit or '' (prefixed '~' when it may only match: it then never excludes)
-- ARGV[5] triggerEntry     trigger outbox entry JSON or ''
-- ARGV[6] triggerId        trigger entry id
-- ARGV[7] retentionMs      sequence marker ttl (ms)
-- ARGV[8] recentLimit      recent list length
-- ARGV[9] strictVersions   '1' when a known version that differs excludes a deployment, '0' when
--                          it only loses preference
-- ARGV[10] heldEntry       held result JSON or '' (kept when no pending deployment is finished)
-- ARGV[11] holdMs          its ttl (ms)
-- ARGV[12..] versions      the versions the result is evidence of
-- Returns {'duplicate'} | {'finished', tid, context} | {'triggered'} | {'already-triggered'} | {'no-pending'}
local delivery = KEYS[1]
local pendingOf = KEYS[2]
local pendingData = KEYS[3]
local deadlines = KEYS[4]
local outbox = KEYS[5]
local due = KEYS[6]
local recent = KEYS[7]
local sequence = KEYS[8]
local held = KEYS[9]
local now = ARGV[1]
local dedupeTtlMs = ARGV[2]
local finished = ARGV[3]
local commit = ARGV[4]
local triggerEntry = ARGV[5]
local triggerId = ARGV[6]
local retentionMs = ARGV[7]
local recentLimit = ARGV[8]
local strictVersions = ARGV[9] == '1'
local heldEntry = ARGV[10]
local holdMs = ARGV[11]
local versions = {}
for i = 12, #ARGV do versions[#versions + 1] = ARGV[i] end

local commitIsHint = string.sub(commit, 1, 1) == '~'
if commitIsHint then commit = string.sub(commit, 2) end

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

-- The raw-text pre-filter. Once a fallback is known only a match can change the choice, and a
-- record can only match if its JSON text holds `"version":"<v>"` for a result version or
-- `"commit":"<first 7 of the commit>"`. Records that hold neither are skipped without decoding.
-- The test is exact only for values JSON writes verbatim, so any other version or commit turns it
-- off (every record may match). Answers the test, and whether any record can match at all.
local function prefilter ()
  local needles = {}
  local verbatim = '^[%w%.%-_%+:/@~]+$'
  for _, version in ipairs(versions) do
    if needles and string.find(version, verbatim) then
      needles[#needles + 1] = '"version":"' .. version .. '"'
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
  -- With neither versions nor a commit nothing can match: the first fallback is the choice.
  return mayMatch, not needles or #needles > 0
end

-- Chooses the pending deployment the result finishes, oldest first (mirrors core/choose-pending.ts).
-- A pending deployment matches when a known expected version or commit equals the result's;
-- it is a fallback when nothing about it can be compared; it is never taken on a mismatch, nor as
-- a fallback while its change is still to be pushed to Git by the bridge. The first match wins,
-- else the oldest fallback. Records are read in growing HMGET batches: few calls for a long list,
-- little waste when the match comes early. Answers the triggered id and its record, or nil.
local function choose (mayMatch, canMatch)
  local wanted, hasVersions = {}, #versions > 0
  for _, version in ipairs(versions) do wanted[version] = true end
  local fallback, fallbackJson
  local tids = redis.call('ZRANGE', pendingOf, 0, -1)
  local first, batch = 1, 8
  while first <= #tids and (canMatch or not fallback) do
    local last = math.min(first + batch - 1, #tids)
    local jsons = redis.call('HMGET', pendingData, unpack(tids, first, last))
    for i = first, last do
      local tid, json = tids[i], jsons[i - first + 1]
      if not json then
        redis.call('ZREM', pendingOf, tid)
      elseif not fallback or mayMatch(json) then
        local td = decode(json)
        local comparable, matched = false, false
        if type(td.version) == 'string' and hasVersions then
          matched = wanted[td.version] == true
          comparable = strictVersions or matched
        end
        if not matched and type(td.commit) == 'string' and commit ~= '' then
          matched = sameCommit(td.commit, commit)
          comparable = comparable or matched or not commitIsHint
        end
        if matched then return tid, json end
        local unpushed = td.toGit == true and type(td.pushed) ~= 'string'
        if not comparable and not unpushed and not fallback then fallback, fallbackJson = tid, json end
      end
    end
    first, batch = last + 1, math.min(batch * 2, 256)
  end
  return fallback, fallbackJson
end

local function enqueue (id, entry)
  redis.call('HSET', outbox, id, entry)
  redis.call('ZADD', due, now, id)
  redis.call('LPUSH', recent, entry)
  redis.call('LTRIM', recent, 0, tonumber(recentLimit) - 1)
end

-- The chosen deployment is no longer pending; its .finished is queued.
local function finish (tid, json)
  redis.call('ZREM', pendingOf, tid)
  redis.call('HDEL', pendingData, tid)
  redis.call('ZREM', deadlines, tid)
  local id = 'finished:' .. tid
  enqueue(id, '{"id":' .. cjson.encode(id) .. ',"kind":"finished","pending":' .. json .. ',"result":' .. finished .. '}')
  return {'finished', tid, tostring(decode(json).keptnContext or '')}
end

-- Kept for a triggered event still on its way, also when a sequence is triggered: Keptn may still
-- ask for this very version. Whatever has run out goes first, so the set holds only live results.
local function hold ()
  if heldEntry == '' then return end
  local ttl = tonumber(holdMs)
  redis.call('ZREMRANGEBYSCORE', held, '-inf', now)
  redis.call('ZADD', held, tonumber(now) + ttl, heldEntry)
  if redis.call('PTTL', held) < ttl then redis.call('PEXPIRE', held, ttl) end
end

-- GitOps-first: one sequence trigger per service and revision.
local function trigger ()
  if not redis.call('SET', sequence, '1', 'NX', 'PX', retentionMs) then
    return {'already-triggered'}
  end
  enqueue(triggerId, triggerEntry)
  return {'triggered'}
end

if not redis.call('SET', delivery, '1', 'NX', 'PX', dedupeTtlMs) then
  return {'duplicate'}
end
local chosen, chosenJson = choose(prefilter())
if chosen then return finish(chosen, chosenJson) end
hold()
if triggerEntry == '' then return {'no-pending'} end
return trigger()
