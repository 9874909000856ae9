"""`make package` (infra/package.py): the zip holds what the Function needs at run time, and that is enough."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.infra.bicep import INFRA, REPO_ROOT

_spec = importlib.util.spec_from_file_location("infra_package", INFRA / "package.py")
assert _spec and _spec.loader
package = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(package)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("package") / "syncwatch.zip"
    subprocess.run(
        [sys.executable, str(INFRA / "package.py"), "--output", str(output)], check=True, capture_output=True
    )
    return output


def names_in(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as zipped:
        return zipped.namelist()


def test_the_function_app_files_are_at_the_root(built):
    names = names_in(built)
    for name in (
        "function_app.py",
        "host.json",
        "requirements.txt",
        "shared/__init__.py",
        "shared/settings.py",
        "shared/bootstrap.py",
        "shared/schemas/job-event.v1.schema.json",
    ):
        assert name in names


def test_every_runtime_file_of_shared_is_in(built):
    expected = {
        path.relative_to(REPO_ROOT).as_posix()
        for path in (REPO_ROOT / "shared").rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix != ".pyc"
        and "simulator" not in path.parts
        and path.name != "demo.py"
    }
    assert expected <= set(names_in(built))


def test_tests_dev_files_and_the_simulator_stay_out(built):
    names = names_in(built)
    unwanted = ("tests/", "tools/", "scripts/", "infra/", "docs/", "node_modules/", ".venv", "shared/simulator/")
    assert not [n for n in names if n.startswith(unwanted)]
    assert "shared/demo.py" not in names
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    assert not [n for n in names if Path(n).name.startswith("local.settings")]
    assert set(names) == set(package.package_files())


def test_the_function_imports_from_the_zip_alone(built, tmp_path):
    """Every module in the zip imports with only the zip's contents and the installed requirements: nothing the
    Function loads needs what was left out (shared.demo, shared.simulator, tests)."""
    with zipfile.ZipFile(built) as zipped:
        zipped.extractall(tmp_path)
    modules = sorted(
        name[:-3].replace("/", ".").removesuffix(".__init__")
        for name in names_in(built)
        if name.endswith(".py") and name != "shared/__main__.py"  # __main__ runs the CLI
    )
    script = (
        "import importlib, sys\n"
        f"assert sys.path[0] == {str(tmp_path)!r} or sys.path[0] == ''\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "import function_app, shared\n"
        f"assert shared.__file__.startswith({str(tmp_path)!r}), shared.__file__\n"
        "left_out = ('shared.simulator', 'shared.demo', 'tests')\n"
        "assert not [m for m in sys.modules if m.startswith(left_out)], sorted(sys.modules)\n"
        "print('ok', len(sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("ok")


def test_the_zip_is_reproducible(built, tmp_path):
    again = tmp_path / "again.zip"
    package.build(again)
    assert again.read_bytes() == built.read_bytes()
