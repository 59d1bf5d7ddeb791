"""Health, the OpenAPI document, and errors outside any one domain."""

from conftest import assert_problem


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
