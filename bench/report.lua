-- Shared by the wrk scripts of bench/run.py: at the end of a run, one line
-- that bench/run.py parses (latencies in microseconds):
--   PFJBENCH requests=N duration_us=N rps=X p50_us=N p99_us=N
--            status_errors=N socket_errors=N
--            socket_detail=connect:N,read:N,write:N,timeout:N
-- status_errors counts answers that were not 2xx/3xx; socket_errors
-- connect, read, write errors and timeouts, detailed in socket_detail.

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "PFJBENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d"
      .. " status_errors=%d socket_errors=%d"
      .. " socket_detail=connect:%d,read:%d,write:%d,timeout:%d\n",
      summary.requests, summary.duration,
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50.0), latency:percentile(99.0),
      e.status, e.connect + e.read + e.write + e.timeout,
      e.connect, e.read, e.write, e.timeout))
end
