"""Secret references (``env:VAR`` / ``file:PATH``) and the rule that git must not hold the file.

A spec lives in git and is reviewed in pull requests, so a private key or secret file that
git tracks has already leaked to everyone with read access. t2t asks git itself
(``git ls-files --error-unmatch``) rather than guessing from ``.gitignore``; without git, or
outside a repository, the file counts as untracked.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from t2t.spec.desired import SecretRef


def parse_ref(text: str, spec_dir: Path) -> SecretRef:
    """Turn an already-checked ``env:``/``file:`` string into a SecretRef (file → absolute)."""
    scheme, _, rest = text.partition(":")
    if scheme == "env":
        return SecretRef(scheme="env", value=rest)
    path = Path(rest.strip()).expanduser()
    if not path.is_absolute():
        path = spec_dir / path
    return SecretRef(scheme="file", value=str(path.absolute()))


def is_git_tracked(path: Path, cwd: Path) -> bool:
    """True when git, run in ``cwd`` (the spec's folder), tracks ``path``."""
    git = shutil.which("git")
    if git is None or not cwd.is_dir():
        return False
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell; path is an argument
            [git, "ls-files", "--error-unmatch", "--", str(path)],
            cwd=cwd,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0
