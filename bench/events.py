"""make bench-events: payments in and webhooks out, measured in one run (docs/performance.md).

On a throwaway cluster with durable commits, the API as `make run` starts it and the delivery worker:
- Stripe webhook ingestion: signed payment_intent.succeeded events, each paying a pending order (payment,
  ledger row, order paid, two outbox events), over HTTP against the constant endpoint of the same server;
- outbox throughput: a batch of events committed at once, delivered by the worker to a fast receiver on
  loopback (events per second, commit to last delivery);
- commit to delivery: single events committed one at a time, the time from each commit to its arrival at
  the receiver (p50, p99).
"""

import asyncio
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BENCH, CORES, ROOT, ROUNDS, Bench, log  # noqa: E402

SECRET = "whsec_bench_" + "x" * 32
RECEIVER_PORT = 54360
ORDERS = 40_000  # pending orders the ingestion pays (more than two runs can use)
BATCH = 5_000  # events of the throughput run
SINGLES = 200  # events of the latency run


async def receive(port: int, out: Path) -> None:
    """A minimal HTTP/1.1 server: answers 200 to every POST at once, and notes each event id with the wall-clock
    time it arrived (written to `out` on SIGTERM)."""
    arrivals: list[str] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = dict(line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")[1:] if ": " in line)
                await reader.readexactly(int(headers.get("Content-Length", "0")))
                arrivals.append(f"{headers.get('Pgshop-Event-Id')} {time.time():.6f}")
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):  # cancelled: an idle
            writer.close()  # kept-alive connection when the receiver stops

    server = await asyncio.start_server(serve, "127.0.0.1", port)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(15, stop.set)
    async with server:
        await stop.wait()
    out.write_text("\n".join(arrivals) + "\n")


class Events(Bench):
    def __init__(self) -> None:
        super().__init__("small")
        self.pool_size = int(os.environ.get("DB_POOL_SIZE", "4"))
        self.worker: subprocess.Popen | None = None
        self.receiver: subprocess.Popen | None = None

    def signed_events(self, orders: list[tuple[int, int]], path: Path) -> Path:
        now = int(time.time())
        lines = []
        for order_id, cents in orders:
            body = json.dumps({"id": f"evt_bench_{order_id}", "object": "event", "type": "payment_intent.succeeded",
                               "created": now, "data": {"object": {
                                   "id": f"pi_bench_{order_id}", "object": "payment_intent", "amount": cents,
                                   "amount_received": cents, "currency": "usd",
                                   "metadata": {"order_id": str(order_id)}}}}, separators=(",", ":"))
            mac = hmac.new(SECRET.encode(), f"{now}.{body}".encode(), hashlib.sha256).hexdigest()
            lines.append(f"t={now},v1={mac}\t{body}")
        path.write_text("\n".join(lines) + "\n")
        return path

    def arrivals(self) -> dict[str, float]:
        """Stops the receiver and reads what arrived: event id -> time of its first arrival."""
        self.receiver.terminate()
        self.receiver.wait(timeout=10)
        first: dict[str, float] = {}
        for line in (self.tmp / "arrivals.txt").read_text().splitlines():
            if line:
                event, at = line.split()
                first.setdefault(event, float(at))
        return first

    def start_receiver(self) -> None:
        self.receiver = subprocess.Popen([sys.executable, __file__, "receiver", str(RECEIVER_PORT),
                                          str(self.tmp / "arrivals.txt")])
        time.sleep(0.5)

    def delivered(self, conn: psycopg.Connection, since: int, count: int, timeout: float = 300) -> float:
        """Waits until `count` deliveries of outbox rows after id `since` are delivered; returns the time then."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = conn.execute("select count(*) from shop.webhook_deliveries d where d.outbox_id > %s "
                                "and d.status = 'delivered'", (since,)).fetchone()[0]
            if done >= count:
                return time.time()
            time.sleep(0.05)
        raise SystemExit(f"only {done} of {count} deliveries done in {timeout} s")

    def run(self) -> None:
        os.environ["STRIPE_WEBHOOK_SECRET"] = SECRET
        self.start_cluster()
        self.generate(10_000, 20_000, 0)
        with psycopg.connect(self.su, autocommit=True) as conn:
            conn.execute("update shop.settings set value = '1' where name = 'webhook_allow_private'")
            user = conn.execute("select min(id) from shop.users where email like 'gen-%'").fetchone()[0]
            # Pending orders to pay (no lines: the payment path reads the total only).
            conn.execute("insert into shop.orders (user_id, total_amount, shipping_address) "
                         "select %s, 10 + (i %% 500), '{\"name\": \"B\", \"line1\": \"1 St\", \"city\": \"X\", "
                         "\"postal_code\": \"1\", \"country\": \"US\"}' from generate_series(1, %s) i",
                         (user, ORDERS))
            orders = conn.execute("select id, (total_amount * 100)::integer from shop.orders "
                                  "where status = 'pending' order by id").fetchall()
            conn.execute("vacuum analyze")
        self.start_api()

        log("1. Stripe webhook ingestion: signed payment_intent.succeeded, each paying a pending order, "
            "against the constant endpoint")
        per_run = len(orders) // ROUNDS
        rounds = iter(range(ROUNDS))

        def ingest() -> dict:
            r = next(rounds)
            events = self.signed_events(orders[r * per_run:(r + 1) * per_run], self.tmp / f"events-{r}.txt")
            return self.wrk("stripe.lua", "/", str(events), "2")

        self.pair("stripe_ingestion_vs_constant", ingest, lambda: self.wrk("get.lua", "/", "/bench/constant"), "ok_rps")
        with psycopg.connect(self.su, autocommit=True) as conn:
            paid, unmatched = conn.execute(
                "select count(*) filter (where unmatched_reason is null), count(*) filter (where unmatched_reason "
                "is not null) from shop.payment_events where provider_event_id like 'evt_bench_%'").fetchone()
        self.results["figures"]["stripe_ingestion_vs_constant"].update({"recorded": paid, "unmatched": unmatched})

        log(f"2. outbox throughput: {BATCH:,} events committed at once, delivered to a receiver on loopback")
        self.start_receiver()
        self.worker = subprocess.Popen([sys.executable, "-m", "api.worker"], cwd=ROOT,
                                       env={**os.environ, "DATABASE_URL": self.url})
        with psycopg.connect(self.su, autocommit=True) as conn:
            conn.execute("insert into shop.webhook_endpoints (url, events, secret) values (%s, %s, %s)",
                         (f"http://127.0.0.1:{RECEIVER_PORT}/hook", ["order.paid", "order.created"], SECRET))
            mark = conn.execute("select coalesce(max(id), 0) from shop.outbox").fetchone()[0]
            committed = time.time()
            conn.execute("insert into shop.outbox (type, resource, data) select 'order.paid', 'order/' || o.id, "
                         "shop.order_document(o) from shop.orders o order by o.id desc limit %s", (BATCH,))
            done = self.delivered(conn, mark, BATCH)
            self.results["figures"]["outbox_throughput"] = {
                "events": BATCH, "seconds": done - committed, "events_per_s": BATCH / (done - committed)}

            log(f"3. commit to delivery: {SINGLES} events, one per transaction, 20 ms apart")
            mark = conn.execute("select max(id) from shop.outbox").fetchone()[0]
            commits = {}
            for _ in range(SINGLES):
                event = conn.execute("insert into shop.outbox (type, resource, data) select 'order.created', "
                                     "'order/' || o.id, shop.order_document(o) from shop.orders o "
                                     "order by random() limit 1 returning event_id::text").fetchone()[0]
                commits[event] = time.time()
                time.sleep(0.02)
            self.delivered(conn, mark, SINGLES)
        arrived = self.arrivals()
        delays = sorted((arrived[e] - at) * 1000 for e, at in commits.items())
        self.results["figures"]["commit_to_delivery"] = {
            "events": SINGLES, "p50_ms": statistics.median(delays),
            "p99_ms": delays[min(len(delays) - 1, int(len(delays) * 0.99))], "max_ms": delays[-1]}

    def finish(self) -> None:
        for proc in (self.worker, self.receiver):
            if proc and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
        super().finish()

    def report(self) -> None:
        f = self.results["figures"]
        ingest, out, delay = f["stripe_ingestion_vs_constant"], f["outbox_throughput"], f["commit_to_delivery"]
        rows = [
            ("Stripe webhook ingestion / constant endpoint (req/s)",
             f"{ingest['a']:.0f} / {ingest['b']:.0f} = {ingest['ratio']:.2f} ({ingest['recorded']:,} recorded, "
             f"{ingest['unmatched']} unmatched)"),
            ("outbox throughput to a receiver on loopback (events/s)",
             f"{out['events_per_s']:.0f} ({out['events']:,} in {out['seconds']:.1f} s)"),
            ("commit to delivery p50 / p99 / max (ms)",
             f"{delay['p50_ms']:.1f} / {delay['p99_ms']:.1f} / {delay['max_ms']:.1f}"),
        ]
        print(f"\npgshop events bench, {CORES} cores, durable commits; {self.pool_size} connections per API worker, "
              f"webhook worker concurrency {os.environ.get('WORKER_CONCURRENCY', '16')}\n")
        for name, value in rows:
            print(f"{name:<58}{value}")
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
        path = BENCH / "results" / f"{stamp}-events.json"
        path.write_text(json.dumps(self.results, indent=2, default=str) + "\n")
        log(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["receiver"]:
        asyncio.run(receive(int(sys.argv[2]), Path(sys.argv[3])))
        sys.exit(0)
    bench = Events()
    try:
        bench.run()
    finally:
        bench.finish()
    bench.report()
