"""The throttle's decisions, each one Lua script run atomically inside Redis
(delivery.throttle explains the limits and the two steps, ``reserve`` and ``slot``).

Every script reads Redis's own clock (TIME), so that the machines' clocks never
matter, and gives each key it writes an expiry, so that nothing outlives its window.
"""

# KEYS: the epoch marker, the plan, then per request its representative's window,
# its domain's window and its campaign's spread for the representative. ARGV: the
# horizon, then per request eleven values (see Throttle.reserve; the spread's end is
# -1 when the campaign does not spread). Answers 'noepoch' when the counts must be
# rebuilt first.
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
-- Letters granted in this call per spread key: they no longer wait.
local spread_gone = {}
-- When the campaign's next letter to the representative may leave (spreading):
-- the previous one plus max((end - previous) / (waiting + 1), shortest gap).
local function spread_at(key, spread_end, min_gap, waiting)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if not last[2] then
    return nil
  end
  local prev = tonumber(last[2])
  local gap = (spread_end - prev) / (waiting + 1)
  if gap < min_gap then gap = min_gap end
  return prev + gap
end
local n = (#KEYS - 2) / 3
for i = 1, n do
  local rep = KEYS[3 * i]
  local dom = KEYS[3 * i + 1]
  local spread = KEYS[3 * i + 2]
  local a = 2 + (i - 1) * 11
  local member = ARGV[a]
  local gint = tonumber(ARGV[a + 1])
  local dom_span = tonumber(ARGV[a + 2])
  local dom_limit = tonumber(ARGV[a + 3])
  local hour_s = tonumber(ARGV[a + 4])
  local hour_limit = tonumber(ARGV[a + 5])
  local day_s = tonumber(ARGV[a + 6])
  local day_limit = tonumber(ARGV[a + 7])
  local spread_end = tonumber(ARGV[a + 8])
  local spread_gap = tonumber(ARGV[a + 9])
  local waiting = tonumber(ARGV[a + 10]) - (spread_gone[spread] or 0)
  if waiting < 1 then waiting = 1 end
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
  local spread_next = nil
  if wait == nil and spread_end >= 0 then
    spread_next = spread_at(spread, spread_end, spread_gap, waiting)
    -- The letter leaves at ``ahead`` at the earliest.
    if spread_next ~= nil and spread_next <= ahead then spread_next = nil end
  end
  if wait ~= nil then
    turned_away[rep] = extra + 1
    table.insert(out, 'cap')
    table.insert(out, tostring(wait - now))
  elseif spread_next ~= nil then
    table.insert(out, 'spread')
    table.insert(out, tostring(spread_next - now))
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
      if spread_end >= 0 then
        -- Kept until the next letter's time has surely come: past the end, a day.
        redis.call('ZADD', spread, ahead, member)
        redis.call('ZREMRANGEBYRANK', spread, 0, -17)
        local keep = spread_end - now
        if keep < 0 then keep = 0 end
        redis.call('PEXPIRE', spread, math.ceil((keep + day_s) * 1000) + 60000)
        spread_gone[spread] = (spread_gone[spread] or 0) + 1
      end
      table.insert(out, 'go')
      table.insert(out, tostring(ahead - now))
      ahead = ahead + gint
    end
  end
end
redis.call('SET', KEYS[2], tostring(ahead), 'PX', math.ceil((ahead - now) * 1000) + 60000)
return out
"""

# KEYS: global schedule, representative window, domain window, spread.
# ARGV: interval (s), member, longest wait (s). Takes the next global slot unless it
# is more than the longest wait away, and records the letter at that time in the
# windows and the spread (only ever later than where ``reserve`` put it; XX: only
# where ``reserve`` put it).
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
redis.call('ZADD', KEYS[4], 'XX', 'GT', slot, ARGV[2])
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
