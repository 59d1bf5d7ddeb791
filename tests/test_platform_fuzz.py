"""Property-based fuzzing of every operation with schemathesis against /schema/openapi.json: anonymous, as a
customer and as an admin. Fails on any 5xx, any status an operation does not document, and any body or
content type that does not match the document. Deterministic and bounded."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"
EXAMPLES = 25  # per operation and phase


@pytest.mark.disruptive  # as an admin it deletes products and moves orders: run after the other tests
@pytest.mark.parametrize("who", ["anonymous", "customer", "admin"])
def test_fuzzing_finds_no_undocumented_or_server_error(base_url, who, request, tmp_path, db):
    headers = [] if who == "anonymous" else ["-H", f"Authorization: {request.getfixturevalue(who)['headers']['Authorization']}"]
    st = Path(sys.executable).with_name("st")
    before = db.execute("select coalesce(max(id), 0) from shop.webhook_endpoints").fetchone()[0]
    try:
        result = subprocess.run(
            [str(st), "run", f"{base_url}/schema/openapi.json", *headers, "--checks", CHECKS,
             "--max-examples", str(EXAMPLES), "--generation-deterministic", "--phases", "examples,coverage,fuzzing",
             "--no-color", "--workers", "2", "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=600)
    finally:
        # As an admin it subscribes webhook endpoints at made-up hosts: the suites after this one run a
        # delivery worker, which would spend its time trying to reach them.
        db.execute("delete from shop.webhook_endpoints where id > %s", (before,))
    summary = re.search(r"(\d+) generated, .*", result.stdout)
    print(f"\nschemathesis as {who}: {summary.group(0) if summary else '?'}")
    assert result.returncode == 0, result.stdout[-6000:]
    assert summary and int(summary.group(1)) > 100
