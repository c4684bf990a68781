/**
 * Lua run atomically by Redis. Times come from Redis (`TIME`), so instances
 * with skewed clocks agree on history and presence expiry.
 *
 * Stream keys: `meta` hash {offset, epoch} and `hist` sorted set scored by
 * offset, members `"<offset> <ms> <data>"`. The fan-out log is a stream of the
 * messages sent on the pub/sub channel, kept LOG_WINDOW_MS, so a subscriber
 * that reconnects replays what it missed (redis.fanout.ts).
 *
 * Fan-out message: `"<logId> <offset> <epoch> <channel as JSON>\n<data>"`
 * (offset and epoch empty for channels without history).
 */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: meta, hist, log. ARGV: channel JSON, data, history '1'|'0', size,
 * historyTtlMs, metaTtlMs, fresh epoch, log window ms, pub/sub channel.
 * Returns {offset|'', epoch|'', logId}.
 */
const publish = `${NOW}
local offset, epoch = '', ''
if ARGV[3] == '1' then
  if redis.call('HSETNX', KEYS[1], 'epoch', ARGV[7]) == 1 then redis.call('DEL', KEYS[2]) end
  epoch = redis.call('HGET', KEYS[1], 'epoch')
  offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  redis.call('ZADD', KEYS[2], offset, offset .. ' ' .. now .. ' ' .. ARGV[2])
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[4]) + 1))
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
local message = offset .. ' ' .. epoch .. ' ' .. ARGV[1] .. '\\n' .. ARGV[2]
local id = redis.call('XADD', KEYS[3], 'MINID', '~', now - tonumber(ARGV[8]), '*', 'm', message)
redis.call('PEXPIRE', KEYS[3], 2 * tonumber(ARGV[8]))
redis.call('PUBLISH', ARGV[9], id .. ' ' .. message)
return {offset, epoch, id}`;

/**
 * KEYS: meta, hist. ARGV: fresh epoch, metaTtlMs, historyTtlMs, sinceOffset|''.
 * Fixes the epoch of a stream never published to, so a client that learned it
 * at offset 0 recovers after the first publication. Returns {offset, epoch,
 * members after sinceOffset younger than historyTtlMs}.
 */
const history = `${NOW}
if redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1]) == 1 then redis.call('DEL', KEYS[2]) end
local meta = redis.call('HMGET', KEYS[1], 'offset', 'epoch')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local kept = {}
if ARGV[4] ~= '' then
  local cutoff = now - tonumber(ARGV[3])
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[4], '+inf')) do
    local ts = tonumber(string.match(m, '^%d+ (%d+) '))
    if ts and ts >= cutoff then kept[#kept + 1] = m end
  end
end
return {tonumber(meta[1]) or 0, meta[2], kept}`;

/** KEYS: the idempotency key. ARGV: id, ttlMs. Returns the id stored first, or nil when this call stored it. */
const claim = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return redis.call('GET', KEYS[1])`;

/**
 * KEYS: a user's presence sorted set (member: connection id, score: expiry ms).
 * ARGV: ttlMs, connection ids to add or refresh. Drops expired members. The
 * key lives as long as its longest-lived member, whichever instance wrote it.
 */
const presenceAdd = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i]) end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], math.ceil(tonumber(last[2])))`;

/** KEYS: a user's presence sorted set. Returns how many members have not expired. */
const presenceCount = `${NOW}
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')`;

export const SCRIPTS = {
  heraldPublish: { lua: publish, numberOfKeys: 3 },
  heraldHistory: { lua: history, numberOfKeys: 2 },
  heraldClaim: { lua: claim, numberOfKeys: 1 },
  heraldPresenceAdd: { lua: presenceAdd, numberOfKeys: 1 },
  heraldPresenceCount: { lua: presenceCount, numberOfKeys: 1 },
} as const;

export type ScriptName = keyof typeof SCRIPTS;
