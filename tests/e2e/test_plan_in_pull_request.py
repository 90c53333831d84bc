"""The plan in a pull request, as CI runs it against the session's sandbox: the example workflow's
own commands (examples/github-actions/t2t-plan.yml) with its read-only identities, the Markdown
comment of each example spec within GitHub's limit, and each spec's JSON plan valid against
schemas/t2t-plan.schema.json."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from t2t.planner import SOURCE_NEEDS, TARGET_NEEDS
from t2t.render.markdown import COMMENT_LIMIT
from t2t.state.parts import needed_to_read
from tests.e2e.helpers import run
from tests.plan_schema import violations

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples" / "github-actions" / "t2t-plan.yml"
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
#: The sandbox seed's "t2t plan (read-only)" clients (t2t/sandbox/default_seed.yaml).
READERS = {
    "source": "3f8b4d5e-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
    "target": "4a9c5e6f-7b8c-4d9e-8f01-2b3c4d5e6f70",
}


def state_dir(sandbox: Any) -> Path:
    return Path(sandbox.server.profile_path).parent


def t2t(sandbox: Any, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI against the session's running sandbox (reused, not started again)."""
    return run(*args, state=state_dir(sandbox))


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_each_example_specs_plan_fits_a_comment_and_its_json_satisfies_the_schema(
    sandbox: Any, spec: Path
) -> None:
    as_json = t2t(sandbox, "plan", str(spec), "--format", "json")
    assert as_json.returncode in (0, 3, 6), as_json.stderr
    assert violations(json.loads(as_json.stdout)) == []
    markdown = t2t(sandbox, "plan", str(spec), "--format", "markdown")
    assert markdown.returncode == as_json.returncode, markdown.stderr
    assert markdown.stdout.startswith(f"## t2t plan: `{json.loads(as_json.stdout)['spec_name']}`")
    assert len(markdown.stdout) < COMMENT_LIMIT
    assert sandbox.stats()["writes"] == 0


# --- the example workflow -------------------------------------------------------------------


def workflow() -> dict[str, Any]:
    return dict(yaml.safe_load(WORKFLOW.read_text(encoding="utf-8")))


def steps() -> list[dict[str, Any]]:
    (job,) = workflow()["jobs"].values()
    return list(job["steps"])


def invoking_t2t() -> list[dict[str, Any]]:
    """The `run:` steps with a line that runs t2t."""
    return [s for s in steps() if re.search(r"^t2t ", s.get("run", ""), flags=re.M)]


def step_env(step: dict[str, Any], values: dict[str, str]) -> dict[str, str]:
    """The step's environment with each `${{ … }}` replaced; one the test does not know fails."""
    env: dict[str, str] = {}
    for name, value in step.get("env", {}).items():
        expression = re.fullmatch(r"\$\{\{ (.+) \}\}", str(value))
        assert expression, f"{name}: {value}"
        env[name] = values[expression[1]]
    return env


def run_step(
    step: dict[str, Any], values: dict[str, str], cwd: Path, **extra: str
) -> subprocess.CompletedProcess[str]:
    """A `run:` step as GitHub runs `shell: bash` (bash --noprofile --norc -eo pipefail)."""
    assert step["shell"] == "bash"
    script = cwd / "step.sh"
    script.write_text(step["run"], encoding="utf-8")
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {"PATH": path, "HOME": os.environ.get("HOME", str(cwd)), **step_env(step, values)}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        capture_output=True,
        text=True,
        env={**env, **extra},
        cwd=cwd,
        timeout=180,
    )


def test_the_workflow_plans_on_pull_requests_that_touch_specs() -> None:
    flow = workflow()
    assert flow[True]["pull_request"]["paths"] == ["specs/**"]  # YAML 1.1 reads `on` as True
    assert flow["permissions"] == {"contents": "read", "pull-requests": "write"}
    (job,) = flow["jobs"].values()
    assert job["strategy"]["matrix"]["spec"] == ["specs/contoso-fabrikam-merger.yaml"]
    invoking = invoking_t2t()
    assert [s["id"] for s in invoking] == ["plan"]
    assert "--format markdown --detailed-exitcode" in invoking[0]["run"]
    post = next(s for s in steps() if s.get("uses", "").startswith("actions/github-script@"))
    assert "t2t-plan.md" in post["with"]["script"]
    # Secrets only by reference, each from the repository's secret store.
    secrets = {k: v for s in steps() for k, v in s.get("env", {}).items() if "SECRET" in k}
    assert secrets == {
        "T2T_SOURCE_SECRET": "${{ secrets.T2T_SOURCE_READER_SECRET }}",
        "T2T_TARGET_SECRET": "${{ secrets.T2T_TARGET_READER_SECRET }}",
    }


def test_the_workflow_documents_the_read_permission_manifest() -> None:
    """What it tells an administrator to grant is what `t2t plan` reads, no more, no less."""
    text = WORKFLOW.read_text(encoding="utf-8")
    for role, needs in (("source", SOURCE_NEEDS), ("target", TARGET_NEEDS)):
        manifest = "; ".join(str(p) for p in needed_to_read(needs))
        assert f"#   {role}: {manifest}\n" in text


def test_the_workflows_own_commands_plan_read_only_on_the_sandbox(
    sandbox: Any, tmp_path: Path
) -> None:
    """The plan step's script as it stands in the workflow, in a checkout of the specs, as the
    sandbox's read-only apps (`--sandbox` by its variable, T2T_SANDBOX)."""
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    outputs = tmp_path / "github-output"
    values = {
        "matrix.spec": "specs/contoso-fabrikam-merger.yaml",
        "vars.T2T_SOURCE_READER_CLIENT_ID": READERS["source"],
        "vars.T2T_TARGET_READER_CLIENT_ID": READERS["target"],
        "secrets.T2T_SOURCE_READER_SECRET": "the sandbox takes its own",
        "secrets.T2T_TARGET_READER_SECRET": "the sandbox takes its own",
    }
    (plan_step,) = invoking_t2t()
    ran = run_step(
        plan_step,
        values,
        tmp_path,
        GITHUB_OUTPUT=str(outputs),
        T2T_SANDBOX=str(state_dir(sandbox)),
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert outputs.read_text(encoding="utf-8") == "exit-code=3\n"  # two mailboxes on hold
    reader_spec = tmp_path / "specs" / ".t2t-read-only-contoso-fabrikam-merger.yaml"
    assert READERS["source"] in reader_spec.read_text(encoding="utf-8")
    comment = (tmp_path / "t2t-plan.md").read_text(encoding="utf-8")
    assert comment.startswith("## t2t plan: `contoso-fabrikam-merger`\n")
    assert len(comment) < COMMENT_LIMIT
    assert "`t2t plan --detailed-exitcode` exits **3**" in comment
    assert "#### `T2T-E304` (2)" in comment
    # Planned as the read-only source app: it cannot consent, so a person is asked to.
    assert "#### `T2T-W212` (1)" in comment
    assert sandbox.stats()["writes"] == 0

    verdict = steps()[-1]
    verdicts = (("0", True), ("2", True), ("3", True), ("6", True))
    for code, passes in (*verdicts, ("1", False), ("4", False), ("64", False)):
        judged = run_step(verdict, {"steps.plan.outputs.exit-code": code}, tmp_path)
        assert (judged.returncode == 0) is passes, (code, judged.stdout)


def test_the_workflow_stops_when_a_reader_client_id_is_not_set(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    values = {
        "matrix.spec": "specs/contoso-fabrikam-merger.yaml",
        "vars.T2T_SOURCE_READER_CLIENT_ID": "",
        "vars.T2T_TARGET_READER_CLIENT_ID": READERS["target"],
        "secrets.T2T_SOURCE_READER_SECRET": "",
        "secrets.T2T_TARGET_READER_SECRET": "",
    }
    (plan_step,) = invoking_t2t()
    ran = run_step(plan_step, values, tmp_path, GITHUB_OUTPUT=str(tmp_path / "out"))
    assert ran.returncode == 1
    assert ran.stderr.strip() == "Set the repository variable T2T_SOURCE_READER_CLIENT_ID."
    assert not (tmp_path / "out").exists()


def test_the_workflow_stops_with_one_line_when_a_spec_signs_in_without_a_client_id(
    tmp_path: Path,
) -> None:
    """A spec whose tenant signs in as a person (`interactive: device-code`) has no client id
    to swap for the reader's: one line naming the spec and the key, never a traceback."""
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    spec = tmp_path / "specs" / "contoso-fabrikam-merger.yaml"
    text = spec.read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    text = text.replace(
        f"clientId: {document['source']['auth']['clientId']}", "interactive: device-code", 1
    )
    spec.write_text(text, encoding="utf-8")
    values = {
        "matrix.spec": "specs/contoso-fabrikam-merger.yaml",
        "vars.T2T_SOURCE_READER_CLIENT_ID": READERS["source"],
        "vars.T2T_TARGET_READER_CLIENT_ID": READERS["target"],
        "secrets.T2T_SOURCE_READER_SECRET": "",
        "secrets.T2T_TARGET_READER_SECRET": "",
    }
    (plan_step,) = invoking_t2t()
    ran = run_step(plan_step, values, tmp_path, GITHUB_OUTPUT=str(tmp_path / "out"))
    assert ran.returncode == 1
    assert ran.stderr.strip() == (
        "specs/contoso-fabrikam-merger.yaml: source.auth has no clientId (this workflow swaps "
        "the client ids of apps signing in with a secret or certificate for the read-only ones)."
    )
    assert not (tmp_path / "out").exists()
