"""The throttle's decisions, each one Lua script run atomically inside Redis
(delivery.throttle explains the limits and the two steps, ``reserve`` and ``slot``).

Every script reads Redis's own clock (TIME), so that the machines' clocks never
matter, and gives each key it writes an expiry, so that nothing outlives its window.
"""

# KEYS: the epoch marker, the plan, then per request its representative's and its
# domain's window. ARGV: the horizon, then per request eight values (see
# Throttle.reserve). Answers 'noepoch' when the counts must be rebuilt first.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'noepoch', tostring(now)}
end
-- When would a place free up in the window of ``key`` (``limit`` per ``span``
-- seconds), given ``extra`` letters already turned away from it in this call?
-- nil when there is a place now.
local function full_until(key, span, limit, extra)
  local inside = redis.call('ZCOUNT', key, '(' .. tostring(now - span), '+inf')
  if inside + extra < limit then
    return nil
  end
  local e = redis.call('ZRANGEBYSCORE', key, '(' .. tostring(now - span), '+inf',
                       'WITHSCORES', 'LIMIT', inside + extra - limit, 1)
  if e[2] then
    return tonumber(e[2]) + span
  end
  return now + span
end
local horizon = tonumber(ARGV[1])
-- The plan: when the letters already taken (by any worker) are due to go. Letters are
-- planned up to a horizon ahead, each 1/rate after the previous one.
local ahead = tonumber(redis.call('GET', KEYS[2]) or '0')
if ahead < now then ahead = now end
local out = {'ok', tostring(now)}
local turned_away = {}
local n = (#KEYS - 2) / 2
for i = 1, n do
  local rep = KEYS[1 + 2 * i]
  local dom = KEYS[2 + 2 * i]
  local a = 2 + (i - 1) * 8
  local member = ARGV[a]
  local gint = tonumber(ARGV[a + 1])
  local dom_span = tonumber(ARGV[a + 2])
  local dom_limit = tonumber(ARGV[a + 3])
  local hour_s = tonumber(ARGV[a + 4])
  local hour_limit = tonumber(ARGV[a + 5])
  local day_s = tonumber(ARGV[a + 6])
  local day_limit = tonumber(ARGV[a + 7])
  if ahead - now > horizon then
    -- Come back when half a horizon is left: the workers take turns in batches
    -- of half a horizon instead of all taking a few letters at the same moment.
    table.insert(out, 'stop')
    table.insert(out, tostring(ahead - now - horizon / 2))
    break
  end
  redis.call('ZREMRANGEBYSCORE', rep, '-inf', '(' .. tostring(now - day_s))
  local extra = turned_away[rep] or 0
  local wait = full_until(rep, hour_s, hour_limit, extra)
  local day_wait = full_until(rep, day_s, day_limit, extra)
  if day_wait ~= nil and (wait == nil or day_wait > wait) then wait = day_wait end
  if wait ~= nil then
    turned_away[rep] = extra + 1
    table.insert(out, 'cap')
    table.insert(out, tostring(wait - now))
  else
    redis.call('ZREMRANGEBYSCORE', dom, '-inf', '(' .. tostring(now - dom_span))
    local dextra = turned_away[dom] or 0
    local dwait = full_until(dom, dom_span, dom_limit, dextra)
    if dwait ~= nil then
      turned_away[dom] = dextra + 1
      table.insert(out, 'domain')
      table.insert(out, tostring(dwait - now))
    else
      -- Counted at its planned time; ``slot`` moves it to its real slot.
      redis.call('ZADD', rep, ahead, member)
      redis.call('PEXPIRE', rep, math.ceil(day_s * 1000) + 60000)
      redis.call('ZADD', dom, ahead, member)
      redis.call('PEXPIRE', dom, math.ceil(dom_span * 1000) + 60000)
      table.insert(out, 'go')
      table.insert(out, tostring(ahead - now))
      ahead = ahead + gint
    end
  end
end
redis.call('SET', KEYS[2], tostring(ahead), 'PX', math.ceil((ahead - now) * 1000) + 60000)
return out
"""

# KEYS: global schedule, representative window, domain window.
# ARGV: interval (s), member, longest wait (s). Takes the next global slot unless it
# is more than the longest wait away, and records the letter at that time in both
# windows (only ever later than where ``reserve`` put it).
SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
if slot - now > tonumber(ARGV[3]) then
  return {'wait', tostring(slot - now)}
end
local next_slot = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], tostring(next_slot), 'PX', math.ceil((next_slot - now) * 1000) + 60000)
redis.call('ZADD', KEYS[2], 'XX', 'GT', slot, ARGV[2])
redis.call('ZADD', KEYS[3], 'XX', 'GT', slot, ARGV[2])
return {'go', tostring(slot - now)}
"""

# Push the global schedule and the plan (KEYS) to at least ``now + ARGV[1]`` seconds.
HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  local at = tonumber(redis.call('GET', key) or '0')
  if until_ > at then
    redis.call('SET', key, tostring(until_), 'PX', math.ceil((until_ - now) * 1000) + 60000)
  end
end
return tostring(until_ - now)
"""
