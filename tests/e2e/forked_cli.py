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
    opened: dict[str, int] = {}  # one file for both (a served sandbox's output) is opened once
    for fd, name in ((1, "stdout"), (2, "stderr")):
        path = str(request[name])
        if path not in opened:
            opened[path] = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(opened[path], fd)
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


def _wait(pid: int, timeout: float = TIMEOUT_SECONDS) -> int:
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def _answer(request: dict[str, object]) -> dict[str, int]:
    """A command run to its end (its exit code); one started in the background (`start`: its
    pid, reaped later by a `reap` request, which kills it after `timeout` seconds)."""
    if "reap" in request:
        return {"returncode": _wait(int(str(request["reap"])), float(str(request["timeout"])))}
    pid = os.fork()
    if pid == 0:
        # Ctrl-C as the interpreter sets it up, even when the suite was started with SIGINT
        # ignored (a background job): a served sandbox is stopped with SIGINT.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _child(request)
    if request.get("start"):
        return {"pid": pid}
    return {"returncode": _wait(pid)}


def serve() -> None:
    # Imported once, before any fork: the CLI, and what `t2t sandbox serve` runs.
    import t2t.cli
    import t2t.sandbox.server  # noqa: F401

    print("ready", flush=True)
    for line in sys.stdin:
        print(json.dumps(_answer(json.loads(line))), flush=True)


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

    def _ask(self, request: dict[str, object]) -> dict[str, int]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        answer: dict[str, int] = json.loads(self._proc.stdout.readline())
        return answer

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
        out, err = Path(self._dir.name) / "stdout", Path(self._dir.name) / "stderr"
        request = {
            "args": list(args),
            "env": env,
            "replace_env": replace_env,
            "cwd": str(cwd) if cwd is not None else None,
            "stdout": str(out),
            "stderr": str(err),
        }
        answer = self._ask(request)
        return subprocess.CompletedProcess(
            ["t2t", *args],
            answer["returncode"],
            out.read_text(encoding="utf-8"),
            err.read_text(encoding="utf-8"),
        )

    def start(self, *args: str, env: dict[str, str], output: Path) -> int:
        """`t2t ARGS` in the background (a served sandbox), with exactly `env` as its
        environment, stdout and stderr both in `output`; its pid. Stop it with a signal, then
        `reap` it."""
        request = {
            "args": list(args),
            "env": env,
            "replace_env": True,
            "cwd": None,
            "stdout": str(output),
            "stderr": str(output),
            "start": True,
        }
        return self._ask(request)["pid"]

    def reap(self, pid: int, timeout: float) -> int:
        """The exit code of a command `start` began, once it ends (killed after `timeout` s)."""
        return self._ask({"reap": pid, "timeout": timeout})["returncode"]

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
