"""Catalog import and export over HTTP (CSV through COPY) and `pgshop import`: what a file changes, dry runs,
duplicates, the error matrix, the record of each import, and export then import changing nothing."""

import csv
import hashlib
import io

import pytest

from conftest import assert_problem
from helpers import make_category, make_product, pgshop, word

COLUMNS = ["product_handle", "product_name", "description", "category_path", "sku", "price", "compare_at_price",
           "stock", "weight_grams", "option1_name", "option1_value", "option2_name", "option2_value", "option3_name",
           "option3_value", "active", "metadata"]


def row(handle: str, sku: str, **cells: str) -> dict:
    return {"product_handle": handle, "product_name": f"Tent {handle}", "sku": sku, "price": "100.00", "stock": "5",
            **cells}


def csv_of(rows: list[dict], columns: list[str] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def send(client, admin, body: bytes, **params):
    return client.post("/api/admin/imports", content=body, params=params,
                       headers={**admin["headers"], "Content-Type": "text/csv"})


def imported(client, admin, body: bytes, **params) -> dict:
    response = send(client, admin, body, **params)
    assert response.status_code == 201, response.text
    return response.json()


def tents(n: int = 2):
    """A two-option product of n sizes in one colour, under a new category path."""
    handle, path = f"tent-{word()}", f"Outdoor {word()} > Tents {word()}"
    return handle, path, [row(handle, f"T-{word()}", category_path=path, option1_name="Size",
                              option1_value=size, option2_name="Colour", option2_value="Green",
                              weight_grams="2100", active="true", metadata='{"season": 3}')
                          for size in ["S", "M", "L", "XL"][:n]]


def test_an_import_creates_then_updates_by_sku_with_the_ledger(client, admin, db):
    handle, path, rows = tents()
    body = csv_of(rows)
    result = imported(client, admin, body)
    assert (result["status"], result["created"], result["updated"], result["unchanged"], result["errors"]) == (
        "applied", 2, 0, 0, [])
    assert result["sha256"] == hashlib.sha256(body).hexdigest()
    assert [c["action"] for c in result["changes"]] == ["create", "create"]
    product = client.get("/api/products", params={"q": rows[0]["sku"]}).json()["items"][0]
    detail = client.get(f"/api/products/{product['id']}").json()
    assert detail["handle"] == handle and [o["name"] for o in detail["options"]] == ["Size", "Colour"]
    assert {v["sku"]: (v["options"], v["stock_quantity"], v["weight_grams"]) for v in detail["variants"]} == {
        r["sku"]: ({"Size": r["option1_value"], "Colour": "Green"}, 5, 2100) for r in rows}
    assert detail["metadata"] == {"season": 3}
    # The category path was created, level by level.
    names = {c["id"]: c for c in client.get("/api/categories").json()["items"]}
    leaf = names[detail["category_id"]]
    assert f"{names[leaf['parent_id']]['name']} > {leaf['name']}" == path

    rows[0]["price"], rows[0]["stock"] = "90.00", "8"
    again = imported(client, admin, csv_of(rows))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 1, 1)
    assert again["changes"] == [{"row": 1, "sku": rows[0]["sku"], "action": "update",
                                 "fields": {"price": {"old": "100.00", "new": "90.00"}, "stock": {"old": 5, "new": 8}}}]
    moves = db.execute("select m.delta, m.reason from shop.stock_movements m join shop.variants v on v.id = m.variant_id "
                       "where v.sku = %s order by m.id", (rows[0]["sku"],)).fetchall()
    assert moves == [(5, "import"), (3, "import")]
    assert db.execute("select count(*) from shop.stock_reconciliation where difference <> 0").fetchone() == (0,)


def test_a_dry_run_reports_and_changes_nothing(client, admin, db):
    _, _, rows = tents()
    result = imported(client, admin, csv_of(rows), dry_run="true")
    assert (result["status"], result["created"]) == ("dry_run", 2)
    assert db.execute("select count(*) from shop.variants where sku = any(%s)",
                      ([r["sku"] for r in rows],)).fetchone() == (0,)
    # The same file applied for real afterwards is not a duplicate of a dry run.
    assert imported(client, admin, csv_of(rows))["status"] == "applied"


def test_a_file_applied_before_is_a_duplicate_and_changes_nothing(client, admin, db):
    _, _, rows = tents()
    body = csv_of(rows)
    first = imported(client, admin, body)
    db.execute("update shop.variants set stock_quantity = 1 where sku = %s", (rows[0]["sku"],))
    second = imported(client, admin, body)
    assert (second["status"], second["sha256"], second["created"], second["updated"]) == (
        "duplicate", first["sha256"], 0, 0)
    assert db.execute("select stock_quantity from shop.variants where sku = %s", (rows[0]["sku"],)).fetchone() == (1,)


def test_export_then_import_changes_nothing(client, admin):
    _, _, rows = tents(3)
    imported(client, admin, csv_of(rows))
    make_product(client, admin, description="Quoted, \"comma\"\nand a newline", metadata={"a": [1, {"b": None}]})
    exported = client.get("/api/admin/exports/products.csv", headers=admin["headers"])
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(exported.text)))
    assert list(lines[0]) == COLUMNS
    assert {r["sku"] for r in rows} <= {line["sku"] for line in lines}
    result = imported(client, admin, exported.content)
    assert (result["status"], result["created"], result["updated"]) in {("applied", 0, 0), ("duplicate", 0, 0)}
    assert result["unchanged"] == len(lines) or result["status"] == "duplicate"


def test_imports_are_recorded(client, admin):
    _, _, rows = tents()
    made = imported(client, admin, csv_of(rows))
    listed = client.get("/api/admin/imports", headers=admin["headers"]).json()
    assert listed["items"][0]["id"] == made["id"] and listed["items"][0]["created"] == 2
    assert "changes" not in listed["items"][0]
    one = client.get(f"/api/admin/imports/{made['id']}", headers=admin["headers"]).json()
    assert one == made and one["user_id"] is not None and one["db_role"] == "pgshop_api"
    assert_problem(client.get("/api/admin/imports/999999999", headers=admin["headers"]), 404, "not_found")


def test_imports_are_for_admins_and_csv_only(client, admin, customer):
    body = csv_of(tents()[2])
    assert_problem(client.post("/api/admin/imports", content=body, headers={"Content-Type": "text/csv"}), 401)
    assert_problem(client.post("/api/admin/imports", content=body,
                               headers={**customer["headers"], "Content-Type": "text/csv"}), 403)
    assert_problem(client.post("/api/admin/imports", content=body,
                               headers={**admin["headers"], "Content-Type": "application/json"}), 415)
    assert_problem(client.get("/api/admin/exports/products.csv", headers=customer["headers"]), 403)
    assert_problem(client.get("/api/admin/imports", headers=customer["headers"]), 403)


def errors_of(client, admin, body: bytes) -> list[tuple]:
    problem = assert_problem(send(client, admin, body), 422, "invalid_import")
    assert problem["import_id"]
    recorded = client.get(f"/api/admin/imports/{problem['import_id']}", headers=admin["headers"]).json()
    assert recorded["status"] == "refused" and recorded["errors"] == problem["errors"]
    return [(e["row"], e["column"], e["code"]) for e in problem["errors"]]


def h() -> str:
    return f"p-{word()}"


@pytest.mark.parametrize("cells, expected", [
    ({"price": "12.345"}, (1, "price", "invalid_price")),
    ({"price": "abc"}, (1, "price", "invalid_price")),
    ({"price": "-1"}, (1, "price", "invalid_price")),
    ({"stock": "-3"}, (1, "stock", "negative_stock")),
    ({"stock": "many"}, (1, "stock", "invalid_stock")),
    ({"compare_at_price": "50.00"}, (1, "compare_at_price", "invalid_compare_at_price")),
    ({"weight_grams": "-1"}, (1, "weight_grams", "invalid_weight")),
    ({"active": "maybe"}, (1, "active", "invalid_active")),
    ({"metadata": "[1, 2]"}, (1, "metadata", "invalid_metadata")),
    ({"metadata": '{"a":' * 9 + "1" + "}" * 9}, (1, "metadata", "invalid_metadata")),  # 9 levels
    ({"metadata": '{"a": "' + "x" * 17000 + '"}'}, (1, "metadata", "invalid_metadata")),  # over 16 KB
    ({"product_name": "n" * 256}, (1, "product_name", "invalid_name")),
    ({"option1_name": "S" * 101, "option1_value": "M"}, (1, "option1_name", "invalid_option_values")),
    ({"option1_name": "Size", "option1_value": "M" * 101}, (1, "option1_value", "invalid_option_values")),
    ({"category_path": "Outdoor >  > Tents"}, (1, "category_path", "invalid_category_path")),
    ({"category_path": "Outdoor > " + "t" * 101}, (1, "category_path", "invalid_category_path")),
    ({"option1_name": "Size"}, (1, "option1_value", "missing_option_value")),
    ({"option1_value": "XL"}, (1, "option1_name", "missing_option_name")),
    ({"sku": ""}, (1, "sku", "missing_value")),
    ({"product_handle": "Not A Handle!"}, (1, "product_handle", "invalid_handle")),
])
def test_a_bad_cell_is_named_by_row_and_column_and_nothing_is_applied(client, admin, db, cells, expected):
    good = row(h(), f"G-{word()}")
    bad = {**row(h(), f"B-{word()}"), **cells}
    assert expected in errors_of(client, admin, csv_of([bad, good]))
    assert db.execute("select count(*) from shop.variants where sku = %s", (good["sku"],)).fetchone() == (0,)


def test_file_level_errors(client, admin, db):
    a, b = h(), h()
    sku = f"D-{word()}"
    rows = [row(a, sku), row(a, sku.lower(), option1_name="", option1_value=""),  # duplicate SKU in the file
            row(b, f"N-{word()}"), {**row(b, f"N-{word()}"), "product_name": "Another name"}]
    found = errors_of(client, admin, csv_of(rows))
    assert (2, "sku", "duplicate_sku") in found
    assert (4, "product_name", "conflicting_product") in found
    # A SKU of another product.
    other = make_product(client, admin)
    assert (1, "sku", "sku_taken") in errors_of(client, admin, csv_of([row(h(), other["sku"])]))


@pytest.mark.parametrize("mangle, code", [
    (lambda body: body.replace(b"Tent ", b"Tent \xff", 1), "invalid_utf8"),
    (lambda body: body.replace(b"Tent ", b"Tent \x00", 1), "nul_byte"),
    (lambda body: body.rstrip(b"\n") + b',"unclosed\n', "unclosed_quote"),
])
def test_a_broken_file_is_refused_with_its_row(client, admin, mangle, code):
    rows = [row(h(), f"F-{word()}") for _ in range(3)]
    body = mangle(csv_of(rows))
    found = errors_of(client, admin, body)
    assert [c for _, _, c in found] == [code], found
    # The first row, or for a quote never closed, the end of the file it runs to.
    assert found[0][0] == (4 if code == "unclosed_quote" else 1)


def test_a_missing_or_unknown_column_is_refused(client, admin):
    rows = [row(h(), f"C-{word()}")]
    missing = [c for c in COLUMNS if c != "price"]
    assert errors_of(client, admin, csv_of([{k: v for k, v in r.items() if k != "price"} for r in rows], missing)) == [
        (0, "price", "missing_column")]
    unknown = [*COLUMNS, "colour"]
    assert errors_of(client, admin, csv_of(rows, unknown)) == [(0, "colour", "unknown_column")]


def test_errors_stop_at_1000(client, admin):
    rows = [row(h(), f"M-{word()}", price="x") for _ in range(1100)]
    problem = assert_problem(send(client, admin, csv_of(rows)), 422, "invalid_import")
    assert len(problem["errors"]) == 1000 and problem["errors"][-1]["row"] == 1000
    assert client.get(f"/api/admin/imports/{problem['import_id']}",
                      headers=admin["headers"]).json()["error_count"] == 1100


def test_pgshop_import_reads_a_file(tmp_path, database_url, db):
    _, _, rows = tents()
    path = tmp_path / "catalog.csv"
    path.write_bytes(csv_of(rows))
    done = pgshop("import", str(path), DATABASE_URL=database_url)
    assert done.returncode == 0, done.stderr
    assert db.execute("select count(*) from shop.variants where sku = any(%s)",
                      ([r["sku"] for r in rows],)).fetchone() == (2,)
    record = db.execute("select status, user_id, filename from shop.imports order by id desc limit 1").fetchone()
    assert record == ("applied", None, "catalog.csv")


# Handles (a product's name in files): taken and malformed, over the product endpoints

def test_a_handle_another_live_product_has_is_409_handle_taken(client, admin, db):
    handle = f"tent-{word()}"
    first = make_product(client, admin, handle=handle)
    assert first["handle"] == handle
    sku = f"H-{word()}"
    body = {"name": f"Thing {word()}", "price": "10.00", "sku": sku, "handle": handle}
    problem = assert_problem(client.post("/api/products", json=body, headers=admin["headers"]), 409, "handle_taken")
    assert handle in problem["detail"]
    # The refused create left nothing: no product, no variant (its SKU is free).
    assert db.execute("select count(*) from shop.variants where sku = %s", (sku,)).fetchone() == (0,)
    other = make_product(client, admin)
    path = f"/api/products/{other['id']}"
    assert_problem(client.put(path, json={"handle": handle}, headers=admin["headers"]), 409, "handle_taken")
    assert_problem(client.put(path, json={"handle": handle, "name": "Renamed"}, headers=admin["headers"]), 409,
                   "handle_taken")
    after = client.get(path, headers=admin["headers"]).json()
    assert (after["handle"], after["name"]) == (other["handle"], other["name"])
    # A product keeps its own handle; a deleted product frees it.
    kept = client.put(f"/api/products/{first['id']}", json={"handle": handle}, headers=admin["headers"])
    assert kept.status_code == 200 and kept.json()["handle"] == handle, kept.text
    assert client.delete(f"/api/products/{first['id']}", headers=admin["headers"]).status_code == 204
    moved = client.put(path, json={"handle": handle}, headers=admin["headers"])
    assert moved.status_code == 200 and moved.json()["handle"] == handle, moved.text


def test_a_made_handle_steps_around_one_chosen_before(client, admin, db):
    name = f"Clash {word()}"
    taken = db.execute("select nextval(pg_get_serial_sequence('shop.products', 'id'))").fetchone()[0]
    # The next two products: "chosen" (taken + 1) takes the handle the second, "made" (taken + 2), would get.
    chosen = make_product(client, admin, handle=f"{name.lower().replace(' ', '-')}-{taken + 2}")
    made = make_product(client, admin, name=name)
    assert made["id"] == taken + 2
    assert made["handle"] == f"{chosen['handle']}-{made['id']}"


@pytest.mark.parametrize("handle", ["Trail-Tent", "trail tent", "trail--tent", "-trail", "trail-", "trail_tent",
                                    "tent/2", "", "x" * 256])
def test_a_malformed_handle_is_422_invalid_handle(client, admin, db, handle):
    sku = f"H-{word()}"
    body = {"name": f"Thing {word()}", "price": "10.00", "sku": sku, "handle": handle}
    assert_problem(client.post("/api/products", json=body, headers=admin["headers"]), 422, "invalid_handle")
    assert db.execute("select count(*) from shop.variants where sku = %s", (sku,)).fetchone() == (0,)
    product = make_product(client, admin)
    path = f"/api/products/{product['id']}"
    assert_problem(client.put(path, json={"handle": handle}, headers=admin["headers"]), 422, "invalid_handle")
    assert client.get(path, headers=admin["headers"]).json()["handle"] == product["handle"]


def test_a_handle_of_255_characters_is_valid(client, admin):
    handle = f"{word()}-" + "x" * 242
    assert len(handle) == 255
    assert make_product(client, admin, handle=handle)["handle"] == handle


# Options of an existing product, category paths, cell counts: refused imports

def test_rows_of_an_existing_product_must_name_exactly_its_options(client, admin, db):
    handle, _, rows = tents(2)                  # options Size, Colour
    imported(client, admin, csv_of(rows))
    plain = make_product(client, admin)         # no options
    other = row(h(), f"O-{word()}")
    # Each row keeps its own values (S, M), so the rows stay distinct variants: only the option names differ.
    mismatches = {
        "another option": lambda r: {"option1_name": "Fit"},
        "one missing": lambda r: {"option2_name": "", "option2_value": ""},
        "one more": lambda r: {"option3_name": "Fit", "option3_value": "Slim"},
        "another order": lambda r: {"option1_name": "Colour", "option1_value": "Green", "option2_name": "Size",
                                    "option2_value": r["option1_value"]},
    }
    for name, cells in mismatches.items():
        changed = [other, *({**r, **cells(r)} for r in rows)]
        found = errors_of(client, admin, csv_of(changed))
        # Reported once, on the product's first row: the other product's row and the second row are fine.
        assert found == [(2, "option1_name", "options_mismatch")], (name, found)
    # No options at all (one row: two rows without options would be the same variant).
    none = {**rows[0], "option1_name": "", "option1_value": "", "option2_name": "", "option2_value": ""}
    assert errors_of(client, admin, csv_of([other, none])) == [(2, "option1_name", "options_mismatch")]
    # A product made through the API without options: a file may not give it one.
    found = errors_of(client, admin, csv_of([row(plain["handle"], plain["sku"], option1_name="Size",
                                                 option1_value="M")]))
    assert found == [(1, "option1_name", "options_mismatch")]
    assert db.execute("select count(*) from shop.product_options where product_id = %s",
                      (plain["id"],)).fetchone() == (0,)
    assert db.execute("select count(*) from shop.variants where sku = %s", (other["sku"],)).fetchone() == (0,)
    # The same options in another letter case are the product's: a new value is added to its option.
    same = [{**rows[0], "option1_name": "SIZE", "option2_name": "colour"},
            row(handle, f"T-{word()}", category_path=rows[0]["category_path"], option1_name="size",
                option1_value="XXL", option2_name="Colour", option2_value="Green", weight_grams="2100",
                active="true", metadata='{"season": 3}')]
    result = imported(client, admin, csv_of(same))
    assert (result["status"], result["created"]) == ("applied", 1), result
    product_id = db.execute("select id from shop.products where handle = %s and deleted_at is null",
                            (handle,)).fetchone()[0]
    options = client.get(f"/api/products/{product_id}/options").json()["items"]
    assert [(o["name"], [v["value"] for v in o["values"]]) for o in options] == [
        ("Size", ["S", "M", "XXL"]), ("Colour", ["Green"])]


def test_a_category_path_level_that_exists_under_another_parent_is_refused(client, admin, db):
    root = make_category(client, admin)
    child = make_category(client, admin, parent_id=root["id"])
    new = f"New {word()}"
    for path in (child["name"],                           # child is not a root category
                 f"{new} > {child['name']}",              # nor under a new one
                 f"{child['name']} > {root['name']}"):    # nor is root under child
        good = row(h(), f"G-{word()}")
        found = errors_of(client, admin, csv_of([good, row(h(), f"P-{word()}", category_path=path)]))
        assert (2, "category_path", "invalid_category_path") in found, (path, found)
        assert {code for _, _, code in found} == {"invalid_category_path"}, (path, found)
        assert db.execute("select count(*) from shop.variants where sku = %s", (good["sku"],)).fetchone() == (0,)
    assert db.execute("select count(*) from shop.categories where name = %s", (new,)).fetchone() == (0,)
    # A new name under two parents in one file (names are unique): both products' rows, nothing created.
    found = errors_of(client, admin, csv_of([row(h(), f"P-{word()}", category_path=f"{root['name']} > {new}"),
                                             row(h(), f"P-{word()}", category_path=f"{new.upper()}")]))
    assert found == [(1, "category_path", "invalid_category_path"), (2, "category_path", "invalid_category_path")]
    assert db.execute("select count(*) from shop.categories where name = %s", (new,)).fetchone() == (0,)
    # The path as it is, in any letter case, is fine.
    sku = f"P-{word()}"
    result = imported(client, admin, csv_of([row(h(), sku, category_path=f"{root['name'].upper()} > "
                                                                         f"{child['name'].lower()}")]))
    assert result["status"] == "applied", result
    assert db.execute("select p.category_id from shop.variants v join shop.products p on p.id = v.product_id "
                      "where v.sku = %s", (sku,)).fetchone() == (child["id"],)


@pytest.mark.parametrize("mangle, missing", [
    (lambda line: line + b",extra", None),              # a cell more than the header
    (lambda line: line.rsplit(b",", 9)[0], "weight_grams"),  # the cells from weight_grams on left out
])
def test_a_row_with_another_number_of_cells_is_invalid_row(client, admin, db, mangle, missing):
    rows = [row(h(), f"W-{word()}") for _ in range(3)]
    lines = csv_of(rows).split(b"\n")
    lines[2] = mangle(lines[2])                         # the second data row
    problem = assert_problem(send(client, admin, b"\n".join(lines)), 422, "invalid_import")
    # A file-level error stops the reading: the only error, on its row.
    assert [(e["row"], e["code"]) for e in problem["errors"]] == [(2, "invalid_row")], problem["errors"]
    if missing:
        assert missing in problem["errors"][0]["message"]
    recorded = client.get(f"/api/admin/imports/{problem['import_id']}", headers=admin["headers"]).json()
    assert (recorded["status"], recorded["errors"]) == ("refused", problem["errors"])
    assert db.execute("select count(*) from shop.variants where sku = any(%s)",
                      ([r["sku"] for r in rows],)).fetchone() == (0,)
