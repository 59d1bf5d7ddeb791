"""Health, the OpenAPI document, and errors outside any one domain."""

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
            assert "400" not in responses, (method, path)  # bad input is 422 here
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


def test_a_plain_tcp_url_without_sslmode_works_for_the_migration_tool(db, database_url):
    """dbmate's driver would demand SSL (sslmode=require) where psql prefers it and falls back: the set-up
    gives a URL without sslmode libpq's default, so the URL that works with psql works for every tool."""
    db.execute("alter role pgshop password 'plain-url-test'")
    port = conninfo_to_dict(database_url)["port"]
    url = f"postgresql://pgshop:plain-url-test@127.0.0.1:{port}/pgshop"
    result = subprocess.run([str(ROOT / "scripts/pgshop.sh"), "dbmate", url, "status"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and "Pending: 0" in result.stdout, result.stdout + result.stderr
