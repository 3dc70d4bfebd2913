"""The config reference (docs/config.md), generated from the config models so it never drifts.

A key's description is its pydantic `description`, or else the comment written after the
field in the model's source, so the models stay the one place where settings are explained.
"""

from __future__ import annotations

import inspect
import re
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from builder.config import LoomConfig

_FIELD_COMMENT = re.compile(r"^\s+(\w+)\s*:[^#\n]*#\s*(.+)$", re.MULTILINE)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def _type_name(annotation: Any) -> str:
    models = _models_in(annotation)
    if models and typing.get_origin(annotation) is list:
        return "list of sections"
    if inspect.isclass(annotation):
        return annotation.__name__ if not models else "section"
    text = re.sub(r"\b(typing|builtins)\.", "", str(annotation)).replace("NoneType", "None")
    text = re.sub(r"\b[\w.]+\.(\w+)", r"\1", text)
    return text.replace("|", "\\|")


def _default(field: Any) -> str:
    if field.default is not PydanticUndefined:
        value = field.default
    elif field.default_factory is not None:
        value = field.default_factory()
    else:
        return "*required*"
    if isinstance(value, BaseModel):
        return ""
    return f"`{value!r}`"


def _comments(model: type[BaseModel]) -> dict[str, str]:
    found: dict[str, str] = {}
    for klass in reversed(model.__mro__):  # a subclass's comment wins over its base's
        if not issubclass(klass, BaseModel) or klass is BaseModel:
            continue
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        found.update({name: text.strip() for name, text in _FIELD_COMMENT.findall(source)})
    return found


def _section_name(prefix: str, key: str, sub: type[BaseModel], n_choices: int) -> str:
    name = f"{prefix}.{key}" if prefix else key
    if n_choices > 1 and "type" in sub.model_fields:
        choice = typing.get_args(sub.model_fields["type"].annotation)
        name += f"[type={choice[0] if choice else sub.__name__}]"
    return name


def reference_markdown() -> str:
    lines = [
        "# Config reference",
        "",
        "Generated from the config models by `loom config reference`; do not edit by hand.",
        "Unknown keys and wrong types are errors (exit status 2) naming the file and the key.",
        "Relative paths are resolved against the config file's folder.",
        "",
    ]
    done: set[str] = set()

    def section(name: str, model: type[BaseModel]) -> None:
        if name in done:
            return
        done.add(name)
        lines.append(f"## `{name}`")
        doc = model.__dict__.get("__doc__")
        if doc:
            lines.extend(["", inspect.cleandoc(doc)])
        lines.extend(["", "| key | type | default | meaning |", "|---|---|---|---|"])
        comments = _comments(model)
        nested: list[tuple[str, type[BaseModel]]] = []
        for field_name, field in model.model_fields.items():
            if field.exclude:
                continue
            key = field.alias or field_name
            meaning = (field.description or comments.get(field_name, "")).replace("|", "\\|")
            lines.append(f"| `{key}` | {_type_name(field.annotation)} | {_default(field)} | {meaning} |")
            subs = _models_in(field.annotation)
            nested.extend((_section_name(name if name != "(top level)" else "", key, sub, len(subs)), sub)
                          for sub in subs)
        lines.append("")
        for sub_name, sub in nested:
            section(sub_name, sub)

    section("(top level)", LoomConfig)
    return "\n".join(lines).rstrip() + "\n"
