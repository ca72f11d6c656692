"""Schemathesis, every check, against the generated OpenAPI document of a running server (token set,
so the auth checks run too): zero failures. The server runs in this process on 127.0.0.1; the
schemathesis CLI drives it from a subprocess. The two cross-parameter rules OpenAPI cannot express
are the only accepted 400s (tests/api/schemathesis_hooks.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from costtui.api.app import create_app
from costtui.api.server import BackgroundServer
from costtui.api.settings import ApiSettings
from tests.conftest import TODAY
from tests.faces import REPO
from tests.tagcache import TAG_KEYS

TOKEN = "contract-token"


def test_schemathesis_finds_nothing(tagged_cache, tmp_path):
    app = create_app(ApiSettings(cache_path=tagged_cache, today=lambda: TODAY, token=TOKEN, tag_keys=TAG_KEYS))
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    with BackgroundServer(app) as url:
        result = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json",
             "-H", f"Authorization: Bearer {TOKEN}", "--checks", "all", "--max-examples", "5", "--seed", "7",
             "--workers", "2", "--generation-database", "none", "--no-color", "--max-response-time", "5",
             "--report", "junit", "--report-dir", str(tmp_path)],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=240,  # its cache dir: not in the repo
        )
    summary = result.stdout[-3000:]
    assert result.returncode == 0, summary
    assert "No issues found" in summary, summary
    assert "Tested: 9" in summary  # every operation of the document was exercised
