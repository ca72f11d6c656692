"""contrib/nagios: Icinga 2 validates the CheckCommand and apply rules; every argument is one `check` accepts."""

from __future__ import annotations

import getpass
import grp
import os
import re
import shlex
import subprocess
from pathlib import Path

from costtui.plugin.args import parse_arguments
from tests.faces import REPO, require_binary

CONTRIB = REPO / "contrib" / "nagios"
COMMAND_CONF = CONTRIB / "costtui-command.conf"


def test_icinga2_accepts_the_command_and_service_rules(tmp_path: Path):
    icinga2 = require_binary("icinga2")
    main_conf = tmp_path / "icinga2.conf"
    main_conf.write_text(
        "include <itl>\n"
        f'include "{COMMAND_CONF}"\n'
        f'include "{CONTRIB / "costtui-services.conf"}"\n'
        'object Host "finops" {\n'
        '  address = "127.0.0.1"\n'
        '  check_command = "dummy"\n'
        "  vars.costtui = true\n"
        "  vars.costtui_ec2_prod = true\n"
        '  vars.costtui_month_limits = { aws = [ "~:20000", "~:25000" ], azure = [ "~:8000", "~:10000" ] }\n'
        "}\n"
    )
    defines = [f"-D{name}={tmp_path / name}" for name in ("CacheDir", "LogDir", "DataDir", "InitRunDir", "SpoolDir")]
    for name in ("CacheDir", "LogDir", "DataDir", "InitRunDir", "SpoolDir"):
        (tmp_path / name).mkdir()
    user, group = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
    result = subprocess.run(
        [icinga2, "daemon", "-C", "-c", str(main_conf), *defines, f"-DRunAsUser={user}", f"-DRunAsGroup={group}"],
        capture_output=True, text=True, timeout=60,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    # daily + forecast + one service + month-to-date for each of the two providers in the host's dictionary
    assert "Instantiated 5 Services" in log, log
    assert "critical/" not in log and "warning/config" not in log, log


def test_every_command_argument_is_an_option_of_check():
    text = COMMAND_CONF.read_text(encoding="utf-8")
    options = re.findall(r'"(--[a-z-]+)" = \{', text)
    assert len(options) >= 13
    argv = []
    for option in options:
        block = text[text.index(f'"{option}" = {{'):]
        block = block[: block.index("}")]
        assert "description = " in block, option
        if "set_if" not in block:
            argv += [option, {"--period": "forecast", "--metric": "effective", "--max-age": "36h",
                              "--timeout": "20", "--warning": "~:1", "--critical": "~:2"}.get(option, "x")]
        else:
            argv.append(option)
    parse_arguments(argv)  # raises UsageError on any option check does not know


def test_command_vars_are_prefixed_costtui():
    macros = set(re.findall(r"\$([a-z_]+)\$", COMMAND_CONF.read_text(encoding="utf-8")))
    assert macros and all(name.startswith("costtui_") for name in macros), macros


def test_classic_nagios_command_line_parses(tmp_path: Path):
    text = (CONTRIB / "nagios-commands.cfg").read_text(encoding="utf-8")
    command_line = re.search(r"command_line\s+(.+)", text).group(1)
    filled = (command_line.replace("$ARG1$", "forecast").replace("$ARG2$", "~:40000").replace("$ARG3$", "~:50000")
              .replace("$ARG4$", "--provider aws --max-age 36h"))
    words = shlex.split(filled)
    assert words[0].endswith("costtui") and "check" in words
    args = parse_arguments(words[words.index("check") + 1:])
    assert (args.period, args.warning.text, args.providers) == ("forecast", "~:40000", ["aws"])
