"""A stand-in Azure CLI for the infra scripts' tests: a small Python program that answers from a JSON state file
and logs every call, put first on PATH."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any


# Around each test's own answers: `args` and `opt(name)` to read the call, `state` to keep, `out` to print.
_PROLOGUE = """import json, re, sys
state = json.load(open({path!r}))
args = sys.argv[1:]
state["calls"].append(args)
opt = lambda name: args[args.index(name) + 1] if name in args else None
out = ""
"""
_EPILOGUE = """
json.dump(state, open({path!r}, "w"))
if out:
    print(out)
"""


class FakeAz:
    def __init__(self, tmp_path: Path, answers: str, state: dict[str, Any], script: Path) -> None:
        """`answers`: Python that sets `out` (and may change `state`) for the calls the script makes."""
        self._state = tmp_path / "state.json"
        self._state.write_text(json.dumps({**state, "calls": []}))
        self._bin = tmp_path / "bin"
        self._bin.mkdir()
        fake = self._bin / "az"
        path = str(self._state)
        fake.write_text(f"#!{sys.executable}\n" + _PROLOGUE.format(path=path) + answers + _EPILOGUE.format(path=path))
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        self._script = script

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PATH": f"{self._bin}:{os.environ['PATH']}"}
        return subprocess.run(["bash", str(self._script), *args], env=env, capture_output=True, text=True, timeout=30)

    def state(self) -> dict[str, Any]:
        return json.loads(self._state.read_text())

    def set(self, **values: Any) -> None:
        self._state.write_text(json.dumps({**self.state(), **values}))


