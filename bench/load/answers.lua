-- bench/load/answers.lua — the wrk script of the load benchmark (bench/load.sh).
--
--   wrk -t T -c C -d Ds -s answers.lua URL -- put SUMMARY NTHREADS TOKENS RUN ACKS D
--   wrk -t T -c C -d Ds -s answers.lua URL -- get SUMMARY NTHREADS PATH D
--   wrk -t T -c C -d Ds -s answers.lua URL -- same SUMMARY NTHREADS TOKENS D
--
-- put: experts save answers with PUT /api/v1/answers/{topic} (Authorization: Bearer TOKEN). TOKENS
-- has one line per expert, "ID TOKEN TOPIC,TOPIC,...". Thread t (0-based) takes the experts whose
-- line number l (1-based) has (l - 1) % NTHREADS == t, so no two threads write the same (expert,
-- topic) key; within a thread a key is never sent while a request for it is in flight, so the
-- order in which one key's saves are sent is the order in which they are committed. Every body is
-- a real change: its values follow a counter, and its comment is "bench RUN-T-N" (N counts the
-- thread's requests). A 200 reply carries the stored comment back: that is how a reply is matched
-- to its request. At the end, ACKS gets one line "ID,TOPIC,RUN-T-N" per key with the last
-- acknowledged save (appended to).
--
-- get: GET PATH (a static file), with the same per-response Lua work of counting statuses.
--
-- same: the same save over and over: the first expert of TOKENS saves one body to their first
-- topic on every connection (a value replacing itself), counted like get. Every save then finds
-- its rows, pages and caches hot, so the server's work per save is the floor under a save (the
-- durable write included) that the spread of put's keys lifts; and the client's work per request
-- is get's.
--
-- Both modes write SUMMARY as shell assignments: wrk's figures for the whole run (requests, rps,
-- p50_us, p99_us, error counts), the statuses, the replies completed in each second of the run
-- (per_second), the throughput of the second half of the run (rps_2nd: by then every connection
-- has long finished its TLS handshake, which at 512 connections takes the servers seconds), and
-- for put the latency of the saves sent in the second half (p50_2nd_us, p99_2nd_us; measured here
-- from request() to response(), which is when wrk starts and stops its own clock) and the
-- acknowledgement bookkeeping. DURATION (seconds, the wrk -d) is the last argument of both modes.

local ffi = require("ffi")
ffi.cdef [[
struct bench_timespec { long tv_sec; long tv_nsec; };
int clock_gettime(int clk, struct bench_timespec *ts);
]]
local ts = ffi.new("struct bench_timespec")
local function now_us() -- CLOCK_MONOTONIC, microseconds
	ffi.C.clock_gettime(1, ts)
	return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

-- Thread state ------------------------------------------------------------------------------

local mode, nthreads, path, get_request
-- tid (0-based thread number) is a global that setup() sets through thread:set before init().
local keys_topic, keys_token, keys_head = {}, {}, {}
local nkeys, cursor, counter = 0, 0, 0
local inflight = {}
-- Requests sent and not yet answered, in a ring indexed by the request counter N modulo RING:
-- slot -> N, key, send time. A reply whose N no longer holds its slot (answered only after RING
-- more requests of its thread: seconds, never seen) counts as unmatched, its key as still in
-- flight. A ring of fixed slots, rather than tables keyed by the ever-growing N, keeps the
-- client's own work per request small: it shares the cores with the server it measures.
local RING = 131072
local ring_n, ring_k, ring_t = {}, {}, {}
local t0, half_us
local measures = {"human_resources", "funding", "infrastructure", "collaboration",
                  "international", "regulation", "elsi", "commercialization"}

-- Read by done() through thread:get (must be globals of the thread's state).
summary_file, acks_file = nil, nil
statuses = {}   -- status -> count
acked = {}      -- key index -> N of the last acknowledged save (written out by done())
keys_name = {}  -- key index -> "ID,TOPIC" (read by done())
runtag = nil
nacked = 0      -- 200 replies matched to their request
unmatched = 0   -- 200 replies whose comment matched no request of this thread
forced = 0      -- requests sent for a key already in flight (every key was busy)
seconds = {}    -- second of the run (0-based) -> replies completed in it
lat2 = {}       -- latency histogram of the second half's saves: floor(us / 50) -> count
ninflight = 0   -- keys in flight (at the end: requests never answered 200, plus the one request
                -- wrk makes on the first thread before the run to check the script, never sent)

local function load_tokens(file)
	local experts = {}
	local line_no = 0
	for line in io.lines(file) do
		line_no = line_no + 1
		if (line_no - 1) % nthreads == tid then
			local id, token, topics = line:match("^(%S+) (%S+) (%S+)$")
			assert(id, file .. ":" .. line_no .. ": not 'ID TOKEN TOPICS'")
			local list = {}
			for t in topics:gmatch("[^,]+") do list[#list + 1] = t end
			experts[#experts + 1] = {id = id, token = token, topics = list}
		end
	end
	-- Keys in rounds: the first topic of every expert, then the second, ... so that consecutive
	-- requests go to different experts.
	local round = 1
	while true do
		local any = false
		for _, e in ipairs(experts) do
			local topic = e.topics[round]
			if topic then
				any = true
				nkeys = nkeys + 1
				keys_topic[nkeys] = topic
				keys_token[nkeys] = "Bearer " .. e.token
				keys_name[nkeys] = e.id .. "," .. topic
			end
		end
		if not any then break end
		round = round + 1
	end
	assert(nkeys > 0, "thread " .. tid .. " has no experts")
	-- Each key's request line and headers, made once: what wrk.format would make of them (Host:
	-- wrk.host, as wrk.format adds it to a headers table of our own), so that request() costs
	-- little more than the body. The client shares the cores with the servers it measures.
	for k = 1, nkeys do
		keys_head[k] = "PUT /api/v1/answers/" .. keys_topic[k] .. " HTTP/1.1\r\n" ..
			"Host: " .. wrk.host .. "\r\n" ..
			"Authorization: " .. keys_token[k] .. "\r\n" ..
			"Content-Type: application/json\r\n" ..
			"Content-Length: "
	end
end

function init(args)
	mode = args[1]
	summary_file = args[2]
	nthreads = tonumber(args[3])
	t0 = now_us()
	if mode == "put" then
		runtag = args[5]
		acks_file = args[6]
		half_us = tonumber(args[7]) * 500000
		load_tokens(args[4])
	elseif mode == "get" then
		path = args[4]
		half_us = tonumber(args[5]) * 500000
		get_request = wrk.format("GET", path) -- the same every time: made once
	elseif mode == "same" then
		half_us = tonumber(args[5]) * 500000
		local line = assert(io.lines(args[4])(), args[4] .. ": empty")
		local token, topics = line:match("^%S+ (%S+) (%S+)$")
		assert(token, args[4] .. ":1: not 'ID TOKEN TOPICS'")
		local b = '{"expertise":2,"importance":3,"competitiveness":1,"tech_year":2035,' ..
			'"social_year":2039,"measures":["funding","elsi"],"comment":"bench same"}'
		get_request = wrk.format("PUT", "/api/v1/answers/" .. topics:match("^[^,]+"),
			{["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, b)
	else
		error("answers.lua: mode must be put, get or same")
	end
end

-- The next key not in flight, round robin.
local function pick()
	for _ = 1, nkeys do
		cursor = cursor % nkeys + 1
		if not inflight[cursor] then return cursor end
	end
	forced = forced + 1
	cursor = cursor % nkeys + 1
	return cursor
end

local function body(n)
	local tech = 2025 + n % 26
	local social = tech + n % 5
	if social > 2050 then social = 2050 end
	local m1 = measures[1 + n % 8]
	local m2 = measures[1 + (n * 3 + 1) % 8]
	local ms = (m1 == m2 or n % 3 == 0) and ('"' .. m1 .. '"') or ('"' .. m1 .. '","' .. m2 .. '"')
	return string.format('{"expertise":%d,"importance":%d,"competitiveness":%d,"tech_year":%d,' ..
		'"social_year":%d,"measures":[%s],"comment":"bench %s-%d-%d"}',
		1 + n % 3, 1 + n % 4, 1 + math.floor(n / 4) % 4, tech, social, ms, runtag, tid, n)
end

function request()
	if mode ~= "put" then
		return get_request
	end
	local k = pick()
	counter = counter + 1
	if not inflight[k] then ninflight = ninflight + 1 end
	inflight[k] = true
	local slot = counter % RING
	ring_n[slot] = counter
	ring_k[slot] = k
	ring_t[slot] = now_us()
	local b = body(counter)
	return keys_head[k] .. #b .. "\r\n\r\n" .. b
end

function response(status, headers, resp)
	local t = now_us()
	local sec = math.floor((t - t0) / 1000000)
	seconds[sec] = (seconds[sec] or 0) + 1
	statuses[status] = (statuses[status] or 0) + 1
	if mode ~= "put" or status ~= 200 then
		-- A failed save cannot be matched to its request: its key stays "in flight" (never
		-- reused), which keeps the ordering argument sound.
		return
	end
	-- delphi's replies are compact JSON: a plain search finds the comment; the pattern is the
	-- fallback for any other spelling.
	local r, th, n
	local i = resp:find('"comment":"bench ', 1, true)
	if i then r, th, n = resp:match('^"comment":"bench ([%w_]+)%-(%d+)%-(%d+)"', i) end
	if not n then r, th, n = resp:match('"comment":%s*"bench ([%w_]+)%-(%d+)%-(%d+)"') end
	n = tonumber(n)
	local slot = n and n % RING
	local k = slot and ring_n[slot] == n and ring_k[slot]
	if not k or r ~= runtag or tonumber(th) ~= tid then
		unmatched = unmatched + 1
		return
	end
	local start = ring_t[slot]
	if start - t0 >= half_us then
		local b = math.floor((t - start) / 50)
		lat2[b] = (lat2[b] or 0) + 1
	end
	ring_n[slot] = false
	if inflight[k] then ninflight = ninflight - 1 end
	inflight[k] = nil
	acked[k] = n
	nacked = nacked + 1
end

-- Main state -----------------------------------------------------------------------------

local threads = {}

function setup(thread)
	thread:set("tid", #threads)
	threads[#threads + 1] = thread
end

function done(summary, latency, requests)
	local first = threads[1]
	local st, ok = {}, 0
	local nack, unm, forc, inflight_end = 0, 0, 0, 0
	local afile = first:get("acks_file")
	local af = afile and assert(io.open(afile, "a"))
	local secs, hist, nsecs = {}, {}, 0
	for _, t in ipairs(threads) do
		for code, count in pairs(t:get("statuses")) do
			st[code] = (st[code] or 0) + count
		end
		for sec, count in pairs(t:get("seconds")) do
			secs[sec] = (secs[sec] or 0) + count
			if sec + 1 > nsecs then nsecs = sec + 1 end
		end
		for b, count in pairs(t:get("lat2")) do
			hist[b] = (hist[b] or 0) + count
		end
		if af then
			local names = t:get("keys_name")
			local prefix = t:get("runtag") .. "-" .. t:get("tid") .. "-"
			for k, n in pairs(t:get("acked")) do
				af:write(names[k], ",", prefix, n, "\n")
			end
			nack = nack + t:get("nacked")
			unm = unm + t:get("unmatched")
			forc = forc + t:get("forced")
			inflight_end = inflight_end + t:get("ninflight")
		end
	end
	if af then af:close() end
	local codes = {}
	for code, count in pairs(st) do
		codes[#codes + 1] = code .. ":" .. count
		if code == 200 then ok = count end
	end
	table.sort(codes)
	local e = summary.errors
	local f = assert(io.open(first:get("summary_file"), "w"))
	f:write(string.format("requests=%d\nduration_us=%d\nrps=%.1f\n", summary.requests,
		summary.duration, summary.requests / (summary.duration / 1e6)))
	f:write(string.format("p50_us=%d\np99_us=%d\nmax_us=%d\n", latency:percentile(50),
		latency:percentile(99), latency.max))
	f:write(string.format("err_connect=%d\nerr_read=%d\nerr_write=%d\nerr_status=%d\nerr_timeout=%d\n",
		e.connect, e.read, e.write, e.status, e.timeout))
	f:write(string.format("ok=%d\nstatuses='%s'\n", ok, table.concat(codes, " ")))
	-- Second half: whole seconds from half the duration on, the last (partial) second left out.
	local duration_s = summary.duration / 1e6
	local first, last, sum, per = math.ceil(duration_s / 2), math.floor(duration_s) - 1, 0, {}
	for sec = 0, nsecs - 1 do per[#per + 1] = tostring(secs[sec] or 0) end
	for sec = first, last do sum = sum + (secs[sec] or 0) end
	f:write(string.format("per_second='%s'\nrps_2nd=%.1f\n", table.concat(per, " "),
		last >= first and sum / (last - first + 1) or 0))
	local bs, total = {}, 0
	for b, count in pairs(hist) do bs[#bs + 1] = b; total = total + count end
	table.sort(bs)
	local function pct(p)
		local need, acc = p / 100 * total, 0
		for _, b in ipairs(bs) do
			acc = acc + hist[b]
			if acc >= need then return b * 50 + 25 end
		end
		return 0
	end
	f:write(string.format("n_2nd=%d\np50_2nd_us=%d\np99_2nd_us=%d\n", total, pct(50), pct(99)))
	f:write(string.format("acked=%d\nunmatched=%d\nforced=%d\ninflight_end=%d\n", nack, unm,
		forc, inflight_end))
	f:close()
end
