"""Payments over HTTP: Stripe's signed webhooks (built here from the secret, as the provider's CLI does),
manual payments and refund requests by admins, unmatched events, and unpaid orders that expire."""

import json
import time
import uuid

import pytest

from conftest import assert_problem, setting
from helpers import ADDRESS, WEBHOOK, cents, checkout, fill_cart, intent, make_product, pay, send, signed, stock


@pytest.fixture
def order(client, admin, customer) -> dict:
    product = make_product(client, admin, price="24.50", stock_quantity=20)
    fill_cart(client, customer["headers"], (product, 2))
    response = checkout(client, customer["headers"])
    assert response.status_code == 201
    return {**response.json(), "product": product}


def get(client, admin, order) -> dict:
    return client.get(f"/api/orders/{order['id']}", headers=admin["headers"]).json()


def events(db, order, since: int = 0) -> list[str]:
    return [t for (t,) in db.execute("select type from shop.outbox where resource = %s and id > %s order by id",
                                     (f"order/{order['id']}", since))]


def test_a_succeeded_payment_intent_pays_the_order(client, admin, order, db):
    assert order["currency"] == "USD" and order["balance_due"] == "49.00" and order["payments"] == []
    response = send(client, intent(order))
    assert response.status_code == 200, response.text
    assert response.json()["result"] == "recorded" and response.json()["payment"]["status"] == "captured"
    paid = get(client, admin, order)
    assert paid["status"] == "paid" and paid["balance_due"] == "0.00"
    assert [(p["provider"], p["status"], p["captured_amount"]) for p in paid["payments"]] == [
        ("stripe", "captured", "49.00")]
    assert (paid["history"][-1]["status"], paid["history"][-1]["actor"]) == ("paid", "payment")
    assert events(db, order) == ["order.created", "payment.captured", "order.paid"]


def test_the_same_event_twice_changes_nothing_the_second_time(client, admin, order, db):
    event = intent(order)
    assert send(client, event).json()["result"] == "recorded"
    before = get(client, admin, order)
    again = send(client, event)
    assert again.status_code == 200 and again.json()["result"] == "duplicate"
    assert get(client, admin, order) == before
    assert db.execute("select count(*) from shop.payment_events where provider_event_id = %s",
                      (event["id"],)).fetchone()[0] == 1
    assert events(db, order) == ["order.created", "payment.captured", "order.paid"]


@pytest.mark.parametrize("forge", ["other secret", "tampered body", "no header", "not hex", "two timestamps",
                                   "not ascii"])
def test_a_bad_signature_is_400_and_records_nothing(client, order, db, forge):
    event = intent(order)
    body = json.dumps(event).encode()
    headers = {"other secret": signed(body, secret="whsec_wrong"),
               "tampered body": signed(body.replace(b'"usd"', b'"eur"')),
               "no header": {"Content-Type": "application/json"},
               "not hex": {"Stripe-Signature": f"t={int(time.time())},v1=zz", "Content-Type": "application/json"},
               "two timestamps": {"Stripe-Signature": f"t=1,{signed(body)['Stripe-Signature']}"},
               "not ascii": {"Stripe-Signature": f"t={int(time.time())},v1=\u00e9{'0' * 63}".encode("latin-1")}}[forge]
    headers = {"Content-Type": "application/json", **headers}
    assert_problem(client.post(WEBHOOK, content=body, headers=headers), 400, "invalid_signature")
    assert db.execute("select count(*) from shop.payment_events where provider_event_id = %s",
                      (event["id"],)).fetchone()[0] == 0


def test_a_body_not_declared_json_is_415_and_records_nothing(client, order, db):
    event = intent(order)
    body = json.dumps(event).encode()
    for media_type in ("text/plain", "application/x-www-form-urlencoded", ""):
        assert_problem(client.post(WEBHOOK, content=body, headers={**signed(body), "Content-Type": media_type}), 415)
    assert db.execute("select count(*) from shop.payment_events where provider_event_id = %s",
                      (event["id"],)).fetchone()[0] == 0
    as_stripe_sends_it = {**signed(body), "Content-Type": "application/json; charset=utf-8"}
    assert client.post(WEBHOOK, content=body, headers=as_stripe_sends_it).json()["result"] == "recorded"


@pytest.mark.parametrize("age", [310, -310])  # 5 minutes and some: the clock moves while it is sent
def test_a_stale_signature_is_400_and_records_nothing(client, order, db, age):
    event = intent(order)
    assert_problem(send(client, event, at=int(time.time()) - age), 400, "stale_signature")
    assert db.execute("select count(*) from shop.payment_events where provider_event_id = %s",
                      (event["id"],)).fetchone()[0] == 0
    assert send(client, event, at=int(time.time()) - 240).json()["result"] == "recorded"  # within 5 minutes


@pytest.mark.parametrize("case, reason", [("unknown order", "unknown_order"), ("wrong amount", "amount_mismatch"),
                                          ("other currency", "currency_mismatch"), ("no metadata", "unknown_order")])
def test_an_event_that_matches_no_payable_order_is_kept_for_an_admin(client, admin, order, db, case, reason):
    event = {"unknown order": intent(order, order_id=999999999),
             "wrong amount": intent(order, amount=cents(order["total_amount"]) - 1),
             "other currency": intent(order, currency="eur"),
             "no metadata": intent(order, order_id="")}[case]
    if case == "no metadata":
        del event["data"]["object"]["metadata"]
    response = send(client, event)
    assert response.status_code == 200 and response.json()["result"] == "unmatched"
    assert response.json()["reason"] == reason
    after = get(client, admin, order)
    assert after["status"] == "pending" and after["payments"] == [] and after["balance_due"] == order["balance_due"]
    unmatched = client.get("/api/admin/payments/unmatched", headers=admin["headers"]).json()["items"]
    assert [(u["event_id"], u["reason"]) for u in unmatched if u["event_id"] == event["id"]] == [(event["id"], reason)]
    assert events(db, order) == ["order.created"]


def test_unmatched_list_is_for_admins(client, customer):
    assert_problem(client.get("/api/admin/payments/unmatched", headers=customer["headers"]), 403, "forbidden")
    assert_problem(client.get("/api/admin/payments/unmatched"), 401, "unauthenticated")


@pytest.mark.parametrize("refunded", ["all", "part"])
def test_a_refund_that_arrives_before_its_capture_ends_as_if_in_order(client, admin, customer, order, refunded):
    """The same two events, in order for one order and reversed for another, end in the same state."""
    amount = cents(order["total_amount"]) if refunded == "all" else 1000
    fill_cart(client, customer["headers"], (order["product"], 2))
    twin = checkout(client, customer["headers"]).json()
    for target, reverse in ((order, False), (twin, True)):
        pi = f"pi_{uuid.uuid4().hex[:16]}"
        capture, refund = intent(target, pi=pi), intent(target, "charge.refunded", amount=amount, pi=pi)
        for event in ([refund, capture] if reverse else [capture, refund]):
            assert send(client, event).json()["result"] == "recorded"
    states = [get(client, admin, o) for o in (order, twin)]
    for state in states:
        assert state["status"] == "paid"
        [payment] = state["payments"]
        assert payment["status"] == ("refunded" if refunded == "all" else "partially_refunded")
        assert (payment["captured_amount"], payment["refunded_amount"]) == (
            "49.00", "49.00" if refunded == "all" else "10.00")
    assert [h["status"] for h in states[0]["history"]] == [h["status"] for h in states[1]["history"]]


def test_a_failed_payment_is_recorded_and_leaves_the_order_pending(client, admin, order):
    response = send(client, intent(order, "payment_intent.payment_failed"))
    assert response.json()["result"] == "recorded" and response.json()["payment"]["status"] == "failed"
    assert get(client, admin, order)["status"] == "pending"
    assert send(client, intent(order)).json()["result"] == "recorded"  # the customer tries again and pays
    assert get(client, admin, order)["status"] == "paid"


def test_other_event_types_are_answered_and_ignored(client, order, db):
    event = {**intent(order), "type": "customer.created"}
    assert send(client, event).json() == {"event_id": event["id"], "result": "ignored"}
    assert db.execute("select count(*) from shop.payment_events where provider_event_id = %s",
                      (event["id"],)).fetchone()[0] == 0


def test_manual_payments_pay_the_order_when_they_cover_it(client, admin, customer, order, db):
    url = f"/api/admin/orders/{order['id']}/payments"
    assert_problem(client.post(url, json={"amount": "10.00", "reference": "BT-1"}, headers=customer["headers"]),
                   403, "forbidden")
    assert_problem(client.post(url, json={"amount": "0", "reference": "BT-1"}, headers=admin["headers"]),
                   422, "invalid_amount")
    assert_problem(client.post(url, json={"amount": "1.001", "reference": "BT-1"}, headers=admin["headers"]),
                   422, "invalid_amount")
    assert_problem(client.post(url, json={"amount": "1.00", "reference": "  "}, headers=admin["headers"]),
                   422, "invalid_reference")
    assert_problem(client.post(url, json={"amount": "49.01", "reference": "BT-1"}, headers=admin["headers"]),
                   409, "amount_exceeds_balance")
    assert_problem(client.post("/api/admin/orders/999999999/payments", json={"amount": "1", "reference": "x"},
                               headers=admin["headers"]), 404, "not_found")
    reference = f"BT-{uuid.uuid4().hex[:8]}"
    part = client.post(url, json={"amount": "20.00", "reference": reference}, headers=admin["headers"])
    assert part.status_code == 201 and part.json()["status"] == "pending" and part.json()["balance_due"] == "29.00"
    assert_problem(client.post(url, json={"amount": "1.00", "reference": reference}, headers=admin["headers"]),
                   409, "duplicate_payment")
    rest = client.post(url, json={"amount": 29, "reference": reference + "-2"}, headers=admin["headers"]).json()
    assert rest["status"] == "paid" and rest["balance_due"] == "0.00"
    assert [(p["provider"], p["captured_amount"]) for p in rest["payments"]] == [("manual", "20.00"),
                                                                                  ("manual", "29.00")]
    assert_problem(client.post(url, json={"amount": "1.00", "reference": "BT-late"}, headers=admin["headers"]),
                   409, "order_not_payable")
    recorded = db.execute("select recorded_by, recorded_by_user is not null from shop.payment_events "
                          "where order_id = %s order by id", (order["id"],)).fetchall()
    assert recorded == [("admin", True), ("admin", True)]


def test_refunds_are_requested_up_to_what_was_captured(client, admin, order, db):
    url = f"/api/admin/orders/{order['id']}/refunds"
    assert_problem(client.post(url, json={"amount": "1.00", "reason": "goodwill"}, headers=admin["headers"]),
                   409, "refund_exceeds_captured")  # nothing captured yet
    pi = f"pi_{uuid.uuid4().hex[:16]}"
    send(client, intent(order, pi=pi))
    mark = db.execute("select max(id) from shop.outbox").fetchone()[0]
    assert_problem(client.post(url, json={"amount": "5.00", "reason": ""}, headers=admin["headers"]),
                   422, "invalid_reason")
    first = client.post(url, json={"amount": "30.00", "reason": "one item damaged"}, headers=admin["headers"])
    assert first.status_code == 201, first.text
    [payment] = first.json()["payments"]
    assert (payment["refund_requested_amount"], payment["refunded_amount"], payment["status"]) == (
        "30.00", "0.00", "captured")  # asked, not yet confirmed by the provider
    assert_problem(client.post(url, json={"amount": "19.01", "reason": "more"}, headers=admin["headers"]),
                   409, "refund_exceeds_captured")
    assert client.post(url, json={"amount": "19.00", "reason": "the rest"}, headers=admin["headers"]).status_code == 201
    assert events(db, order, mark) == ["refund.requested", "refund.requested"]
    data = db.execute("select data from shop.outbox where resource = %s and type = 'refund.requested' order by id",
                      (f"order/{order['id']}",)).fetchone()[0]
    assert (data["amount"], data["reason"], data["payment"]["reference"]) == ("30.00", "one item damaged", pi)
    # Stripe confirms both (amount_refunded is cumulative).
    send(client, intent(order, "charge.refunded", amount=4900, pi=pi))
    [payment] = get(client, admin, order)["payments"]
    assert (payment["refunded_amount"], payment["status"]) == ("49.00", "refunded")
    assert events(db, order, mark)[-1] == "payment.refunded"


def test_an_unpaid_order_expires_returns_its_stock_once_and_refuses_a_late_payment(client, admin, order, db):
    product = order["product"]
    assert stock(db, product) == 18
    db.execute("update shop.orders set created_at = now() - interval '61 minutes' where id = %s", (order["id"],))
    with setting(db, "order_payment_window", "0"):
        assert db.execute("select lib.orders_expire()").fetchone()[0] == 0  # 0 disables the expiry
    assert db.execute("select lib.orders_expire()").fetchone()[0] >= 1
    assert db.execute("select lib.orders_expire()").fetchone()[0] == 0
    expired = get(client, admin, order)
    assert expired["status"] == "cancelled" and stock(db, product) == 20
    assert (expired["history"][-1]["actor"], expired["history"][-1]["reason"]) == ("expiry", "unpaid")
    cancelled = db.execute("select reason, data ->> 'status' from shop.outbox where resource = %s "
                           "and type = 'order.cancelled'", (f"order/{order['id']}",)).fetchall()
    assert cancelled == [("unpaid", "cancelled")]
    late = send(client, intent(order))
    assert late.json()["result"] == "unmatched" and late.json()["reason"] == "order_not_payable"
    assert get(client, admin, order)["status"] == "cancelled" and stock(db, product) == 20


def test_the_expiry_job_is_scheduled_every_minute(db):
    schedule = db.execute("select schedule, command from cron.job where jobname = 'pgshop-expire-unpaid-orders'")
    assert schedule.fetchall() == [("* * * * *", "select lib.orders_expire()")]


def test_a_paid_order_never_expires(client, admin, order, db):
    pay(client, admin, order)
    db.execute("update shop.orders set created_at = now() - interval '2 days' where id = %s", (order["id"],))
    db.execute("select lib.orders_expire()")
    assert get(client, admin, order)["status"] == "paid"


def test_checkout_answers_an_order_with_its_payment_fields(client, customer, order):
    assert set(order) >= {"currency", "balance_due", "payments", "history"}
    assert order["history"] == [{"status": "pending", "at": order["history"][0]["at"], "actor": "customer",
                                 "reason": None}]
    assert ADDRESS == order["shipping_address"]
