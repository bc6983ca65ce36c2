"""The README stays honest: its terminal sessions are re-run and every command is documented.

After changing what a command prints, refresh the README with ``python tests/test_readme.py --update``.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kg.cli.app import COMMANDS

README = Path(__file__).resolve().parents[1] / "README.md"


def sessions():
    """Each fenced block of the README that starts with ``$ kg``: a list of (command, output)."""
    blocks = re.findall(r"```\n(\$ kg .*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    for block in blocks:
        steps = []
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            steps.append((command, output))
        yield steps


def run(command: str, cwd: Path) -> str:
    """Run one README command as a user would, 100 columns wide; return its stdout."""
    examples = README.parent / "examples"
    if examples.is_dir() and not (Path(cwd) / "examples").exists():
        shutil.copytree(examples, Path(cwd) / "examples")  # sessions may read the example files
    env = {**os.environ, "COLUMNS": "100", "KG_CACHE_DIR": str(Path(cwd) / ".cache")}
    env.pop("KG_DATA", None)
    args = shlex.split(command)[1:]
    result = subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True,
                            cwd=cwd, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return "\n".join(line.rstrip() for line in result.stdout.strip("\n").splitlines())


@pytest.mark.parametrize("steps", list(sessions()), ids=lambda steps: steps[0][0][:40])
def test_readme_sessions_show_real_output(steps, tmp_path):
    for command, shown in steps:
        actual = run(command, tmp_path)
        if shown.strip():
            expected = "\n".join(line.rstrip() for line in shown.strip("\n").splitlines())
            assert actual == expected, f"README output of `{command}` is stale: python tests/test_readme.py --update"


def test_every_command_but_serve_has_json():
    from typer.testing import CliRunner

    from kg.cli import app

    runner = CliRunner()
    without = [name for name in COMMANDS if "--json" not in runner.invoke(app, [name, "-h"]).output]
    assert without == ["serve"]  # as the README says: it runs a server


def test_every_command_is_in_the_readme():
    text = README.read_text(encoding="utf-8")
    names = list(COMMANDS)
    assert len(names) >= 12
    missing = [n for n in names if f"kg {n}" not in text]
    assert not missing


def test_readme_has_exactly_two_setup_commands():
    quickstart = README.read_text(encoding="utf-8").split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", quickstart, flags=re.S)
    assert [c.strip() for c in commands] == [
        "pip install -e . && kg path Nvidia Graphcore",
        "pip install -e '.[test]' && pytest",
    ]


def update_readme() -> None:
    """Re-run every README session and write the real output back into the README."""
    import tempfile

    text = README.read_text(encoding="utf-8")
    for block in re.findall(r"```\n(\$ kg .*?)```", text, flags=re.S):
        with tempfile.TemporaryDirectory() as tmp:
            fresh = []
            for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
                command, _, shown = chunk.partition("\n")
                output = run(command, Path(tmp))
                fresh.append(f"$ {command}\n" + (output + "\n" if shown.strip() else ""))
        text = text.replace(block, "".join(fresh), 1)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__" and "--update" in sys.argv:
    update_readme()


def test_readme_python_example_runs(capsys):
    code = re.search(r"## Python API\n\n```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out.strip()
    assert printed == re.search(r"# (Nvidia acquired .*)", code).group(1)
    assert len(namespace["rows"]) >= 5


def test_readme_says_which_tests_skip_without_what():
    """Each loud skip reason in the tests, and each package .ci/run installs, is explained in the README."""
    section = README.read_text(encoding="utf-8").split("### Tests", 1)[1]
    tests = Path(__file__).resolve().parent
    reasons = set()
    for path in tests.glob("test_*.py"):
        reasons.update(re.findall(r"(BROWSER TESTS NOT RUN|VIRTUOSO TESTS NOT RUN|article not found)", path.read_text()))
    assert reasons >= {"BROWSER TESTS NOT RUN", "VIRTUOSO TESTS NOT RUN", "article not found"}
    for reason in reasons:
        assert reason in section, reason
    ci = (tests.parent / ".ci" / "run").read_text(encoding="utf-8")
    for package in re.findall(r"apt-get install -y -qq ([\w-]+)", ci):
        assert f"apt-get install {package}" in section, package
