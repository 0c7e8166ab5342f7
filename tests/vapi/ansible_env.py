"""Ansible with vmware.vmware_rest, unmodified, in a venv of its own: ansible-core needs Python
3.12+, the portal runs on 3.11. The venv is built once per machine from the pins in
ansible-requirements.txt and cached in the user's cache folder (not the checkout's .var/: a fresh
clone, as CI makes twice a run, would build its half-gigabyte anew), keyed by those pins and the
interpreter, so a change of pin builds a new one and a half-built one is never used."""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REQUIREMENTS = Path(__file__).with_name("ansible-requirements.txt")
MINIMUM = (3, 12)
BUILD_TIMEOUT = 600


def python312() -> str:
    """A Python 3.12+ for ansible-core, or a skip with the reason (a failure in CI, where a skip
    would hide a gap). ANSIBLE_TEST_PYTHON names one; else the first found on PATH or in pyenv."""
    candidates = [os.environ.get("ANSIBLE_TEST_PYTHON", "")]
    candidates += [shutil.which(f"python3.{minor}") or "" for minor in (12, 13, 14)]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[2-9]*/bin/python3")))
    for candidate in filter(None, candidates):
        if _version(candidate) >= MINIMUM:
            return candidate
    reason = "ansible-core 2.21 needs Python 3.12+ and none was found (set ANSIBLE_TEST_PYTHON)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _version(python: str) -> tuple[int, int]:
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError:
        return (0, 0)
    if done.returncode != 0:  # a pyenv shim for a version that is not installed
        return (0, 0)
    major, minor = done.stdout.split()
    return (int(major), int(minor))


def ansible_venv() -> tuple[Path, float]:
    """The venv's folder, built if missing, and the seconds its build took (0 when cached)."""
    python = python312()
    pins = REQUIREMENTS.read_bytes()
    version = ".".join(map(str, _version(python)))
    key = hashlib.sha256(pins + version.encode()).hexdigest()[:12]
    root = cache_folder()
    root.mkdir(parents=True, exist_ok=True)
    venv = root / f"ansible-{key}"
    done = venv / ".complete"
    with (root / f"ansible-{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test process may be building it
        if done.exists():
            return venv, 0.0
        started = time.monotonic()
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(venv)
        _run([python, "-m", "venv", str(venv)])
        pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        _run([*pip, "install", "--no-input", "-q", "-r", str(REQUIREMENTS)])
        done.write_text(f"Python {version}\n{REQUIREMENTS.read_text()}")
        return venv, time.monotonic() - started


def cache_folder() -> Path:
    """VKS_TEST_CACHE, else $XDG_CACHE_HOME/vks-portal (~/.cache/vks-portal)."""
    if os.environ.get("VKS_TEST_CACHE"):
        return Path(os.environ["VKS_TEST_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "vks-portal"


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr}{done.stdout}")


def run_playbook(venv: Path, playbook: list, folder: Path, env: dict[str, str]) -> dict:
    """ansible-playbook on localhost with the venv's Python; the json callback's report. JSON is
    YAML, so the playbook is written with json.dumps. Nothing of the machine's Ansible (its
    ~/.ansible, an ansible.cfg, other collections) is read."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "playbook.yml"
    path.write_text(json.dumps(playbook, indent=1))
    home = folder / "home"
    python = str(venv / "bin" / "python")
    clean = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",  # ansible-core refuses to start without a UTF-8 locale
        "LC_ALL": "C.UTF-8",
        "ANSIBLE_HOME": str(home / ".ansible"),
        "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
        "ANSIBLE_COLLECTIONS_PATH": str(home / "collections"),  # empty: the bundled ones only
        "ANSIBLE_CONFIG": str(folder / "ansible.cfg"),  # absent: the defaults
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_PYTHON_INTERPRETER": python,
        **env,
    }
    done = subprocess.run(
        [python, str(venv / "bin" / "ansible-playbook"), "-i", "localhost,", str(path)],
        cwd=folder,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"ansible-playbook exited {done.returncode}:\n{done.stderr}\n{done.stdout}")
    report["returncode"] = done.returncode
    report["stderr"] = done.stderr
    return report


def results(report: dict) -> dict[str, dict]:
    """Each task's result on localhost, by task name."""
    return {
        task["task"]["name"]: task["hosts"]["localhost"]
        for play in report["plays"]
        for task in play["tasks"]
        if "localhost" in task["hosts"]
    }
