-- One durable write transaction: its latency is the cluster's commit latency.
update bench.counter set n = n + 1 where id = 1;
