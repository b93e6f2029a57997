-- wrk script for the reference server: a fixed GET, reported like the payorch targets.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

wrk.method = "GET"
wrk.path = "/pods/pod_bench"
