"""The t2t CLI run many times at the cost of one start: a server process imports t2t once, then
forks a child per command line. Each child is its own process running t2t's real entry point
(``t2t.cli.main``, what ``python -m t2t`` runs) with its own argv and environment, stdin at
/dev/null, stdout and stderr on files, and exits with the CLI's own code — or, when an
exception escapes, prints its traceback and exits 1, as the interpreter does. Only the 1–2 s
of imports per run is saved, which makes a corpus of a hundred cases affordable in the suite.

    with ForkedCli() as cli:
        out = cli.run("apply", "spec.yaml", env={"T2T_SANDBOX": state})

Run as a script, this module is the server: one JSON request per line on stdin, one JSON
answer per line on stdout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[2]


def _child(request: dict[str, object]) -> None:
    """In the forked child: become `python -m t2t ARGS`, then exit with its code."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        target = os.open(str(request[name]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
    if request.get("cwd"):
        os.chdir(str(request["cwd"]))
    if request.get("replace_env"):  # the caller's whole environment, nothing of the server's
        os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})  # type: ignore[call-overload]
    sys.argv = ["t2t", *[str(a) for a in list(request["args"])]]  # type: ignore[call-overload]
    code = 0
    try:
        from t2t.cli import main

        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # what the interpreter does with an uncaught exception
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


#: As tests/e2e/helpers.py's ``run``: a command that hangs is killed and fails its test.
TIMEOUT_SECONDS = 120


def _wait(pid: int) -> int:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def serve() -> None:
    import t2t.cli  # noqa: F401 - imported once, before any fork

    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(json.dumps({"returncode": _wait(pid)}), flush=True)


class ForkedCli:
    """A client of the server above; ``run`` answers like ``subprocess.run(..., text=True)``."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self._dir = tempfile.TemporaryDirectory()
        assert self._proc.stdout is not None
        assert self._proc.stdout.readline() == "ready\n"

    def run(
        self,
        *args: str,
        env: dict[str, str],
        replace_env: bool = False,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`env` is added to the server's environment, or with `replace_env` is the child's
        whole environment (as ``subprocess.run(env=...)`` gives it); `cwd`: the child's working
        directory (default: the repository's root, the server's)."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        out, err = Path(self._dir.name) / "stdout", Path(self._dir.name) / "stderr"
        request = {
            "args": list(args),
            "env": env,
            "replace_env": replace_env,
            "cwd": str(cwd) if cwd is not None else None,
            "stdout": str(out),
            "stderr": str(err),
        }
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        answer = json.loads(self._proc.stdout.readline())
        return subprocess.CompletedProcess(
            ["t2t", *args],
            answer["returncode"],
            out.read_text(encoding="utf-8"),
            err.read_text(encoding="utf-8"),
        )

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(timeout=10)
        self._dir.cleanup()

    def __enter__(self) -> ForkedCli:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    serve()
