"""Read the TOML file, apply credentials and environment overrides, validate.

Order of precedence, lowest first: defaults, the file, files in
`$CREDENTIALS_DIRECTORY` named `<section>.<key>` (systemd's LoadCredential), and
environment variables `KLACHTEN_<SECTION>__<KEY>`. Every problem is reported as a
`ConfigError` with one line naming the key; secrets never appear in messages.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from config import validate
from config.errors import ConfigError
from config.schema import SECRET_KEYS, Settings

DEFAULT_PATH = Path("/etc/klachten/klachten.toml")
ENV_PREFIX = "KLACHTEN_"


def config_path(cli_value: str | None, environ: Mapping[str, str]) -> Path:
    """The config file: the --config option, else KLACHTEN_CONFIG, else /etc."""
    if cli_value:
        return Path(cli_value)
    if environ.get("KLACHTEN_CONFIG"):
        return Path(environ["KLACHTEN_CONFIG"])
    return DEFAULT_PATH


def load_settings(
    path: Path | None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build validated settings from the file at `path` (None: defaults only)."""
    environ = os.environ if environ is None else environ
    raw = _read_toml(path) if path is not None else {}
    sections = _section_types()
    _reject_unknown(raw, sections)
    raw = _apply_credentials(raw, sections, environ)
    raw = _apply_environment(raw, sections, environ)
    built = {
        name: _build_section(name, cls, raw.get(name, {}))
        for name, cls in sections.items()
    }
    settings = Settings(**built)
    validate.check(settings)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except PermissionError:
        raise ConfigError(f"config file not readable: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"config path is a directory: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not UTF-8 text (byte {exc.start})"
        ) from None


def _section_types() -> dict[str, type]:
    hints = typing.get_type_hints(Settings)
    return {f.name: hints[f.name] for f in dataclasses.fields(Settings)}


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _reject_unknown(raw: Mapping[str, Any], sections: Mapping[str, type]) -> None:
    for name, body in raw.items():
        if name not in sections:
            raise ConfigError(f"config: unknown section [{name}]")
        if not isinstance(body, dict):
            raise ConfigError(f"config: [{name}] must be a table")
        known = _field_types(sections[name])
        for key in body:
            if key not in known:
                raise ConfigError(f"config: unknown key '{key}' in [{name}]")


def _apply_credentials(
    raw: dict[str, Any], sections: Mapping[str, type], environ: Mapping[str, str]
) -> dict[str, Any]:
    directory = environ.get("CREDENTIALS_DIRECTORY")
    if not directory:
        return raw
    merged = {name: dict(body) for name, body in raw.items()}
    for section, cls in sections.items():
        for key in _field_types(cls):
            for filename in (f"{section}.{key}", f"{section}-{key}"):
                candidate = Path(directory) / filename
                if candidate.is_file():
                    text = _read_credential(candidate)
                    merged.setdefault(section, {})[key] = _coerce_text(
                        section, key, text, _field_types(cls)[key]
                    )
                    break
    return merged


def _read_credential(path: Path) -> str:
    """A credential file's text, without its final line break; one line of
    error naming the file (never its content) when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ConfigError(f"credential file {path} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"credential file {path}: {exc.strerror}") from None


def _apply_environment(
    raw: dict[str, Any], sections: Mapping[str, type], environ: Mapping[str, str]
) -> dict[str, Any]:
    merged = {name: dict(body) for name, body in raw.items()}
    for variable, text in environ.items():
        if not variable.startswith(ENV_PREFIX) or "__" not in variable:
            continue
        section, _, key = variable[len(ENV_PREFIX) :].partition("__")
        section, key = section.lower(), key.lower()
        if section not in sections:
            raise ConfigError(f"config: {variable} names unknown section [{section}]")
        types_ = _field_types(sections[section])
        if key not in types_:
            raise ConfigError(f"config: {variable} names unknown key '{key}'")
        merged.setdefault(section, {})[key] = _coerce_text(
            section, key, text, types_[key]
        )
    return merged


def _coerce_text(section: str, key: str, text: str, kind: Any) -> Any:
    """Turn an environment or credential string into the key's type."""
    if kind is str:
        return text
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"config: [{section}] {key} must be true or false")
    if kind is int:
        try:
            return int(text.strip())
        except ValueError:
            raise ConfigError(f"config: [{section}] {key} must be an integer") from None
    if typing.get_origin(kind) is dict:
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            message = f"config: [{section}] {key} must be a JSON object"
            raise ConfigError(message) from None
        return _checked(section, key, value, kind)
    if typing.get_origin(kind) is list:
        stripped = text.strip()
        if stripped.startswith("["):
            try:
                return json.loads(stripped)
            except json.JSONDecodeError:
                raise ConfigError(
                    f"config: [{section}] {key} must be a JSON list"
                ) from None
        parts = [part.strip() for part in stripped.split(",") if part.strip()]
        (item,) = typing.get_args(kind)
        return [_coerce_text(section, key, part, item) for part in parts]
    return text


def _build_section(name: str, cls: type, body: Mapping[str, Any]) -> Any:
    values = {}
    for key, kind in _field_types(cls).items():
        if key in body:
            values[key] = _checked(name, key, body[key], kind)
    return cls(**values)


def _checked(section: str, key: str, value: Any, kind: Any) -> Any:
    shown = "***" if (section, key) in SECRET_KEYS else repr(value)
    where = f"config: [{section}] {key}"
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {shown}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer, got {shown}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, got {shown}")
        return value
    if typing.get_origin(kind) is list:
        (item,) = typing.get_args(kind)
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list, got {shown}")
        return [_checked(section, key, element, item) for element in value]
    if typing.get_origin(kind) is dict:
        key_kind, item = typing.get_args(kind)
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table, got {shown}")
        return {
            _checked(section, key, k, key_kind): _checked(section, key, v, item)
            for k, v in value.items()
        }
    if isinstance(kind, types.UnionType):
        for option in typing.get_args(kind):
            if option in (int, str, bool) and _plain_is(value, option):
                return value
        raise ConfigError(f"{where} holds {shown}, of the wrong type")
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        return _build_table(section, key, value, kind)
    return value


def _plain_is(value: Any, kind: type) -> bool:
    if kind is int and isinstance(value, bool):
        return False
    return isinstance(value, kind)


def _build_table(section: str, key: str, value: Any, cls: type) -> Any:
    """A table inside a key (an item of `[cases] regional_offices`)."""
    where = f"config: [{section}] {key}"
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must hold tables, got {value!r}")
    known = _field_types(cls)
    for name in value:
        if name not in known:
            raise ConfigError(f"{where}: unknown key '{name}'")
    return cls(
        **{
            name: _checked(section, f"{key}.{name}", value[name], kind)
            for name, kind in known.items()
            if name in value
        }
    )
