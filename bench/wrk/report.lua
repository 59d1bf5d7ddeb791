-- Shared by every wrk script: at the end, one JSON line with throughput and latency percentiles (ms).
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
            + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'WRK_JSON {"requests": %d, "non_2xx_or_errors": %d, "seconds": %.3f, "rps": %.1f, "ok_rps": %.1f, '
    .. '"p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f}\n',
    summary.requests, bad, seconds, summary.requests / seconds, (summary.requests - bad) / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
