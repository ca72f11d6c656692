"""Command line: argument parsing, wiring the layers together, exit codes.

Heavy modules (textual, cloud SDKs, pydantic config) are imported inside the
commands that need them; `check` takes a fast path that never loads click."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from costtui import exitcodes

EXIT_OK = exitcodes.OK
EXIT_FAILURE = exitcodes.FAILURE
EXIT_USAGE = exitcodes.USAGE
EXIT_INTERRUPTED = exitcodes.INTERRUPTED

GLOBAL_VALUE_OPTIONS = ("--config", "--cache")


def split_global_options(argv: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Leading --config/--cache options and the rest (for the fast `check` path)."""
    options: dict[str, str] = {}
    rest = list(argv)
    while rest:
        head = rest[0]
        name, eq, value = head.partition("=")
        if name in GLOBAL_VALUE_OPTIONS:
            if eq:
                rest = rest[1:]
            elif len(rest) > 1:
                value, rest = rest[1], rest[2:]
            else:
                break
            options[name.lstrip("-")] = value
        else:
            break
    return options, rest


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    global_options, rest = split_global_options(argv)
    if rest and rest[0] == "check":
        from costtui.plugin.check import run_check

        return run_check(
            rest[1:], config_path=global_options.get("config"), cache_path=global_options.get("cache")
        )

    import click

    from costtui.commands import cli
    from costtui.model import CostError

    try:
        result = cli.main(args=argv, prog_name="costtui", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        print("costtui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except CostError as exc:
        print(f"costtui: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("costtui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK  # `costtui costs | head` is fine
    except OSError as exc:  # a full disk, a read-only folder... met outside the cache's own checks
        from costtui.oserrors import os_problem

        problem = os_problem(exc)
        print(f"costtui: {problem}", file=sys.stderr)
        return problem.exit_code
    return result if isinstance(result, int) else EXIT_OK
