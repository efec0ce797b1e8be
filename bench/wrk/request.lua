-- wrk script of every benchmark phase. Environment:
--   BENCH_METHOD (GET|POST), BENCH_BODY_FILE (JSON body of a POST), BENCH_API_KEY (Bearer key).
-- At the end it prints one line "BENCH_RESULT {json}" that bench/run.py parses: counts, errors
-- and latency percentiles in microseconds.
local method = os.getenv("BENCH_METHOD") or "GET"
local body_file = os.getenv("BENCH_BODY_FILE")
local api_key = os.getenv("BENCH_API_KEY")

wrk.method = method
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
end
if api_key and api_key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. api_key
end

-- Count status codes per thread (each thread has its own Lua state), gathered in done().
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

-- Globals: done() reads them from each thread with thread:get. per_second counts responses
-- by wall-clock second, so bench/run.py can take the rate of the steady middle of a run.
statuses = {}
per_second = {}
first_error = ""
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 300 and first_error == "" then first_error = tostring(status) .. " " .. string.sub(body or "", 1, 300) end
  local now = os.time()
  per_second[now] = (per_second[now] or 0) + 1
end

function done(summary, latency, requests)
  local codes, seconds, sample = {}, {}, ""
  for _, thread in ipairs(threads) do
    if sample == "" then sample = thread:get("first_error") or "" end
    for code, n in pairs(thread:get("statuses") or {}) do codes[code] = (codes[code] or 0) + n end
    for second, n in pairs(thread:get("per_second") or {}) do seconds[second] = (seconds[second] or 0) + n end
  end
  local parts, second_parts = {}, {}
  for code, n in pairs(codes) do table.insert(parts, string.format('"%d": %d', code, n)) end
  for second, n in pairs(seconds) do table.insert(second_parts, string.format('"%d": %d', second, n)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p99": %d, "p999": %d}, ' ..
    '"statuses": {%s}, "per_second": {%s}, "first_error": "%s"}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    table.concat(parts, ", "), table.concat(second_parts, ", "),
    (sample:gsub('[%c"\\]', " "))))
end
