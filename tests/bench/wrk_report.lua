-- wrk reporter for tests/bench/bench_apache.sh: one machine-readable line
-- with exact figures (wrk's own summary rounds latencies and mixes units).
-- Latencies are in microseconds; non-2xx/3xx answers count as errors.status.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "MCBENCH requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d mean_us=%.0f " ..
    "max_us=%d err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
