-- wrk script for case 5: POST /api/v1/jobs/ of a 10-frame job (frames 1 to
-- 10, jobtype Blender of the demo data), every title unique.
--
--   wrk ... -s bench/submit.lua http://127.0.0.1:PORT/api/v1/jobs/ -- TAG
--
-- Titles are "bench submit TAG-<thread>-<n>": TAG keeps them unique across
-- runs.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local threads = 0
function setup(thread)
   thread:set("thread_index", threads)
   threads = threads + 1
end

local tag = "run"
local counter = 0
local headers = {["Content-Type"] = "application/json"}

function init(args)
   tag = args[1] or tag
end

function request()
   counter = counter + 1
   local body = string.format(
      '{"title": "bench submit %s-%d-%d", "jobtype": "Blender",'
      .. ' "start": 1, "end": 10}', tag, thread_index, counter)
   return wrk.format("POST", nil, headers, body)
end
