"""Running the programs a command is made of. Every step is checked: the first that fails stops the command with
one line (what happened, what to do, which log), never a traceback."""

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("VENV") or ROOT / ".venv")
PGBIN = Path("/usr/lib/postgresql/15/bin")
# What the quiet steps of a command printed (pgshop <command> writes .pgshop/<command>.log anew each time).
LOG = ROOT / ".pgshop" / "pgshop.log"


class Failure(click.ClickException):
    """A step failed: shown as one line, exit status 1."""

    def show(self, file=None) -> None:  # noqa: ANN001 - click's signature
        click.secho(f"pgshop: {self.message}", fg="red", bold=True, err=True)


def log(message: str) -> None:
    click.secho(f"==> {message}", bold=True, err=True)


def start_log(command: str) -> None:
    global LOG  # noqa: PLW0603 - one log per command run
    LOG = ROOT / ".pgshop" / f"{command}.log"
    LOG.parent.mkdir(exist_ok=True)
    LOG.write_text("")


def venv(program: str) -> str:
    return str(VENV / "bin" / program)


def run(args: Sequence[str], what: str, *, hint: str = "", env: Mapping[str, str] | None = None,
        stdin: str | None = None, capture: bool = False, quiet: bool = True, user: str | None = None,
        cwd: Path = ROOT) -> str:
    """Run `args`; on a non-zero exit raise Failure("<what> failed: <its last line>; <hint>; log: <LOG>").
    quiet: the output goes to the log (shown only in the failure's line); capture: stdout is returned."""
    if user:
        args = ["runuser", "-u", user, "--", *args]
    full_env = {**os.environ, **(env or {})}
    LOG.parent.mkdir(exist_ok=True)
    with LOG.open("a") as out:
        out.write(f"$ {' '.join(map(str, args))}\n")
        out.flush()
        result = subprocess.run(list(map(str, args)), cwd=cwd, env=full_env, input=stdin, text=True,
                                stdout=subprocess.PIPE if capture else (out if quiet else None),
                                stderr=out if quiet or capture else None)
    if result.returncode != 0:
        cause = last_line(LOG, ["ERROR", "FATAL", "error:", "Error:"]) or last_line(LOG)
        raise Failure(f"{what} failed{': ' + cause if quiet else ''}"
                      f"{'; ' + hint if hint else ''} (log: {LOG if quiet else 'above'})")
    return result.stdout if capture else ""


def last_line(path: Path, matching: Sequence[str] = ()) -> str:
    """The last non-empty line of a log (the last one containing any of `matching`, when given)."""
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    if matching:
        lines = [line for line in lines if any(m in line for m in matching)]
    return lines[-1] if lines else ""
