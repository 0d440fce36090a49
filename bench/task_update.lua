-- wrk script for cases 4a and 4b: task state changes, as agents send them
-- (and for bench/scale.py's P4, P5 and H1-H3).
--
--   wrk -t T -c C -d D -s bench/task_update.lua http://127.0.0.1:PORT \
--       -- T JOB:TASK,JOB:TASK,... [running]
--
-- Every request is a real state change: thread n takes the tasks whose
-- position in the list is n modulo T, goes round them in order, and sets
-- each one "running", then on its next turn "queued" again, and so on
-- (so the tasks must be queued when the run starts; bench/run.py resets
-- them).  Requests carry the PyFarm agent's User-Agent: the tasks are
-- assigned to agents whose remote_ip is 127.0.0.1, so the module's
-- ownership check runs, and passes, as it does for a real agent.
--
-- With "running" as the third argument every request sends running: the
-- agent that holds a running task sending running again (the tasks must
-- be running when the run starts), which changes no state.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local threads = 0
function setup(thread)
   thread:set("thread_index", threads)
   threads = threads + 1
end

local paths = {}
local counter = 0
local headers = {
   ["Content-Type"] = "application/json",
   ["User-Agent"] = "PyFarm/1.0 (agent)",
}
local bodies = {'{"state": "running"}', '{"state": "queued"}'}

function init(args)
   local nthreads = tonumber(args[1])
   if args[3] == "running" then
      bodies = {bodies[1], bodies[1]}
   elseif args[3] ~= nil then
      error("task_update.lua: unknown mode " .. args[3])
   end
   local position = 0
   for job, task in string.gmatch(args[2], "(%d+):(%d+)") do
      if position % nthreads == thread_index then
         paths[#paths + 1] = "/api/v1/jobs/" .. job .. "/tasks/" .. task
      end
      position = position + 1
   end
   if #paths == 0 then
      error("task_update.lua: no task for thread " .. thread_index)
   end
end

function request()
   local n = #paths
   local path = paths[counter % n + 1]
   local body = bodies[math.floor(counter / n) % 2 + 1]
   counter = counter + 1
   return wrk.format("POST", path, headers, body)
end
