"""docs/errors.md lists exactly the error codes the code can send."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def documented_codes() -> set[str]:
    """The backticked codes in the `code` column of every table of docs/errors.md."""
    codes: set[str] = set()
    column = None
    for line in (ROOT / "docs/errors.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else None
        if cells is None:
            column = None
        elif column is None:
            column = cells.index("code") if "code" in cells else -1
        elif column >= 0 and not set(cells[column]) <= set("-: "):
            codes |= set(re.findall(r"`([a-z][a-z_]*)`", cells[column]))
    return codes


def database_codes() -> set[str]:
    """Codes the SQL raises (`errcode = 'PTnnn', message = 'code'`) or returns (`problem(nnn, 'code'`)."""
    sql = "".join(p.read_text() for p in sorted((ROOT / "db").glob("*/*.sql")) if "tests" not in p.parts)
    raised = re.findall(r"errcode = 'PT\d{3}',\s*message = '([a-z_]+)'", sql)
    for choice in re.findall(r"errcode = 'PT\d{3}',\s*message = case(.*?)\bend\b", sql, re.S):
        raised += re.findall(r"(?:then|else) '([a-z_]+)'", choice)
    returned = re.findall(r"problem\(\d{3}, '([a-z_]+)'", sql)
    return set(raised) | set(returned)


def api_codes() -> set[str]:
    """Codes the HTTP layer sends itself (api/*.py)."""
    source = "".join(p.read_text() for p in (ROOT / "api").glob("*.py"))
    mapped = re.findall(r'\(\d{3}, "([a-z_]+)"\)', source)
    named = re.findall(r'\d{3}: "([a-z_]+)"', source)
    literal = re.findall(r'problem\(\d{3}, "([a-z_]+)"', source)
    literal += re.findall(r'Problem\(\d{3}, "([a-z_]+)"', source)
    literal += re.findall(r'super\(\).__init__\(\d{3}, "([a-z_]+)"', source)
    return set(mapped) | set(named) | set(literal)


def test_every_code_the_database_sends_is_documented():
    assert database_codes() - documented_codes() == set()


def test_every_code_the_http_layer_sends_is_documented():
    assert api_codes() - documented_codes() == set()


def test_every_documented_code_is_sent_somewhere():
    assert documented_codes() - database_codes() - api_codes() == set()


def test_the_scan_finds_codes_at_all():
    assert {"insufficient_stock", "invalid_transition", "append_only", "too_many_attempts"} <= database_codes()
    assert {"validation_failed", "unsupported_media_type", "invalid_text", "database_unavailable"} <= api_codes()
