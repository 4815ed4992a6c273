"""The atomic steps of a distributed job, as Lua scripts run in Redis (a worker may die between any two Redis
calls), and the reasons they store."""

from __future__ import annotations

from benchmark.i18n import N_

# Atomic steps, as Lua scripts (a worker may die between any two Redis calls).
POP_ACCOUNT = """
local id = redis.call('LPOP', KEYS[1])
if not id then return false end
redis.call('HINCRBY', ARGV[1] .. id, 'open', 1)
redis.call('HSET', KEYS[2], ARGV[2], 1)
return {id, redis.call('HGET', KEYS[3], id) or '', redis.call('HGET', ARGV[1] .. id, 'attempt') or '1'}
"""

POP_REQUEST = """
local got = redis.call('ZRANGE', KEYS[1], 0, 0)
if #got == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], 1)
return got[1]
"""

# Merges a worker's progress deltas like AccountTracker.fail; `ok` is earned (benchmark/tracker.py): `complete`
# (some worker's paging reached the period's edge) is OR-ed here, and SETTLE clears it, with the counts, for an
# account crawled again, so only the attempt whose counts stand can earn it.
RELEASE = """
for id, n in pairs(cjson.decode(ARGV[3])) do redis.call('HINCRBY', ARGV[1] .. id, 'open', -n) end
local terminal = {}
for _, status in ipairs(cjson.decode(ARGV[5])) do terminal[status] = true end
for _, d in ipairs(cjson.decode(ARGV[4])) do
  local key = ARGV[1] .. d.id
  redis.call('HINCRBY', key, 'posts', d.posts)
  redis.call('HINCRBY', key, 'pages', d.pages)
  redis.call('HINCRBY', key, 'failed_pages', d.failed_pages)
  redis.call('HINCRBY', key, 'answered', d.answered or 0)
  if (d.network_errors or 0) > 0 then redis.call('HINCRBY', key, 'network_errors', d.network_errors) end
  if d.complete == 1 then redis.call('HSET', key, 'complete', 1) end
  local current = redis.call('HGET', key, 'status') or 'ok'
  if terminal[d.status] then
    if not terminal[current] then redis.call('HSET', key, 'status', d.status, 'message', d.message) end
  elseif d.status == 'partial' then
    if current == 'ok' then redis.call('HSET', key, 'status', 'partial', 'message', d.message) end
  elseif d.message ~= '' and current == 'ok' then
    redis.call('HSET', key, 'message', d.message)
  end
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[6])
return 1
"""

# The reason of an account given up after DISTRIBUTED_MAX_ATTEMPTS (SETTLE stores it as a Message's JSON).
LOST_MESSAGE = N_("its crawl was lost with a dead worker {count} times: crawl it again")
# The reason a worker gives for an account whose items it could not store (it stays open in the job).
STORE_LOST_MESSAGE = N_("its items could not be stored: it stays open in the job for another worker")

SETTLE = """
local base = ARGV[1]
local dead = {}
for _, w in ipairs(redis.call('HKEYS', KEYS[1])) do
  if redis.call('EXISTS', base .. ':alive:' .. w) == 0 then
    redis.call('HDEL', KEYS[1], w)
    table.insert(dead, w)
  end
end
if redis.call('LLEN', KEYS[2]) > 0 or redis.call('ZCARD', KEYS[3]) > 0 then return {'work', #dead} end
for _, busy in ipairs(redis.call('HVALS', KEYS[1])) do
  if busy == '1' then return {'wait', #dead} end
end
local redo, given_up = {}, 0
for _, id in ipairs(redis.call('HKEYS', KEYS[4])) do
  local key = base .. ':acct:' .. id
  if tonumber(redis.call('HGET', key, 'open') or '0') > 0 then
    local attempt = redis.call('HINCRBY', key, 'attempt', 1)
    redis.call('DEL', base .. ':df:' .. id, base .. ':seen:' .. id)
    if attempt > tonumber(ARGV[3]) then
      given_up = given_up + 1
      redis.call('HSET', key, 'open', 0, 'status', 'partial',
                 'message', cjson.encode({msgid = ARGV[4], params = {count = attempt - 1}}))
    else
      redis.call('HSET', key, 'open', 0, 'status', 'ok', 'message', '', 'posts', 0, 'pages', 0, 'failed_pages', 0,
                 'complete', 0, 'answered', 0, 'network_errors', 0)
      redis.call('RPUSH', KEYS[2], id)
      table.insert(redo, id)
    end
  end
end
if #redo > 0 then return {'redo', #dead, #redo, given_up} end
local claimed = redis.call('SET', KEYS[5], ARGV[2], 'NX')
return {'done', #dead, 0, given_up, claimed and 1 or 0}
"""

HEARTBEAT = """
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3])
"""

FIRST_SEEN = """
local fresh = {}
for _, id in ipairs(ARGV) do
  if redis.call('SADD', KEYS[1], id) == 1 then table.insert(fresh, id) end
end
return fresh
"""

