"""'Did you mean ...?' for a mistyped command or config key."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, get_args

from pydantic import BaseModel


def did_you_mean(word: str, choices: Iterable[str], prefix: str = "") -> str:
    """`` Did you mean 'run'?`` (with a leading space) for the closest choice, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{prefix}{close[0]}'?" if close else ""


def _models_of(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through Optional, list, dict, Union, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_of(arg)]


def _keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items() if not info.exclude]


def known_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed where the unknown key at `loc` (pydantic's error location) sits."""
    models = [root]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        found: list[type[BaseModel]] = []
        for model in models:
            fields = {info.alias or name: info for name, info in model.model_fields.items()}
            if part in fields:
                found.extend(_models_of(fields[part].annotation))
        tagged = [m for m in models if _tag(m) == part]  # a discriminated union names the member
        models = tagged or found
        if not models:
            return []
    return sorted({key for model in models for key in _keys(model)})


def _tag(model: type[BaseModel]) -> str | None:
    info = model.model_fields.get("type")
    args = get_args(info.annotation) if info is not None else ()
    return args[0] if len(args) == 1 and isinstance(args[0], str) else None
