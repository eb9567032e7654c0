"""Read a rules file (YAML or JSON) into a Pydantic model; errors name the line.

A file that does not validate is refused whole: the first error says the line, the field path and
the reason, e.g. ``routing.yaml line 12: teams.0.strategy: Input should be 'round_robin', …``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from closeloop.errors import Invalid
from closeloop.i18n import N_

M = TypeVar("M", bound=BaseModel)


def read_rules_file(path: Path) -> str:
    """The text of a rules file; a missing or unreadable one is one clear error."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise Invalid(
            N_("cannot read %(path)s: %(reason)s"), field="file", path=path, reason=reason
        ) from None


def parse_rules(text: str, schema: type[M], *, source: str = "rules") -> M:
    """Validate ``text`` against ``schema``; raise ``Invalid`` naming the line and field."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at_line = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise Invalid(
            N_("%(source)s%(at_line)s: not valid YAML/JSON: %(problem)s"),
            field="file",
            source=source,
            at_line=at_line,
            problem=problem,
        ) from None
    if not isinstance(data, dict):
        raise Invalid(
            N_("%(source)s line 1: expected a mapping of settings"), field="file", source=source
        )
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        path = [str(part) for part in first["loc"]]
        line = _line_of(node, list(first["loc"]))
        where = ".".join(path) or "(top)"
        raise Invalid(
            N_("%(source)s line %(line)s: %(reason)s"),
            field=where,
            source=source,
            line=line,
            reason=first["msg"],
        ) from None


def _line_of(node: Any, path: list[Any]) -> int:
    """The 1-based line of the deepest node of ``path`` that exists in the YAML tree."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    child = value
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line
