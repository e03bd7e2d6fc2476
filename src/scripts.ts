/**
 * Every Lua script redis-director runs. Each takes keys only through `KEYS`
 * (so Upstash can lock them and a Redis Cluster can route them) and values
 * only through `ARGV`; none uses `math.random` or the clock. Results are
 * arrays of strings, so no client-side JSON parsing can change them; payload
 * strings are prefixed with `~`, which can never start valid JSON.
 *
 * @module
 */

/** A Lua script with its SHA-1, computed once with Web Crypto. */
export class LuaScript {
  #sha1?: Promise<string>;

  /** A script called `name` (used in error messages) with the Lua `source`. */
  constructor(readonly name: string, readonly source: string) {}

  /** The hex SHA-1 of the source, as `EVALSHA` wants it. */
  sha1(): Promise<string> {
    this.#sha1 ??= crypto.subtle.digest("SHA-1", new TextEncoder().encode(this.source)).then(
      (digest) => [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(""),
    );
    return this.#sha1;
  }
}

/** Lua helpers shared by several scripts (prepended to their source). */
const HELPERS = `
-- wrongType(key, expected): a {"wrongtype", key, actual, expected} reply when
-- the key exists with another type, else nil. Checked before any write.
local function wrongType(key, expected)
  local actual = redis.call("TYPE", key)["ok"]
  if actual ~= "none" and actual ~= expected then
    return {"wrongtype", key, actual, expected}
  end
end
-- inSlices(command, key, values): one command per 1000 values (Lua's unpack
-- has a stack limit).
local function inSlices(command, key, values)
  for first = 1, #values, 1000 do
    redis.call(command, key, unpack(values, first, math.min(first + 999, #values)))
  end
end
-- num(x): a number as the shortest exact decimal text Lua can give.
local function num(x)
  return string.format("%.17g", x)
end
-- pushBack(queue, queueType, payload): returns a payload to the head of the
-- queue (a set has no head: SADD).
local function pushBack(queue, queueType, payload)
  if queueType == "set" then redis.call("SADD", queue, payload) else redis.call("LPUSH", queue, payload) end
end
-- clamp(x, low, high)
local function clamp(x, low, high)
  return math.min(math.max(x, low), high)
end
`;

/**
 * Places up to `ARGV[3]` payloads from the queue on subscribers, atomically.
 *
 * KEYS: 1 queue, 2 scores, 3 this call's record, 4 in-flight hash,
 * 5 in-flight index, 6.. destination keys.
 * ARGV: 1 mode (random|max|min), 2 queue type (set|list), 3 max payloads,
 * 4-5 generator seeds, 6 call id, 7 now (ms), 8 record ttl (ms),
 * 9 subscriber count, then 7 per subscriber: name, default, min, max,
 * score change, kind (set|list|custom), destination's KEYS index (0: none).
 *
 * Returns {"ok", stoppedBy, placed, figures, custom count, then per custom
 * payload: subscriber index, "~" .. payload}, or a wrongtype reply. `figures`
 * is "delivered before after" per subscriber, joined by commas (never valid
 * JSON, so no client parses it).
 *
 * The per-payload loop (step 6) is written inline, without function calls:
 * it runs up to 10,000 times per call, so each operation in it counts.
 */
export const PUBLISH: LuaScript = new LuaScript(
  "publish",
  HELPERS + `
local queue, scores, record, inflight, inflightIndex = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]

-- 1. A retried call answers with the result of its first run.
if redis.call("EXISTS", record) == 1 then
  return redis.call("LRANGE", record, 0, -1)
end

-- 2. Read the arguments and the subscribers.
local mode, queueType, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local seed1, seed2 = tonumber(ARGV[4]), tonumber(ARGV[5])
local callId, now, ttl = ARGV[6], ARGV[7], ARGV[8]
local count = tonumber(ARGV[9])
local names, defaults, mins, maxs, changes, kinds, dests = {}, {}, {}, {}, {}, {}, {}
for i = 1, count do
  local at = 9 + (i - 1) * 7
  names[i] = ARGV[at + 1]
  defaults[i] = tonumber(ARGV[at + 2])
  mins[i] = tonumber(ARGV[at + 3])
  maxs[i] = tonumber(ARGV[at + 4])
  changes[i] = tonumber(ARGV[at + 5])
  kinds[i] = ARGV[at + 6]
  dests[i] = KEYS[tonumber(ARGV[at + 7])]
end

-- 3. Refuse keys of the wrong type before anything is written.
local bad = wrongType(queue, queueType) or wrongType(scores, "zset")
  or wrongType(inflight, "hash") or wrongType(inflightIndex, "zset")
for i = 1, count do
  if not bad and kinds[i] ~= "custom" then bad = wrongType(dests[i], kinds[i]) end
end
if bad then return bad end

-- 4. Current scores; a missing score counts as the default.
local score, before = {}, {}
local stored = redis.call("ZMSCORE", scores, unpack(names))
for i = 1, count do
  score[i] = tonumber(stored[i]) or defaults[i]
  before[i] = score[i]
end

-- 5. The pickers. A pick is the next subscriber, or none when no score is
-- above 0; after each delivery the picker learns its receiver's new score.
local tree, lowbit, top, exact, linear, total, pick, moved
if mode == "random" then
  -- Weighted random pick over a Fenwick tree of weights (scores above 0
  -- count, the others weigh 0): O(log S) per pick, done inline in step 6.
  tree, lowbit, top = {}, {}, 1
  for i = 1, count do
    local b = 1
    while i % (b * 2) == 0 do b = b * 2 end
    lowbit[i], tree[i] = b, 0
  end
  while top * 2 <= count do top = top * 2 end
  -- Past the last subscriber the walk down the tree meets NaN, which no
  -- comparison accepts: the walk never leaves the tree.
  for i = count + 1, 2 * top do tree[i] = 0 / 0 end
  for i = 1, count do
    local w = score[i] > 0 and score[i] or 0
    local at = i
    while at <= count do
      tree[at] = tree[at] + w
      at = at + lowbit[at]
    end
  end
  -- Whole scores, bounds and changes whose absolute values sum below 2^53
  -- make every sum of weights, and every step of the walk, exact in any
  -- order: a running total is then the very number the tree's nodes add up
  -- to, and with up to 8 subscribers a plain scan (no tree) finds the very
  -- subscriber the walk finds, faster. Otherwise (fractional weights) step 6
  -- adds the tree's nodes up for every pick, as before.
  local bound = 0
  exact = true
  for i = 1, count do
    local s, low, high, change = score[i], mins[i], maxs[i], changes[i]
    if s % 1 ~= 0 or low % 1 ~= 0 or high % 1 ~= 0 or change % 1 ~= 0 then exact = false end
    bound = bound + math.abs(s) + math.abs(low) + math.abs(high) + math.abs(change)
  end
  exact = exact and bound < 2 ^ 53
  linear = exact and count <= 8
  total = 0
  for i = 1, count do
    if score[i] > 0 then total = total + score[i] end
  end
else
  -- Highest (max) or lowest (min) eligible score over a tournament tree:
  -- O(log S) per pick; ties go to the subscriber registered first.
  local function better(a, b)
    if a == 0 then return false end
    if b == 0 then return true end
    local ea, eb = score[a] > 0, score[b] > 0
    if ea ~= eb then return ea end
    if score[a] ~= score[b] then
      if mode == "max" then return score[a] > score[b] end
      return score[a] < score[b]
    end
    return a < b
  end
  local size, node = 1, {}
  while size < count do size = size * 2 end
  for i = 1, size do node[size + i - 1] = (i <= count) and i or 0 end
  local function refresh(i)
    local l, r = node[2 * i], node[2 * i + 1]
    node[i] = better(r, l) and r or l
  end
  for i = size - 1, 1, -1 do refresh(i) end
  moved = function(i)
    local at = math.floor((size + i - 1) / 2)
    while at >= 1 do
      refresh(at)
      at = math.floor(at / 2)
    end
  end
  pick = function()
    local best = node[1]
    if best == 0 or score[best] <= 0 then return nil end
    return best
  end
end

-- 6. Place up to min(limit, queue size) payloads, applying each delivery's
-- score change (clamped to [min, max]) before the next payload is placed.
local available
if queueType == "set" then available = redis.call("SCARD", queue) else available = redis.call("LLEN", queue) end
local picks, stoppedBy = {}, "count"
for n = 1, math.min(limit, available) do
  local j
  if mode == "random" then
    -- 6a. The total weight: the running one, or the tree's nodes added up.
    if not exact then
      total = 0
      local i = count
      while i > 0 do
        total = total + tree[i]
        i = i - lowbit[i]
      end
    end
    if total <= 0 then
      stoppedBy = "no-eligible-subscriber"
      break
    end
    -- 6b. u in (0, 1) from L'Ecuyer's combined generator, exact in doubles
    -- and seeded by the client, so a seed reproduces the picks.
    seed1 = (40014 * seed1) % 2147483563
    seed2 = (40692 * seed2) % 2147483399
    local z = seed1 - seed2
    if z < 1 then z = z + 2147483562 end
    -- 6c. The first subscriber whose cumulative weight exceeds u * total:
    -- walk down the tree (or scan, below).
    local target = z / 2147483563 * total
    local pos = count
    if not linear then
      local rest, step = target, top
      pos = 0
      while step >= 1 do
        local nxt = pos + step
        if tree[nxt] <= rest then
          pos, rest = nxt, rest - tree[nxt]
        end
        step = step / 2
      end
    end
    if pos < count and score[pos + 1] > 0 then
      j = pos + 1
    else
      -- The scan: with few subscribers, or when rounding drift in fractional
      -- weights led the walk astray.
      local sum = 0
      for i = 1, count do
        if score[i] > 0 then
          sum, j = sum + score[i], i
          if sum > target then break end
        end
      end
      if not j then
        stoppedBy = "no-eligible-subscriber"
        break
      end
    end
  else
    j = pick()
    if not j then
      stoppedBy = "no-eligible-subscriber"
      break
    end
  end
  picks[n] = j
  -- 6d. The receiver's score change, clamped as clamp() does (min bound
  -- first, then max); the picker learns of it (a scan needs no tree).
  local change = changes[j]
  if change ~= 0 then
    local old = score[j]
    local new = old + change
    if mins[j] > new then new = mins[j] end
    if maxs[j] < new then new = maxs[j] end
    score[j] = new
    if new ~= old then
      if mode == "random" then
        local delta = (new > 0 and new or 0) - (old > 0 and old or 0)
        total = total + delta
        if not linear then
          local i = j
          while i <= count do
            tree[i] = tree[i] + delta
            i = i + lowbit[i]
          end
        end
      else
        moved(j)
      end
    end
  end
end
if stoppedBy == "count" and available < limit then stoppedBy = "empty-queue" end

-- 7. Pop exactly as many payloads as were placed.
local placed, popped = #picks, {}
if placed > 0 then
  if queueType == "set" then popped = redis.call("SPOP", queue, placed) else popped = redis.call("LPOP", queue, placed) end
end

-- 8. Deliver: generic subscribers get their payloads in one command per 1000;
-- custom ones are held in flight under this call's id.
local delivered, buckets, custom, held, customCount = {}, {}, {}, {}, 0
for i = 1, count do delivered[i], buckets[i] = 0, {} end
for n = 1, placed do
  local j = picks[n]
  delivered[j] = delivered[j] + 1
  if kinds[j] == "custom" then
    customCount = customCount + 1
    held[#held + 1] = callId .. "#" .. customCount
    held[#held + 1] = popped[n]
    custom[#custom + 1] = tostring(j)
    custom[#custom + 1] = "~" .. popped[n]
  else
    buckets[j][#buckets[j] + 1] = popped[n]
  end
end
for i = 1, count do
  if #buckets[i] > 0 then inSlices(kinds[i] == "set" and "SADD" or "LPUSH", dests[i], buckets[i]) end
end
if customCount > 0 then
  inSlices("HSET", inflight, held)
  redis.call("HSET", inflight, callId, customCount)
  redis.call("ZADD", inflightIndex, now, callId)
end

-- 9. Write back every score that changed.
local changed = {}
for i = 1, count do
  if score[i] ~= before[i] then
    changed[#changed + 1] = num(score[i])
    changed[#changed + 1] = names[i]
  end
end
if #changed > 0 then redis.call("ZADD", scores, unpack(changed)) end

-- 10. Keep the result as this call's record (for retries) and return it.
-- The per-subscriber figures travel as one string ("delivered before after"
-- per subscriber, comma-separated): one string to decode instead of 3 * S.
local figures = {}
for i = 1, count do
  figures[i] = delivered[i] .. " " .. num(before[i]) .. " " .. num(score[i])
end
local result = {"ok", stoppedBy, tostring(placed), table.concat(figures, ","), tostring(customCount)}
for _, value in ipairs(custom) do result[#result + 1] = value end
inSlices("RPUSH", record, result)
redis.call("PEXPIRE", record, ttl)
return result
`,
);

/**
 * Applies custom handlers' writes for one publish call and releases its
 * in-flight payloads, once: a retry answers with the first result.
 *
 * KEYS: 1 queue, 2 in-flight hash, 3 in-flight index, 4 this release's
 * record, 5.. keys the handlers write.
 * ARGV: 1 queue type, 2 call id, 3 record ttl (ms), 4 payload count, then per
 * payload (in the order publish returned them): outcome (deliver|return),
 * command count, then per command: name, argument count, arguments (the first
 * argument of a keyed command is its KEYS index).
 *
 * Returns {"released", delivered, returned, then per problem: payload index,
 * returned (1|0), reason} or {"recovered"} when recover() already put the
 * payloads back.
 */
export const RELEASE: LuaScript = new LuaScript(
  "release",
  HELPERS + `
local queue, inflight, inflightIndex, record = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local queueType, callId, ttl, total = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])

-- 1. A retried release answers with its first result.
if redis.call("EXISTS", record) == 1 then
  return redis.call("LRANGE", record, 0, -1)
end

-- 2. recover() got there first: the payloads are back in the queue.
if not redis.call("ZSCORE", inflightIndex, callId) then
  return {"recovered"}
end

-- 3. Read each payload's outcome and commands. The commands a handler may
-- queue, with the type their key must have ("any": none required; false: the
-- command has no key).
local KEY_TYPES = {
  sadd = "set", lpush = "list", rpush = "list", zadd = "zset", zincrby = "zset",
  hset = "hash", hincrby = "hash", set = "any", incr = "string", incrby = "string",
  xadd = "stream", publish = false,
}
local outcomes, commands, at = {}, {}, 5
for p = 1, total do
  outcomes[p] = ARGV[at]
  local list = {}
  for c = 1, tonumber(ARGV[at + 1]) do
    local name, argc = ARGV[at + 2], tonumber(ARGV[at + 3])
    if KEY_TYPES[name] == nil then return redis.error_reply("release: command not allowed: " .. name) end
    local args = {}
    for a = 1, argc do args[a] = ARGV[at + 3 + a] end
    if KEY_TYPES[name] then args[1] = KEYS[tonumber(args[1])] end
    list[c] = {name = name, args = args}
    at = at + 2 + argc
  end
  commands[p] = list
  at = at + 2
end

-- 4. A payload whose handler writes to a key of the wrong type goes back to
-- the queue with none of its writes applied.
local problems = {}
for p = 1, total do
  if outcomes[p] == "deliver" then
    for _, command in ipairs(commands[p]) do
      local expected = KEY_TYPES[command.name]
      local bad = expected and expected ~= "any" and wrongType(command.args[1], expected)
      if bad then
        outcomes[p] = "return"
        problems[#problems + 1] = {p, "1", "WRONGTYPE key " .. bad[2] .. " holds a " .. bad[3] .. ", " .. command.name .. " needs a " .. bad[4]}
        break
      end
    end
  end
end

-- 5. Apply the delivered payloads' writes; an error in one command is
-- reported and does not stop the others.
local delivered, returned = 0, 0
for p = 1, total do
  if outcomes[p] == "deliver" then
    delivered = delivered + 1
    for _, command in ipairs(commands[p]) do
      local reply = redis.pcall(command.name, unpack(command.args))
      if type(reply) == "table" and reply.err then
        problems[#problems + 1] = {p, "0", command.name .. ": " .. reply.err}
      end
    end
  end
end

-- 6. Put returned payloads back at the head of the queue, in order.
for p = total, 1, -1 do
  if outcomes[p] ~= "deliver" then
    returned = returned + 1
    local payload = redis.call("HGET", inflight, callId .. "#" .. p)
    if payload then pushBack(queue, queueType, payload) end
  end
end

-- 7. Release the in-flight entry.
local fields = {callId}
for p = 1, total do fields[#fields + 1] = callId .. "#" .. p end
inSlices("HDEL", inflight, fields)
redis.call("ZREM", inflightIndex, callId)

-- 8. Keep the result as this release's record and return it.
local result = {"released", tostring(delivered), tostring(returned)}
for _, problem in ipairs(problems) do
  result[#result + 1] = tostring(problem[1])
  result[#result + 1] = problem[2]
  result[#result + 1] = "~" .. problem[3]
end
inSlices("RPUSH", record, result)
redis.call("PEXPIRE", record, ttl)
return result
`,
);

/**
 * Puts back in the queue the in-flight payloads of publish calls made before
 * a cutoff (their process died between its two requests).
 *
 * KEYS: 1 queue, 2 in-flight hash, 3 in-flight index, 4 this call's record.
 * ARGV: 1 queue type, 2 cutoff (ms since the epoch), 3 max calls, 4 record ttl (ms).
 *
 * Returns {"ok", calls recovered, payloads restored} or a wrongtype reply.
 */
export const RECOVER: LuaScript = new LuaScript(
  "recover",
  HELPERS + `
local queue, inflight, inflightIndex, record = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local queueType = ARGV[1]

-- 1. A retried call answers with the result of its first run.
if redis.call("EXISTS", record) == 1 then
  return redis.call("LRANGE", record, 0, -1)
end

-- 2. Refuse a queue of the wrong type before anything is moved.
local bad = wrongType(queue, queueType)
if bad then return bad end

-- 3. The calls left in flight since before the cutoff.
local ids = redis.call("ZRANGEBYSCORE", inflightIndex, "-inf", ARGV[2], "LIMIT", 0, ARGV[3])

-- 4. Move each call's payloads back (last first, so a list keeps their order)
-- and drop its entry.
local restored = 0
for _, id in ipairs(ids) do
  local held = tonumber(redis.call("HGET", inflight, id)) or 0
  for p = held, 1, -1 do
    local field = id .. "#" .. p
    local payload = redis.call("HGET", inflight, field)
    if payload then
      pushBack(queue, queueType, payload)
      redis.call("HDEL", inflight, field)
      restored = restored + 1
    end
  end
  redis.call("HDEL", inflight, id)
  redis.call("ZREM", inflightIndex, id)
end

-- 5. Keep the result as this call's record and return it.
local result = {"ok", tostring(#ids), tostring(restored)}
redis.call("RPUSH", record, unpack(result))
redis.call("PEXPIRE", record, ARGV[4])
return result
`,
);

/**
 * Adds payloads to the queue once, however often the request is retried.
 *
 * KEYS: 1 queue, 2 this call's record.
 * ARGV: 1 queue type, 2 record ttl (ms), 3.. payloads.
 *
 * Returns {"ok", added} or a wrongtype reply.
 */
export const ENQUEUE: LuaScript = new LuaScript(
  "enqueue",
  HELPERS + `
local queue, record = KEYS[1], KEYS[2]
local queueType, ttl = ARGV[1], ARGV[2]

-- 1. A retried call answers with the result of its first run.
local done = redis.call("GET", record)
if done then return {"ok", done} end

-- 2. Refuse a queue of the wrong type.
local bad = wrongType(queue, queueType)
if bad then return bad end

-- 3. Add the payloads, 1000 per command: SADD counts new members; RPUSH adds all.
local added = 0
for first = 3, #ARGV, 1000 do
  local last = math.min(first + 999, #ARGV)
  if queueType == "set" then
    added = added + redis.call("SADD", queue, unpack(ARGV, first, last))
  else
    redis.call("RPUSH", queue, unpack(ARGV, first, last))
    added = added + (last - first + 1)
  end
end

-- 4. Keep the count as this call's record and return it.
redis.call("SET", record, added, "PX", ttl)
return {"ok", tostring(added)}
`,
);

/**
 * Reads scores.
 *
 * KEYS: 1 scores. ARGV: member names.
 *
 * Returns one score (text) or nil per member, or a wrongtype reply.
 */
export const READ_SCORES: LuaScript = new LuaScript(
  "read-scores",
  HELPERS + `
-- 1. Refuse a score key of the wrong type.
local bad = wrongType(KEYS[1], "zset")
if bad then return bad end

-- 2. One score or nil per member.
return redis.call("ZMSCORE", KEYS[1], unpack(ARGV))
`,
);

/**
 * Sets scores as given, ignoring any bounds (creates missing members).
 *
 * KEYS: 1 scores. ARGV: pairs of score, member.
 *
 * Returns {"ok"} or a wrongtype reply.
 */
export const WRITE_SCORES: LuaScript = new LuaScript(
  "write-scores",
  HELPERS + `
-- 1. Refuse a score key of the wrong type.
local bad = wrongType(KEYS[1], "zset")
if bad then return bad end

-- 2. Write every pair.
redis.call("ZADD", KEYS[1], unpack(ARGV))
return {"ok"}
`,
);

/**
 * Adds to one score, clamped to its bounds, once per call id.
 *
 * KEYS: 1 scores, 2 this call's record.
 * ARGV: 1 member, 2 delta, 3 default, 4 min, 5 max, 6 record ttl (ms).
 *
 * Returns {"ok", new score} or a wrongtype reply.
 */
export const ADD_SCORE: LuaScript = new LuaScript(
  "add-score",
  HELPERS + `
local scores, record = KEYS[1], KEYS[2]

-- 1. A retried call answers with the result of its first run.
local done = redis.call("GET", record)
if done then return {"ok", done} end

-- 2. Refuse a score key of the wrong type.
local bad = wrongType(scores, "zset")
if bad then return bad end

-- 3. Current score (or the default) plus delta, clamped, written back.
local current = tonumber(redis.call("ZSCORE", scores, ARGV[1])) or tonumber(ARGV[3])
local updated = num(clamp(current + tonumber(ARGV[2]), tonumber(ARGV[4]), tonumber(ARGV[5])))
redis.call("ZADD", scores, updated, ARGV[1])

-- 4. Keep the new score as this call's record and return it.
redis.call("SET", record, updated, "PX", ARGV[6])
return {"ok", updated}
`,
);

/**
 * Reads, in one atomic step, the queue size, the number of payloads in
 * flight, and per subscriber its stored score and its destination's size.
 *
 * KEYS: 1 queue, 2 scores, 3 in-flight hash, 4 in-flight index,
 * 5.. destination keys.
 * ARGV: subscriber count, then per subscriber: name, destination's KEYS
 * index (0: none).
 *
 * Returns {queue size, in flight, then per subscriber: score or "", size or ""}.
 */
export const STATUS: LuaScript = new LuaScript(
  "status",
  HELPERS + `
-- size(key): the number of elements of a key of any type (0 when missing).
local SIZE = {set = "SCARD", list = "LLEN", zset = "ZCARD", hash = "HLEN", stream = "XLEN", string = "STRLEN"}
local function size(key)
  local command = SIZE[redis.call("TYPE", key)["ok"]]
  if command then return redis.call(command, key) end
  return 0
end

-- 1. The queue and the payloads in flight (hash fields minus one count field per call).
local result = {tostring(size(KEYS[1]))}
local inflight = 0
if redis.call("EXISTS", KEYS[3]) == 1 then
  inflight = redis.call("HLEN", KEYS[3]) - redis.call("ZCARD", KEYS[4])
end
result[2] = tostring(inflight)

-- 2. Each subscriber's stored score and destination size.
local count = tonumber(ARGV[1])
local names = {}
for i = 1, count do names[i] = ARGV[2 * i] end
local stored = {}
if count > 0 then stored = redis.call("ZMSCORE", KEYS[2], unpack(names)) end
for i = 1, count do
  local dest = tonumber(ARGV[2 * i + 1])
  result[#result + 1] = stored[i] or ""
  result[#result + 1] = dest > 0 and tostring(size(KEYS[dest])) or ""
end
return result
`,
);

/** Every script above: a resend after NOSCRIPT loads them all at once. */
export const ALL_SCRIPTS: readonly LuaScript[] = [
  PUBLISH,
  RELEASE,
  RECOVER,
  ENQUEUE,
  READ_SCORES,
  WRITE_SCORES,
  ADD_SCORE,
  STATUS,
];
