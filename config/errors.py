"""Errors of configuration: the CLI turns them into one line and exit code 2."""


class ConfigError(Exception):
    """A configuration problem, with a message that names the key."""

    exit_code = 2
