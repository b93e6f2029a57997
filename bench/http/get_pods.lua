-- wrk script for GET /pods/{id}: ids are drawn at random from a file of existing pod ids.
-- Usage: PAYORCH_BENCH_TOKEN=<access token> wrk ... -s get_pods.lua URL -- IDS_FILE
-- (one pod id per line)
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local requests = {}

-- Formatting every request up front keeps the client's per-request work as small as for minimal.lua.
function init(args)
  local path = args[1]
  local file = path and io.open(path, "r")
  if not file then
    error("get_pods.lua: cannot open ids file " .. tostring(path))
  end
  local headers = {["Authorization"] = "Bearer " .. (os.getenv("PAYORCH_BENCH_TOKEN") or "")}
  for id in file:lines() do
    if id ~= "" then
      table.insert(requests, wrk.format("GET", "/pods/" .. id, headers))
    end
  end
  file:close()
  if #requests == 0 then
    error("get_pods.lua: no pod ids in " .. path)
  end
  math.randomseed(os.time() + (thread_id or 0))
end

function request()
  return requests[math.random(#requests)]
end
