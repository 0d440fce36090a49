-- wrk script for plain GETs (the URL given to wrk): cases 1-3 and the
-- static-file ceilings.  Prints bench/report.lua's PFJBENCH line.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
