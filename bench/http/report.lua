-- Shared by the wrk scripts here: counts non-2xx answers and prints one parseable result line.
-- Loaded with dofile() by each script, so every wrk thread state and the main state get it.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

-- Per-thread counter; done() (main state) sums it through thread:get().
non_2xx = 0

function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
end

-- run.sh greps for the "wrk-result" prefix; keep the line to key=value pairs without spaces.
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non_2xx") or 0)
  end
  local e = summary.errors
  local duration_s = summary.duration / 1e6
  io.write(string.format(
    "wrk-result requests=%d duration_s=%.3f requests_per_s=%.1f p50_ms=%.3f p90_ms=%.3f " ..
    "p99_ms=%.3f max_ms=%.3f non_2xx=%d errors=%d connect_errors=%d timeouts=%d\n",
    summary.requests, duration_s, summary.requests / duration_s,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, bad,
    e.connect + e.read + e.write + e.timeout, e.connect, e.timeout))
end
