"""make bench-scaleout: the standby and PgBouncer, measured side by side in one run (docs/performance.md).

On a throwaway cluster with durable commits, its hot standby and PgBouncer, all on this machine:
- product reads per second with reads on the standby against without it (same server, same data);
- the standby's replication lag while checkouts run against the primary;
- how long a client's read right after its own write takes, and which server answers it;
- product reads of the API: prepared statements (direct) against none (direct, as through PgBouncer 1.18)
  against through PgBouncer;
- the database statement the API sends, from pgbench at 16 and 1,000 clients: directly against through PgBouncer
  (throughput and p99), with max_connections raised for the direct 1,000.
"""

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BENCH, CORES, ROOT, ROUNDS, Bench, log, sh  # noqa: E402

from pgshop import scaleout  # noqa: E402

PORT = 54350
STANDBY_PORT, PGBOUNCER_PORT = 54351, 54352
READ_STATEMENT = BENCH / "pgbench/product_read.sql"


class ScaleOut(Bench):
    def __init__(self) -> None:
        super().__init__("small")
        self.api_env: dict = {}

    def start_api(self, server: str = "uvicorn") -> None:  # the API with this run's extra settings
        saved = dict(os.environ)
        os.environ.update(self.api_env)
        try:
            super().start_api(server)
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def restart_api(self, **env: str) -> None:
        self.stop_api()
        self.api_env = env
        self.start_api()

    def pgbench_as_api(self, target: str, clients: int, seconds: int, first: int, last: int) -> dict:
        """pgbench as pgshop_api sending the API's product read (simple protocol: no prepared statements),
        with every transaction's latency logged for the p99."""
        logs = self.tmp / f"pgbench-{clients}-{int(time.time() * 1000)}"
        logs.mkdir()
        result = subprocess.run(
            ["bash", "-c", 'ulimit -n 16384 && exec "$@"', "-", "pgbench", target, "-n", "-M", "simple",
             "-c", str(clients), "-j", "2", "-T", str(seconds), f"-Dfirst={first}", f"-Dlast={last}",
             "-f", str(READ_STATEMENT), "-l", "--log-prefix", str(logs / "tx")],
            capture_output=True, text=True)
        if result.returncode or "aborted" in result.stderr:
            raise SystemExit(f"pgbench failed: {result.stderr[-2000:]}")
        out = result.stdout
        latencies = sorted(int(line.split()[2]) for f in logs.iterdir() for line in f.read_text().splitlines())
        tps = float(out.split("tps = ")[1].split()[0])
        return {"clients": clients, "tps": tps, "p50_ms": latencies[len(latencies) // 2] / 1000,
                "p99_ms": latencies[int(len(latencies) * 0.99)] / 1000}

    def run(self) -> None:
        self.pool_size = int(os.environ.get("DB_POOL_SIZE", "4"))
        self.start_cluster()
        self.generate(10_000, 20_000, 0)
        with psycopg.connect(self.su, autocommit=True) as conn:
            conn.execute("vacuum analyze")
            first, last = conn.execute("select min(id), max(id) from shop.products where handle like 'gen-%'"
                                       ).fetchone()
        source = f"host={self.tmp}/run port={PORT} user=postgres dbname=pgshop"
        standby = scaleout.standby(self.tmp / "replica", STANDBY_PORT, source, "pgshop", "pgshop_api")
        direct = f"postgresql://pgshop_api@/pgshop?host={self.tmp}/run&port={PORT}"
        pooled = scaleout.pooler(self.tmp / "pgbouncer", direct, PGBOUNCER_PORT)
        figures = self.results["figures"]

        def read() -> dict:
            return self.wrk("get.lua", "/", "/api/products/", str(first), str(last))

        log("1. product reads: on the standby against on the primary alone")
        runs: dict = {"standby": [], "primary": []}
        for _ in range(ROUNDS):
            for mode, env in (("standby", {"READ_DATABASE_URL": standby}), ("primary", {})):
                self.restart_api(**env)
                time.sleep(2)  # the standby is in use once its monitor has seen it caught up
                runs[mode].append(read())
        a, b = (statistics.median(r["rps"] for r in runs[k]) for k in ("standby", "primary"))
        figures["product_read_standby_vs_primary"] = {"a": a, "b": b, "ratio": a / b, "runs": runs}

        log("2. replication lag under checkout load, and 3. a client's read right after its own write")
        self.restart_api(READ_DATABASE_URL=standby)
        time.sleep(2)
        carts = 6000
        self.fill_carts(0, carts)
        tokens = self.tokens(0, carts, self.tmp / "tokens.txt")
        lags: list[tuple[float, int]] = []
        stop = threading.Event()

        def sample() -> None:
            with psycopg.connect(self.su, autocommit=True) as conn:
                while not stop.is_set():
                    row = conn.execute("select coalesce(extract(epoch from replay_lag), 0), "
                                       "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) from pg_stat_replication"
                                       ).fetchone()
                    if row:
                        lags.append((float(row[0]), int(row[1])))
                    time.sleep(0.05)

        waits: list[tuple[float, str]] = []

        def read_after_write() -> None:
            with httpx.Client(base_url="http://127.0.0.1:8099", timeout=30) as client:
                token = tokens.read_text().splitlines()[-1]
                headers = {"Authorization": f"Bearer {token}"}
                while not stop.is_set():
                    client.put(f"/api/cart/items/{first}", json={"quantity": 1}, headers=headers)
                    started = time.perf_counter()
                    response = client.get("/api/cart", headers=headers)
                    waits.append((time.perf_counter() - started,
                                  response.headers["server-timing"].split('desc="')[1].split('"')[0]))
                    time.sleep(0.02)

        threads = [threading.Thread(target=sample), threading.Thread(target=read_after_write)]
        for t in threads:
            t.start()
        load = self.wrk("checkout.lua", "/", str(tokens), "2", seconds=8)
        stop.set()
        for t in threads:
            t.join()
        seconds, lag_bytes = zip(*lags)
        ms = sorted(w for w, _ in waits)
        figures["replication_lag_under_checkout_load"] = {
            "checkouts_per_s": load["ok_rps"], "samples": len(lags),
            "lag_ms_p50": statistics.median(seconds) * 1000, "lag_ms_p99": sorted(seconds)[int(len(seconds) * 0.99)] * 1000,
            "lag_ms_max": max(seconds) * 1000, "lag_bytes_max": max(lag_bytes)}
        figures["read_your_writes"] = {
            "reads": len(waits), "p50_ms": ms[len(ms) // 2] * 1000, "p99_ms": ms[int(len(ms) * 0.99)] * 1000,
            "answered_by_standby": sum(1 for _, s in waits if s == "standby"),
            "answered_by_primary": sum(1 for _, s in waits if s == "primary")}

        log("4. product reads of the API: prepared statements, none, and none through PgBouncer")
        modes = {"prepared_direct": {}, "unprepared_direct": {"DB_PREPARED_STATEMENTS": "0"},
                 "pgbouncer": {"API_DATABASE_URL": pooled, "DIRECT_DATABASE_URL": direct,
                               "DB_PREPARED_STATEMENTS": "0"}}
        runs = {m: [] for m in modes}
        for _ in range(ROUNDS):
            for mode, env in modes.items():
                self.restart_api(**env)
                runs[mode].append(read())
        figures["api_reads_by_connection"] = {m: statistics.median(r["rps"] for r in runs[m]) for m in modes}
        self.stop_api()

        log("5. pgbench as the API at 16 and 1,000 clients: directly against through PgBouncer")
        with psycopg.connect(self.su, autocommit=True) as conn:
            conn.execute("alter system set max_connections = 1100")
        sh("runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D", str(self.tmp / "data"),
           "-w", "-l", str(self.tmp / "postgres.log"), "restart")
        # PgBouncer's server connections died with the restart: a fresh PgBouncer.
        subprocess.run(["kill", (self.tmp / "pgbouncer/pgbouncer.pid").read_text().strip()], check=True)
        time.sleep(1)
        scaleout.pooler(self.tmp / "pgbouncer", direct, PGBOUNCER_PORT)
        table = {}
        for clients in (16, 1000):
            table[clients] = {"direct": self.pgbench_as_api(direct, clients, 8, first, last),
                              "pgbouncer": self.pgbench_as_api(pooled, clients, 8, first, last)}
        figures["pgbouncer_vs_direct"] = table
        self.report()

    def report(self) -> None:
        f = self.results["figures"]
        lag, ryw = f["replication_lag_under_checkout_load"], f["read_your_writes"]
        rows = [
            ("product reads, standby / primary only (req/s)",
             f"{f['product_read_standby_vs_primary']['a']:.0f} / {f['product_read_standby_vs_primary']['b']:.0f}"),
            ("replication lag under checkout load p50 / p99 / max (ms)",
             f"{lag['lag_ms_p50']:.1f} / {lag['lag_ms_p99']:.1f} / {lag['lag_ms_max']:.1f} "
             f"at {lag['checkouts_per_s']:.0f} checkouts/s"),
            ("read right after own write p50 / p99 (ms)", f"{ryw['p50_ms']:.1f} / {ryw['p99_ms']:.1f} "
             f"({ryw['answered_by_standby']} by the standby, {ryw['answered_by_primary']} by the primary)"),
            ("API reads prepared / unprepared / via PgBouncer (req/s)",
             " / ".join(f"{v:.0f}" for v in f["api_reads_by_connection"].values())),
        ] + [(f"pgbench {c} clients direct / PgBouncer: tps, p99 ms",
              f"{t['direct']['tps']:.0f} / {t['pgbouncer']['tps']:.0f}, "
              f"{t['direct']['p99_ms']:.1f} / {t['pgbouncer']['p99_ms']:.1f}")
             for c, t in f["pgbouncer_vs_direct"].items()]
        print(f"\n{'figure':<60}measured")
        for name, value in rows:
            print(f"{name:<60}{value}")
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
        path = BENCH / "results" / f"{stamp}-scaleout.json"
        path.write_text(json.dumps(self.results, indent=2, default=str) + "\n")
        log(f"wrote {path.relative_to(ROOT)} ({CORES} cores)")


if __name__ == "__main__":
    bench = ScaleOut()
    try:
        bench.run()
    finally:
        bench.finish()
