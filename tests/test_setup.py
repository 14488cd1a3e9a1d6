"""The set-up a newcomer and CI get: the README's commands, the lock files, and the installed set."""

from __future__ import annotations

import re
from importlib import metadata

import pytest
from conftest import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)\s*$")


def readme_commands() -> list[str]:
    """Returns the one-line shell commands of the README's Start section, in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme[readme.index("## Start"):readme.index("## What is inside")]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", start, flags=re.S) if "\n" not in block.strip()]


def pins(name: str) -> dict[str, str]:
    """Returns package -> version of a compiled lock file; fails on any line that is not an exact pin."""
    found = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = PIN.match(line.strip())
        assert match, f"{name}: '{line}' is not an exact pin (name==version)"
        found[canonicalize_name(match[1])] = match[2]
    return found


def test_readme_gives_an_app_command_and_a_test_command_in_a_virtual_environment():
    app, tests = readme_commands()[:2]
    for command, lock in ((app, "requirements.txt"), (tests, "requirements-dev.txt")):
        assert command.startswith("python3.11 -m venv .venv && "), command
        assert f".venv/bin/python -m pip install -r {lock} && " in command, command
    assert app.endswith(".venv/bin/python -m streamlit run app.py")
    assert tests.endswith(".venv/bin/python -m pytest")


def test_ci_runs_exactly_the_readme_test_command():
    tests = readme_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line for line in ci.splitlines() if line.startswith(tests)]
    assert lines == [f"{tests} || status=$?"], "'.ci/run' must run the README's test command unchanged"


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-dev.txt"])
def test_lock_files_pin_every_package_and_no_cuda(lock):
    locked = pins(lock)
    assert locked["torch"] == "2.13.0", "torch must be the public pin, which resolves to the CPU build here"
    assert not [n for n in locked if n.startswith("nvidia-") or n == "triton"], "a CUDA build of torch was locked"
    declared = [Requirement(line.split("#")[0].strip())
                for source in ("requirements.in", *(["requirements-dev.in"] if "dev" in lock else []))
                for line in (ROOT / source).read_text(encoding="utf-8").splitlines()
                if line.split("#")[0].strip() and not line.startswith("-")]
    for req in declared:
        name = canonicalize_name(req.name)
        assert name in locked, f"{lock} lacks {req.name}, which {lock.replace('.txt', '.in')} asks for"
        assert Version(locked[name]) in req.specifier, f"{lock} pins {name}=={locked[name]}, outside {req}"


def test_dev_lock_agrees_with_the_app_lock():
    app, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    differ = {n: (v, dev.get(n)) for n, v in app.items() if dev.get(n) != v}
    assert not differ, f"requirements-dev.txt must install the app's exact set: {differ}"


def test_the_tests_run_on_the_locked_set():
    """Fails when the suite runs in an environment other than the README's (e.g. the machine's own Python)."""
    wrong = {}
    for name, version in pins("requirements-dev.txt").items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed is None or Version(installed).public != Version(version).public:
            wrong[name] = (version, installed)
    assert not wrong, (f"installed packages differ from requirements-dev.txt (locked, installed): {wrong}. "
                       "Set up with the README's test command.")
