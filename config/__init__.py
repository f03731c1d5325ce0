"""Settings of klachten: one TOML file, environment overrides, credentials."""

from config.errors import ConfigError
from config.loader import config_path, load_settings
from config.schema import Settings

__all__ = ["ConfigError", "Settings", "config_path", "load_settings"]
