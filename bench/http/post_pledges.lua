-- wrk script for POST /pods/{id}/pledges: a durable, idempotent, authenticated pledge to a pod
-- drawn at random from a file of ACTIVE pods in which "bench-member" is a MEMBER.
-- Usage: PAYORCH_BENCH_TOKEN=<access token> wrk ... -s post_pledges.lua URL -- IDS_FILE KEY_PART...
-- (the key parts must differ between runs)
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local body = '{"user_id":"bench-member","amount_minor":2500,"currency":"EUR"}'
local paths = {}
local key_prefix = "pledge"
local counter = 0
local authorization = "Bearer " .. (os.getenv("PAYORCH_BENCH_TOKEN") or "")

function init(args)
  local file = args[1] and io.open(args[1], "r")
  if not file then
    error("post_pledges.lua: cannot open ids file " .. tostring(args[1]))
  end
  for id in file:lines() do
    if id ~= "" then
      table.insert(paths, "/pods/" .. id .. "/pledges")
    end
  end
  file:close()
  if #paths == 0 then
    error("post_pledges.lua: no pod ids in " .. args[1])
  end
  if #args > 1 then
    key_prefix = table.concat(args, "-", 2)
  end
  key_prefix = key_prefix .. "-" .. tostring(thread_id or 0)
  math.randomseed(os.time() + (thread_id or 0))
end

function request()
  counter = counter + 1
  return wrk.format("POST", paths[math.random(#paths)], {
    ["Content-Type"] = "application/json",
    ["Authorization"] = authorization,
    ["Idempotency-Key"] = key_prefix .. "-" .. counter,
  }, body)
end
