"""Health, the OpenAPI document, and errors outside any one domain."""

import os
import re
import subprocess
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from conftest import assert_problem

ROOT = Path(__file__).resolve().parent.parent


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_openapi_documents_every_endpoint_with_shapes(client):
    spec = client.get("/schema/openapi.json").json()
    expected = {
        ("/api/auth/register", "post"), ("/api/auth/login", "post"),
        ("/api/users/profile", "get"), ("/api/users/profile", "put"),
        ("/api/categories", "get"), ("/api/categories", "post"),
        ("/api/products", "get"), ("/api/products", "post"),
        ("/api/products/{product_id}", "get"), ("/api/products/{product_id}", "put"),
        ("/api/products/{product_id}", "delete"),
        ("/api/cart", "get"), ("/api/cart/items", "post"),
        ("/api/cart/items/{product_id}", "put"), ("/api/cart/items/{product_id}", "delete"),
        ("/api/orders", "get"), ("/api/orders", "post"), ("/api/orders/{order_id}", "get"),
        ("/api/orders/{order_id}/status", "put"), ("/api/admin/inventory/low-stock", "get"),
        ("/api/admin/reports/sales", "get"), ("/api/admin/reports/products", "get"),
        ("/api/admin/reports/categories", "get"), ("/api/admin/audit", "get"),
    }
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert expected <= documented
    product_get = spec["paths"]["/api/products/{product_id}"]["get"]
    schema_ref = product_get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert "price" in spec["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]["properties"]
    assert "requestBody" in spec["paths"]["/api/products"]["post"]


def test_unknown_route_is_problem_json(client):
    assert_problem(client.get("/api/nothing-here"), 404, "not_found")


def test_wrong_method_is_problem_json(client):
    assert_problem(client.patch("/api/categories"), 405, "method_not_allowed")


def test_out_of_range_id_is_422_not_500(client):
    assert_problem(client.get("/api/products/99999999999999999999"), 422)


def test_openapi_documents_every_status_with_the_problem_schema(client):
    spec = client.get("/schema/openapi.json").json()
    problem = {"$ref": "#/components/schemas/ProblemOut"}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            # Bad input is 422 here; 400 is only a provider's signature that does not hold.
            assert ("400" in responses) == (path == "/api/payments/webhooks/stripe"), (method, path)
            assert "503" in responses, (method, path)
            if "requestBody" in operation:
                assert {"415", "422"} <= responses.keys(), (method, path)
            if operation.get("security"):
                assert "401" in responses, (method, path)
            for status, response in responses.items():
                if status >= "400":
                    assert response["content"]["application/problem+json"]["schema"] == problem, (method, path)
    schemas = spec["components"]["schemas"]
    for name in ("RegisterIn", "LoginIn", "ProductIn", "ProductPatch", "CheckoutIn", "CartItemIn"):
        assert schemas[name]["additionalProperties"] is False, name


def test_a_database_that_answers_is_healthy_and_says_so_without_caching(client):
    response = client.get("/health")
    assert response.json() == {"status": "ok"} and response.headers["cache-control"] == "no-store"


LAYER_SCHEMAS = ("shop", "lib", "api", "audit", "reporting", "monitoring")
LANDED_BEFORE_THE_LAYER = "20261208100000"  # migrations before it wrote routines, views and triggers themselves
DECLARED = re.compile(r"create (?:or replace )?(?:function|procedure) ((?:%s)\.\w+)\(" % "|".join(LAYER_SCHEMAS), re.I)


def layer_files() -> list[Path]:
    """Every file of db/ that may declare a routine: the layer, the checks, the demo data and the migrations
    since the layer took over (which may not: see the test below)."""
    return [p for p in sorted((ROOT / "db").rglob("*.sql"))
            if "tests" not in p.parts and p.name != "schema.sql"
            and not (p.parent.name == "migrations" and p.name < LANDED_BEFORE_THE_LAYER)]


def test_every_routine_is_declared_once_in_the_layer_and_no_migration_writes_one():
    declared = [(m.group(1).lower(), p.relative_to(ROOT)) for p in layer_files() for m in DECLARED.finditer(p.read_text())]
    names = [name for name, _ in declared]
    assert declared and len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert {str(path.parent) for _, path in declared} == {"db/functions"}, "a routine declared outside db/functions"
    # The migration that handed them to the layer replays the earlier migrations' own definitions on its down;
    # every migration after it holds state only.
    for migration in (ROOT / "db/migrations").glob("*.sql"):
        if migration.name[:14] > LANDED_BEFORE_THE_LAYER:
            text = migration.read_text().lower()
            assert not re.search(r"create (or replace )?(view|trigger|constraint trigger|function|procedure) ", text), \
                f"{migration.name}: a view, trigger or routine belongs in db/functions (db/README.md)"


def test_migrate_is_idempotent_applies_exactly_the_layer_and_takes_a_plain_url(db, database_url, client):
    """`make migrate` against a plain TCP URL without sslmode (dbmate's driver alone would demand SSL): it
    migrates nothing new and applies the layer, so routines, views and triggers made by hand in its schemas are
    gone and the database holds exactly what db/functions declares; the API keeps answering."""
    db.execute("alter role pgshop password 'plain-url-test'")
    db.execute("create function api.made_by_hand() returns int language sql as 'select 1'")
    db.execute("create function shop.made_by_hand() returns trigger language plpgsql as 'begin return null; end'")
    db.execute("create trigger _900_made_by_hand after insert on shop.categories for each statement "
               "execute function shop.made_by_hand()")
    db.execute("create view reporting.made_by_hand as select 1 as one")
    port = conninfo_to_dict(database_url)["port"]
    url = f"postgresql://pgshop:plain-url-test@127.0.0.1:{port}/pgshop"
    for _ in range(2):
        result = subprocess.run([str(ROOT / "scripts/pgshop"), "migrate"], capture_output=True, text=True,
                                cwd=ROOT, env={**os.environ, "DATABASE_URL": url})
        assert result.returncode == 0, result.stdout + result.stderr
    assert db.execute("select to_regproc('api.made_by_hand'), to_regproc('shop.made_by_hand'), "
                      "to_regclass('reporting.made_by_hand'), (select count(*) from pg_trigger "
                      "where tgname = '_900_made_by_hand')").fetchone() == (None, None, None, 0)
    files = {name for p in layer_files() for name in (m.group(1).lower() for m in DECLARED.finditer(p.read_text()))}
    deployed = {f"{schema}.{name}" for schema, name in db.execute(
        "select n.nspname, p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
        "where n.nspname = any(%s)", (list(LAYER_SCHEMAS),)).fetchall()}
    assert deployed == files
    assert client.get("/api/categories").status_code == 200


def test_a_table_missing_from_the_sharding_plan_is_named_with_the_line_to_add(db, database_url):
    db.execute("create table shop.zz_unplanned (id bigint primary key)")
    try:
        check = subprocess.run(["psql", database_url, "-qX", "-v", "ON_ERROR_STOP=1", "-f",
                                str(ROOT / "db/checks/sharding.sql")], capture_output=True, text=True)
    finally:
        db.execute("drop table shop.zz_unplanned")
    assert check.returncode != 0
    assert ("shop.zz_unplanned is not in the sharding plan: add its line to \"insert into sharding_plan\" in "
            "db/checks/sharding.sql: ('shop.zz_unplanned', 'distributed'") in check.stderr, check.stderr


def test_every_migration_since_the_function_layer_drops_it_first_on_rollback():
    """A down that drops a table a layer function refers to would fail on a deployed database (db/README.md)."""
    migrations = sorted((ROOT / "db/migrations").glob("*.sql"))
    since = [m for m in migrations if m.name >= "20261201110000"]
    assert since
    for migration in since:
        down = migration.read_text().split("-- migrate:down", 1)[1]
        first = next(line for line in down.splitlines()[1:] if line.strip() and not line.startswith("--"))
        assert first == "select shop.drop_function_layer();", migration.name
