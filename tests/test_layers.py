"""The import rules of DESIGN.md, checked on the source so a violation fails CI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "costtui"
CLOUD_SDKS = ("boto3", "botocore", "azure", "google")

# layer prefix -> costtui modules it must never import
FORBIDDEN = {
    "costtui/model.py": ("costtui.config", "costtui.cache", "costtui.providers", "costtui.tui", "costtui.headless"),
    "costtui/exactjson.py": ("costtui.config", "costtui.cache", "costtui.providers", "costtui.tui", "costtui.headless", "costtui.alerts"),
    "costtui/periods.py": ("costtui.config", "costtui.providers", "costtui.tui", "costtui.headless", "costtui.refresh", "costtui.alerts"),
    "costtui/config/": ("costtui.cache", "costtui.providers", "costtui.tui", "costtui.headless", "costtui.refresh"),
    "costtui/providers/": ("costtui.cache", "costtui.tui", "costtui.headless", "costtui.refresh", "costtui.alerts"),
    "costtui/cache/": ("costtui.providers", "costtui.tui", "costtui.headless", "costtui.refresh", "costtui.alerts"),
    "costtui/alerts/": ("costtui.providers", "costtui.tui", "costtui.headless", "costtui.refresh"),
    "costtui/headless/": ("costtui.providers", "costtui.tui", "costtui.refresh", "textual", *CLOUD_SDKS),
    "costtui/tui/": ("costtui.providers", "costtui.headless", *CLOUD_SDKS),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_layers_import_only_downwards():
    violations = []
    root = PACKAGE.parent
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(root).as_posix()
        for prefix, forbidden in FORBIDDEN.items():
            if relative.startswith(prefix):
                for name in imported_modules(path):
                    if any(name == f or name.startswith(f + ".") for f in forbidden):
                        violations.append(f"{relative} imports {name}")
    assert violations == []


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
