"""Read the agent's site config file; `protocols.site_config_yaml` parses it and says, with
places and line numbers, what is wrong with it."""

from pathlib import Path

from edge.errors import SiteConfigError
from protocols import site_config_yaml
from protocols.site_config import SiteConfig

__all__ = ["SiteConfigError", "load_site_config"]


def load_site_config(path: str | Path) -> SiteConfig:
    """The validated config in `path`; SiteConfigError lists every problem in it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteConfigError(f"{path}: cannot read: {exc}") from None
    try:
        return site_config_yaml.parse_site_config(text, source=path.name)
    except site_config_yaml.SiteConfigError as exc:
        raise SiteConfigError(str(exc)) from None
