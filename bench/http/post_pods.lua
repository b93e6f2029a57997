-- wrk script for POST /pods: the create-pod body with a fresh Idempotency-Key on every request.
-- Usage: PAYORCH_BENCH_TOKEN=<access token> wrk ... -s post_pods.lua URL -- KEY_PART...
-- (the parts must differ between runs)
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local body = '{"name":"Bench pod","currency":"EUR","policy":{"spending_limit":5000,' ..
             '"voting_quorum":0.66,"risk_tier":"STANDARD"}}'
local key_prefix = "bench"
local counter = 0
local authorization = "Bearer " .. (os.getenv("PAYORCH_BENCH_TOKEN") or "")

function init(args)
  if #args > 0 then
    key_prefix = table.concat(args, "-")
  end
  key_prefix = key_prefix .. "-" .. tostring(thread_id or 0)
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/pods", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = authorization,
    ["Idempotency-Key"] = key_prefix .. "-" .. counter,
  }, body)
end
