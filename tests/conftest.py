"""pytest runs the real app (uvicorn, as `make run` does) against the real database of `make test`.

DATABASE_URL is the owner's URL of that throwaway database; the app itself connects as pgshop_api.
PGSHOP_TEST_MODE runs the same suite with the app's reads on a standby (`replica`: PGSHOP_TEST_STANDBY) or its
primary connections through PgBouncer (`pgbouncer`: PGSHOP_TEST_PGBOUNCER), as `REPLICA=1` / `PGBOUNCER=1
make run` would.
"""

import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import jsonschema
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

JWT_SECRET = "test-secret-" + uuid.uuid4().hex * 2
STRIPE_SECRET = "whsec_test_" + uuid.uuid4().hex  # the suite signs Stripe events with it, as Stripe's CLI does
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.exit("DATABASE_URL is not set: run the tests with `make test`", returncode=2)
    return url


class Served(str):
    """The API's base URL, with the URL of its metrics listener (.metrics), its supervisord.conf (.conf) and
    the lines the run printed so far (.lines)."""

    metrics: str
    conf: str
    lines: list[str]


ROOT = Path(__file__).resolve().parent.parent
PGSHOP = str(Path(sys.executable).with_name("pgshop"))


@contextmanager
def serve(database_url: str, workers: int = 2, programs: tuple[str, ...] = ("api", "metrics"),
          **env: str) -> Iterator[Served]:
    """PROGRAMS served as `make run` serves them (`pgshop serve`: supervisord), on free ports; yields the API's URL.
    Stopped with SIGTERM, as a supervisor or Ctrl-C would."""
    port, metrics_port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "JWT_SECRET": JWT_SECRET, "API_DATABASE_URL": "",
           "STRIPE_WEBHOOK_SECRET": STRIPE_SECRET, "DB_POOL_SIZE": "8", "PORT": str(port), "WORKERS": str(workers),
           "METRICS_PORT": str(metrics_port), "UVICORN_LOG_LEVEL": "warning", **env}
    proc = subprocess.Popen([PGSHOP, "serve", *programs], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    served = Served(f"http://127.0.0.1:{port}")
    served.metrics = f"http://127.0.0.1:{metrics_port}/metrics"
    served.lines = lines = []
    threading.Thread(target=lambda: [(lines.append(line), print(line, end="")) for line in proc.stdout],
                     daemon=True).start()
    deadline = time.monotonic() + 30
    while True:
        try:
            if any("supervisorctl -c " in line for line in lines) and httpx.get(f"{served}/health").status_code == 200 \
                    and ("metrics" not in programs or httpx.get(served.metrics).status_code in (200, 401)):
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.exit("the API did not start:\n" + "".join(lines[-20:]), returncode=3)
        time.sleep(0.1)
    served.conf = next(line.split("supervisorctl -c ", 1)[1].split()[0] for line in lines if "supervisorctl -c " in line)
    try:
        yield served
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def supervisorctl(served: Served, *args: str) -> str:
    return subprocess.run([str(Path(sys.executable).with_name("supervisorctl")), "-c", served.conf, *args],
                          capture_output=True, text=True).stdout


MODE = os.environ.get("PGSHOP_TEST_MODE", "")


def as_user(url: str, user: str) -> str:
    params = conninfo_to_dict(url)
    params.pop("password", None)
    params["user"] = user
    return make_conninfo(**params)


def mode_env(database_url: str) -> dict[str, str]:
    """The API's settings in this pass of make test: as is, as with REPLICA=1, or as with PGBOUNCER=1."""
    return {"": {},
            "replica": {"READ_DATABASE_URL": os.environ.get("PGSHOP_TEST_STANDBY", "")},
            "pgbouncer": {"API_DATABASE_URL": os.environ.get("PGSHOP_TEST_PGBOUNCER", ""),
                          "DIRECT_DATABASE_URL": as_user(database_url, "pgshop_api"), "DB_PREPARED_STATEMENTS": "0"},
            }[MODE]


@pytest.fixture(scope="session")
def base_url(database_url: str) -> Iterator[Served]:
    # Two workers, as `make run WORKERS=2` would: concurrency tests reach the database in parallel. The tests
    # are the trusted proxy, so X-Forwarded-For gives each rate-limit test a client address of its own.
    with serve(database_url, TRUSTED_PROXIES="127.0.0.1", **mode_env(database_url)) as url:
        yield url


class Contract:
    """The OpenAPI document's promise about each response: its status is documented for the operation, and its
    JSON body matches that status's schema, which is closed (additionalProperties: false) for every object the
    database builds. Every response the `client` fixture receives is checked, so a function that adds, drops or
    renames a member without its shape in api/schemas.py fails the test that called it."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        # A literal path before a template it also matches (/api/products/facets, /api/products/{product_id}).
        self.paths = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), item)
                      for path, item in sorted(spec["paths"].items(), key=lambda p: p[0].count("{"))]

    def check(self, response: httpx.Response) -> None:
        response.read()
        item = next((item for pattern, item in self.paths if pattern.match(response.request.url.path)), None)
        operation = (item or {}).get(response.request.method.lower())
        if operation is None or response.status_code in (204, 304):
            return  # an unknown route (a 404 by design) or no body
        documented = operation["responses"].get(str(response.status_code))
        assert documented is not None, f"{response.request.method} {response.request.url.path}: " \
                                       f"{response.status_code} is not documented"
        media_type = response.headers.get("content-type", "").split(";")[0]
        schema = documented.get("content", {}).get(media_type, {}).get("schema")
        assert schema is not None, f"{response.status_code} {media_type} is not documented"
        if not media_type.endswith("json"):
            return  # a file (text/csv): its media type is the promise
        validator = jsonschema.Draft202012Validator({**schema, "components": self.spec.get("components", {})})
        problems = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.absolute_path))
        assert not problems, f"{response.request.method} {response.request.url.path} {response.status_code}: " + \
            "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in problems[:5])


@pytest.fixture(scope="session")
def contract(base_url: str) -> Contract:
    return Contract(httpx.get(f"{base_url}/schema/openapi.json").json())


@pytest.fixture
def client(base_url: str, contract: Contract) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, event_hooks={"response": [contract.check]}) as c:
        yield c


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked disruptive (a database restart, fuzzing as an admin) run after all the others."""
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    """The owner's connection, for setting up data the API cannot create (admins) and checking state."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        if MODE != "replica":
            yield conn
            return
        replicated = Replicated(conn, os.environ["PGSHOP_TEST_STANDBY"])
        yield replicated
        replicated.standby.close()


class Replicated:
    """The owner's connection when the app reads from a standby: a change made here is waited for until the
    standby has replayed it, so that the app's next read sees it, as a write through the app would be."""

    def __init__(self, conn: psycopg.Connection, standby: str) -> None:
        self.conn, self.standby = conn, psycopg.connect(standby, autocommit=True)

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.conn, name)

    def execute(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        cursor = self.conn.execute(*args, **kwargs)
        if self.conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            self.replayed()
        return cursor

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            yield
        self.replayed()

    def replayed(self) -> None:
        lsn = self.conn.execute("select pg_current_wal_insert_lsn()").fetchone()[0]
        while not self.standby.execute("select pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone()[0]:
            time.sleep(0.002)


@contextmanager
def setting(db: psycopg.Connection, name: str, value: str) -> Iterator[None]:
    """A shop.settings value for the duration of a test (the suite's deploy raises some limits)."""
    old = db.execute("select value from shop.settings where name = %s", (name,)).fetchone()[0]
    db.execute("update shop.settings set value = %s where name = %s", (value, name))
    try:
        yield
    finally:
        db.execute("update shop.settings set value = %s where name = %s", (old, name))


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def register(client: httpx.Client, email: str | None = None, **fields: str) -> dict:
    body = {"email": email or unique_email(), "password": PASSWORD, "first_name": "Ada", "last_name": "Lovelace",
            **fields}
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def login(client: httpx.Client, email: str, password: str = PASSWORD) -> str:
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def customer(client: httpx.Client) -> dict:
    """A fresh customer: {"user": ..., "headers": ...}."""
    user = register(client)
    return {"user": user, "headers": bearer(login(client, user["email"]))}


@pytest.fixture
def admin(client: httpx.Client, db: psycopg.Connection) -> dict:
    email = unique_email("admin")
    db.execute("select lib.make_admin(%s, %s)", (email, PASSWORD))
    return {"email": email, "headers": bearer(login(client, email))}


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["title"] and isinstance(body["detail"], str)
    if code is not None:
        assert body["code"] == code, body
    return body
