"""The caller's own profile."""

from conftest import assert_problem


def test_profile_get(client, customer):
    response = client.get("/api/users/profile", headers=customer["headers"])
    assert response.status_code == 200
    assert response.json() == customer["user"]


def test_profile_needs_a_token(client):
    assert_problem(client.get("/api/users/profile"), 401, "unauthenticated")
    assert_problem(client.put("/api/users/profile", json={"first_name": "X"}), 401, "unauthenticated")


def test_profile_update_changes_only_the_names_given(client, customer):
    response = client.put("/api/users/profile", json={"first_name": "Grace"}, headers=customer["headers"])
    assert response.status_code == 200
    body = response.json()
    assert body["first_name"] == "Grace" and body["last_name"] == customer["user"]["last_name"]
    assert body["updated_at"] >= customer["user"]["updated_at"]


def test_profile_cannot_make_anyone_admin_or_change_email(client, customer, db):
    for field, value in [("role", "admin"), ("is_admin", True), ("email", "new@example.com")]:
        assert_problem(client.put("/api/users/profile", json={field: value}, headers=customer["headers"]), 422)
    row = db.execute("select role, email from shop.users where id = %s", (customer["user"]["id"],)).fetchone()
    assert row == ("customer", customer["user"]["email"])


def test_profile_blank_name_is_422_and_changes_nothing(client, customer):
    assert_problem(client.put("/api/users/profile", json={"first_name": "  "}, headers=customer["headers"]),
                   422, "invalid_name")
    assert client.get("/api/users/profile", headers=customer["headers"]).json() == customer["user"]
