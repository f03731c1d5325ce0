"""The `klachten` command line: parses arguments and hands over to a handler.

Handlers are named as "module:function" strings and imported only when their
command runs, so `klachten --help` stays fast. Every error a user can cause
ends as one line on stderr with exit code 2; operational failures exit 1.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from service.cli_parser import build_parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    from config import ConfigError
    from store.errors import KlachtenError

    app = None
    try:
        if not getattr(args, "config_free", False):
            app = _make_app(args)
        module_name, _, function_name = args.handler.partition(":")
        handler = getattr(importlib.import_module(module_name), function_name)
        return int(handler(app, args) or 0)
    except ConfigError as exc:
        return _fail(str(exc), exc.exit_code)
    except KlachtenError as exc:
        return _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the one boundary that turns surprises into a line
        return _unexpected(exc)
    finally:
        if app is not None:
            app.close()


def _make_app(args: argparse.Namespace):
    from config import config_path, load_settings
    from service.app import App

    path = config_path(args.config, os.environ)
    settings = load_settings(path)
    _configure_logging(settings.service.log_level)
    return App(settings, path, actor=getattr(args, "actor", None))


def _configure_logging(level: str) -> None:
    """Logs go to stderr: stdout carries the command's output (numbers, JSON).

    Under systemd both streams reach the journal.
    """
    from service.log_setup import configure_logging

    configure_logging(level=level, stream=sys.stderr)


def _fail(message: str, code: int) -> int:
    line = " ".join(message.split())  # one line, whatever the input held
    print(f"klachten: {line}", file=sys.stderr)
    return code


def _unexpected(exc: Exception) -> int:
    from store.errors import StoreUnavailable

    try:
        from sqlalchemy.exc import OperationalError
    except ImportError:  # pragma: no cover
        OperationalError = ()  # type: ignore[assignment,misc]
    if isinstance(exc, OperationalError | StoreUnavailable):
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return _fail(f"database unavailable: {line}", 1)
    if isinstance(exc, OSError):
        return _fail(f"{type(exc).__name__}: {exc}", 1)
    import traceback

    if os.environ.get("KLACHTEN_DEBUG"):
        traceback.print_exc()
    return _fail(f"unexpected error ({type(exc).__name__}): {exc}", 1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
