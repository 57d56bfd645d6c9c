-- Claims the Git write of a pending deployment for a while, so one replica at a time writes it:
-- only while it is still pending, nothing was pushed for it yet, and no one else holds the claim.
-- KEYS[1] pending data hash  KEYS[2] claim marker of the triggered id
-- ARGV[1] triggered id  ARGV[2] lease (ms)
-- Returns the pending record (JSON) when claimed, nil otherwise.
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then
  return false
end
local ok, td = pcall(cjson.decode, json)
if ok and type(td) == 'table' and type(td.pushed) == 'string' then
  return false
end
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then
  return false
end
return json
