-- wrk script for the reference server: a fixed GET, reported like the payorch targets.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

wrk.method = "GET"
wrk.path = "/pods/pod_bench"
-- Unread by the minimal server; sent so its requests are as large as payorch's.
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("PAYORCH_BENCH_TOKEN") or "")
