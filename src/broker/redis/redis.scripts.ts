/**
 * Lua run atomically by Redis. Times come from Redis (`TIME`), so instances
 * with skewed clocks agree on history and presence expiry.
 *
 * Stream keys: `meta:<stream>` hash {offset, epoch}, `hist:<stream>` sorted
 * set scored by offset (entry format below), and `pl:<ref>`, the data of a
 * publication to several streams, stored once. Each stream has its own
 * pub/sub channel `s:<stream>`, subscribed only by the instances that hold
 * it (redis.subscriptions.ts).
 */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * One publication to 1..1000 streams, atomically: every stream gets it or
 * none does (a Lua script runs whole; nothing in it can fail half-way on
 * valid arguments), and with an idempotency key the key is stored in the same
 * step, so "the key exists" and "it was published" are the same fact.
 *
 * KEYS: idempotency key (or any name when ARGV[6] is ''), shared payload key
 * (or any name when ARGV[10] is ''), then meta and hist of each stream.
 * ARGV: history '1'|'0', size, historyTtlMs, metaTtlMs, fresh epoch,
 * idempotency id|'', idempotency ttlMs, data, pub/sub channel prefix,
 * payload ref|'' (the data is stored once under KEYS[2] and history entries
 * point to it), '1' when the pub/sub messages carry the ref instead of the
 * data (large data to many streams), then the stream names.
 * Returns {'dup', first id} or {'ok', offset1..offsetN, epoch1..epochN}.
 *
 * History entry: `"<offset> <ms> =<data>"` or `"<offset> <ms> @<ref>"`.
 * Pub/sub message on `<prefix>s:<stream>`: `"<offset> <epoch>\n<data>"`
 * (`"0 \n<data>"` without history), or `"<offset> <epoch> @<ref>\n"` when
 * the data is to be read from `pl:<ref>`.
 */
const publishMany = `${NOW}
if ARGV[6] ~= '' then
  local first = redis.call('GET', KEYS[1])
  if first then return {'dup', first} end
end
local history = ARGV[1] == '1'
local size = tonumber(ARGV[2])
local data = ARGV[8]
local n = #KEYS / 2 - 1
local entry = '=' .. data
if history and ARGV[10] ~= '' then
  redis.call('SET', KEYS[2], data, 'PX', ARGV[3])
  entry = '@' .. ARGV[10]
end
local message = '\\n' .. data
if ARGV[11] == '1' then message = ' @' .. ARGV[10] .. '\\n' end
local out = {'ok'}
for i = 1, n do
  local meta, hist = KEYS[2 * i + 1], KEYS[2 * i + 2]
  local offset, epoch = 0, ''
  if history then
    epoch = redis.call('HGET', meta, 'epoch')
    if not epoch then
      epoch = ARGV[5]
      redis.call('HSET', meta, 'epoch', epoch)
      redis.call('DEL', hist)
    end
    offset = redis.call('HINCRBY', meta, 'offset', 1)
    redis.call('PEXPIRE', meta, ARGV[4])
    redis.call('ZADD', hist, offset, offset .. ' ' .. now .. ' ' .. entry)
    if offset > size then redis.call('ZREMRANGEBYSCORE', hist, '-inf', offset - size) end
    redis.call('PEXPIRE', hist, ARGV[3])
  end
  redis.call('PUBLISH', ARGV[9] .. ARGV[11 + i], offset .. ' ' .. epoch .. message)
  out[1 + i] = offset
  out[1 + n + i] = epoch
end
if ARGV[6] ~= '' then redis.call('SET', KEYS[1], ARGV[6], 'PX', ARGV[7]) end
return out`;

/**
 * KEYS: meta, hist. ARGV: fresh epoch, metaTtlMs, historyTtlMs, since|'',
 * limit (0: all), payload key prefix. Fixes the epoch of a stream never
 * published to (so a client that learned it at offset 0 recovers after the
 * first publication). Returns {offset, epoch, entries after `since` younger
 * than historyTtlMs, at most `limit`, as "<offset> <ms> <data>"}; an entry
 * whose shared payload is gone (older than historyTtlMs) is left out.
 */
const historyRefs = `${NOW}
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'epoch', epoch)
  redis.call('DEL', KEYS[2])
end
local offset = tonumber(redis.call('HGET', KEYS[1], 'offset')) or 0
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local kept = {}
if ARGV[4] ~= '' then
  local cutoff = now - tonumber(ARGV[3])
  local limit = tonumber(ARGV[5])
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[4], '+inf')) do
    local head, ts, body = string.match(m, '^(%d+ (%d+) )(.*)$')
    if ts and tonumber(ts) >= cutoff then
      local kind = string.sub(body, 1, 1)
      local value = body
      if kind == '=' then
        value = string.sub(body, 2)
      elseif kind == '@' then
        value = redis.call('GET', ARGV[6] .. string.sub(body, 2))
      end
      if value then
        kept[#kept + 1] = head .. value
        if limit > 0 and #kept >= limit then break end
      end
    end
  end
end
return {offset, epoch, kept}`;

/** KEYS: meta keys. Returns {offset1, epoch1, offset2, epoch2, …}: 0 and '' for a stream without meta. Changes nothing. */
const positions = `local out = {}
for i, key in ipairs(KEYS) do
  local m = redis.call('HMGET', key, 'offset', 'epoch')
  out[2 * i - 1] = tonumber(m[1]) or 0
  out[2 * i] = m[2] or ''
end
return out`;

/**
 * KEYS: presence sorted sets (member: a connection's entry, score: expiry ms).
 * ARGV: ttlMs, then for each key the number of its members and the members
 * to add or refresh. Drops expired members; each key lives as long as its
 * longest-lived member, whichever instance wrote it.
 */
const presenceAdd = `${NOW}
local ttl = tonumber(ARGV[1])
local a = 2
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local n = tonumber(ARGV[a])
  for i = a + 1, a + n do redis.call('ZADD', key, now + ttl, ARGV[i]) end
  a = a + n + 1
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIREAT', key, math.ceil(tonumber(last[2]))) end
end`;

/**
 * KEYS: a channel's presence sorted set (members "<connectionId> <userId>").
 * ARGV: maxUsers. Returns {live entries, distinct user ids up to maxUsers…}.
 */
const channelPresence = `${NOW}
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
local max = tonumber(ARGV[1])
local out, seen = {#live}, {}
for _, m in ipairs(live) do
  if #out > max then break end
  local user = string.sub(m, string.find(m, ' ', 1, true) + 1)
  if not seen[user] then
    seen[user] = true
    out[#out + 1] = user
  end
end
return out`;

/** KEYS: a user's presence sorted set. Returns how many members have not expired. */
const presenceCount = `${NOW}
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')`;

export const SCRIPTS = {
  heraldPublishMany: { lua: publishMany },
  heraldHistoryRefs: { lua: historyRefs, numberOfKeys: 2 },
  heraldPositions: { lua: positions },
  heraldPresenceAdd: { lua: presenceAdd },
  heraldChannelPresence: { lua: channelPresence, numberOfKeys: 1 },
  heraldPresenceCount: { lua: presenceCount, numberOfKeys: 1 },
} as const;

export type ScriptName = keyof typeof SCRIPTS;
