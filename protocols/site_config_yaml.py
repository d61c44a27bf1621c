"""Site config YAML text -> `SiteConfig`, saying with places and line numbers what is wrong.

Pure: callers read the file and pass its text, naming it in `source` for the messages.
"""

from typing import Any

import yaml
from pydantic import ValidationError

from protocols.site_config import PlacedProblems, SiteConfig

__all__ = ["SiteConfigError", "parse_site_config"]


class SiteConfigError(ValueError):
    """The site config cannot be used; the message lists every problem and where it is."""


def parse_site_config(text: str, *, source: str = "<config>") -> SiteConfig:
    """The validated config in YAML `text`; `source` names it in error messages."""
    try:
        data = yaml.safe_load(text)
        tree = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise SiteConfigError(f"{source}: not valid YAML: {_describe_yaml_error(exc)}") from None
    if not isinstance(data, dict):
        raise SiteConfigError(f"{source}: expected a mapping with site, agent, buses, ...")
    try:
        return SiteConfig.model_validate(data)
    except ValidationError as exc:
        problems = [line for error in exc.errors() for line in _describe_all(error, data, tree)]
        count = f"{len(problems)} error{'s' if len(problems) > 1 else ''}"
        raise SiteConfigError(f"{source}: {count}\n" + "\n".join(problems)) from None


def _describe_yaml_error(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def _describe_all(error: Any, data: Any, tree: yaml.Node | None) -> list[str]:
    """One line per problem: a site-wide rule may name several places at once."""
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, PlacedProblems):
        return [
            _describe({"loc": loc, "msg": message, "type": "value_error"}, data, tree)
            for loc, message in cause.problems
        ]
    return [_describe(error, data, tree)]


def _describe(error: Any, data: Any, tree: yaml.Node | None) -> str:
    """`buses[0].devices[1].unit_id (line 17): Input should be ...`"""
    loc = _without_union_tags(tuple(error["loc"]), data)
    place = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    line = _line_of(tree, loc)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "union_tag_not_found":
        message = "needs a `kind:` (e.g. modbus_tcp)"
    where = f"{place or '(top level)'}" + (f" (line {line})" if line else "")
    return f"  {where}: {message}"


def _without_union_tags(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop a discriminated union's tag (`modbus_tcp`) that pydantic puts in the path: people
    never wrote it there."""
    kept: list[Any] = []
    for part in loc:
        if isinstance(data, dict) and part not in data and data.get("kind") == part:
            continue
        kept.append(part)
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            data = None
    return tuple(kept)


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest YAML node along `loc` that exists (where to look)."""
    line = None
    for part in loc:
        node = _child(node, part) if node is not None else None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _child(node: yaml.Node, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None
