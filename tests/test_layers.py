"""The import rules of DESIGN.md: import-linter contracts (pyproject.toml) and the duckdb rule."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "costtui"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_import_linter_contracts_hold():
    """The layer contracts in pyproject.toml (DESIGN.md's table), checked by import-linter."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=PACKAGE.parent, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_only_cache_and_provider_engines_use_duckdb():
    allowed = ("costtui/cache/", "costtui/providers/")
    users = [
        path.relative_to(PACKAGE.parent).as_posix()
        for path in PACKAGE.rglob("*.py")
        if "duckdb" in imported_modules(path)
    ]
    assert [u for u in users if not u.startswith(allowed)] == []


def test_costs_command_loads_no_ui_or_cloud_sdk(demo_cache):
    code = (
        "import sys, io, contextlib\n"
        "from costtui.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()): main(['--cache', {str(demo_cache)!r}, 'costs'])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'boto3', 'azure', 'google'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr
