"""Registration, login and the JWT attacks the API must refuse."""

import base64
import json
import time

import jwt
import pytest

from conftest import JWT_SECRET, PASSWORD, assert_problem, bearer, login, register, unique_email


def test_register_returns_the_user_without_password_material(client, db):
    email = unique_email()
    response = client.post("/api/auth/register",
                           json={"email": email, "password": PASSWORD, "first_name": "Ada", "last_name": "Lovelace"})
    assert response.status_code == 201
    user = response.json()
    assert user["email"] == email and user["first_name"] == "Ada" and user["role"] == "customer"
    assert {"id", "created_at", "updated_at"} <= user.keys()
    assert "password" not in response.text and "$2" not in response.text
    stored = db.execute("select password_hash from shop.users where id = %s", (user["id"],)).fetchone()[0]
    assert stored.startswith("$2a$") and PASSWORD not in stored


def test_duplicate_email_in_any_case_is_409(client):
    email = unique_email()
    register(client, email)
    assert_problem(client.post("/api/auth/register", json={"email": email.upper(), "password": PASSWORD,
                                                            "first_name": "A", "last_name": "B"}), 409, "email_taken")


@pytest.mark.parametrize("body, code", [
    ({"email": "not-an-email", "password": PASSWORD, "first_name": "A", "last_name": "B"}, "invalid_email"),
    ({"email": "short@example.com", "password": "1234567", "first_name": "A", "last_name": "B"}, "password_too_short"),
    ({"email": "blank@example.com", "password": PASSWORD, "first_name": " ", "last_name": "B"}, "invalid_name"),
    ({"email": "missing@example.com", "password": PASSWORD}, "validation_failed"),
    ({"email": "typed@example.com", "password": 12345678, "first_name": "A", "last_name": "B"}, "validation_failed"),
])
def test_register_validation_is_422(client, body, code):
    assert_problem(client.post("/api/auth/register", json=body), 422, code)


def test_malformed_json_is_422(client):
    assert_problem(client.post("/api/auth/register", content=b"{not json",
                               headers={"content-type": "application/json"}), 422, "validation_failed")


def test_login_gives_a_bearer_token_with_the_documented_claims(client):
    user = register(client)
    response = client.post("/api/auth/login", json={"email": user["email"].upper(), "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    claims = jwt.decode(body["access_token"], JWT_SECRET, algorithms=["HS256"], audience="pgshop-api")
    assert claims["sub"] == str(user["id"]) and claims["role"] == "customer" and claims["iss"] == "pgshop"
    assert claims["exp"] - claims["iat"] == body["expires_in"]


def test_unknown_email_and_wrong_password_are_the_same_401(client):
    user = register(client)
    wrong = client.post("/api/auth/login", json={"email": user["email"], "password": "wrong password"})
    unknown = client.post("/api/auth/login", json={"email": unique_email(), "password": PASSWORD})
    a, b = assert_problem(wrong, 401, "invalid_credentials"), assert_problem(unknown, 401, "invalid_credentials")
    assert a == b


def _token(**overrides) -> dict:
    now = int(time.time())
    claims = {"sub": "1", "role": "customer", "iat": now, "exp": now + 600, "iss": "pgshop", "aud": "pgshop-api"}
    return {k: v for k, v in {**claims, **overrides}.items() if v is not None}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("make_token", [
    pytest.param(lambda sub: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_token(sub=sub))}.", id="alg-none"),
    pytest.param(lambda sub: jwt.encode(_token(sub=sub), "not-the-secret" * 8, algorithm="HS256"), id="wrong-signature"),
    pytest.param(lambda sub: jwt.encode(_token(sub=sub, exp=int(time.time()) - 10), JWT_SECRET), id="expired"),
    pytest.param(lambda sub: jwt.encode(_token(sub=sub, aud="someone-else"), JWT_SECRET), id="wrong-audience"),
    pytest.param(lambda sub: jwt.encode(_token(sub=sub, iss="someone-else"), JWT_SECRET), id="wrong-issuer"),
    pytest.param(lambda sub: jwt.encode(_token(sub=sub, exp=None), JWT_SECRET), id="no-expiry"),
    pytest.param(lambda sub: jwt.encode(_token(sub=sub, role="root"), JWT_SECRET), id="unknown-role"),
    pytest.param(lambda sub: jwt.encode(_token(sub=sub), JWT_SECRET, algorithm="HS512"), id="other-algorithm"),
    pytest.param(lambda sub: "garbage", id="garbage"),
])
def test_forged_or_stale_tokens_are_401(client, make_token):
    user = register(client)
    response = client.get("/api/users/profile", headers=bearer(make_token(str(user["id"]))))
    assert_problem(response, 401, "unauthenticated")


def test_a_token_claiming_admin_for_a_customer_is_still_refused_by_the_database(client):
    # Only someone holding the secret could mint this; the database checks shop.users anyway.
    user = register(client)
    forged = jwt.encode(_token(sub=str(user["id"]), role="admin"), JWT_SECRET)
    response = client.post("/api/categories", json={"name": "Nope " + unique_email()}, headers=bearer(forged))
    assert_problem(response, 403, "forbidden")


def test_non_bearer_authorization_is_401(client):
    assert_problem(client.get("/api/users/profile", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)


def test_login_token_works(client):
    user = register(client)
    token = login(client, user["email"])
    assert client.get("/api/users/profile", headers=bearer(token)).json()["id"] == user["id"]
