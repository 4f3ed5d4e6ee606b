"""Turn pydantic validation errors into editor-facing :class:`Problem` s with line and hint."""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from content.errors import Problem
from content.loader import Document, FieldPath

__all__ = ["field_name", "validate"]

M = TypeVar("M", bound=BaseModel)

_TYPE_NAMES = {
    "str": "text",
    "int": "a number",
    "float": "a number",
    "bool": "true/false",
    "NoneType": "empty",
    "list": "a list",
    "dict": "a mapping",
    "date": "a date",
}


def field_name(loc: FieldPath) -> str:
    """``("sources", 0, "url")`` -> ``"sources[0].url"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _model_at(model: type[BaseModel], loc: FieldPath) -> type[BaseModel] | None:
    """The model class that holds the field at ``loc`` (to list its allowed fields)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if (
            not (isinstance(current, type) and issubclass(current, BaseModel))
            or part not in current.model_fields
        ):
            return None
        current = _unwrap(current.model_fields[part].annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """``list[X]``, ``X | None`` -> ``X`` (the model inside, if any)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin in (list, tuple) or origin is typing.Union or origin is types.UnionType:
            models = [a for a in typing.get_args(annotation) if a is not type(None)]
            if not models:
                return annotation
            annotation = models[0]
            continue
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        return annotation


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value).__name__, type(value).__name__)


def _explain(error: ErrorDetails, model: type[BaseModel]) -> tuple[str, str]:
    kind = error["type"]
    loc: FieldPath = tuple(error["loc"])
    name = str(loc[-1]) if loc else "field"
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    value = error.get("input")
    if kind == "content":
        return str(ctx.get("message", error["msg"])), str(ctx.get("hint", ""))
    if kind == "missing":
        return f"missing required field '{name}'", f"add a line '{name}: ...' (see docs/content.md)"
    if kind == "extra_forbidden":
        holder = _model_at(model, loc[:-1])
        allowed = ", ".join(holder.model_fields) if holder else ""
        return f"unknown field '{name}'", "remove it or fix its spelling" + (
            f"; allowed fields: {allowed}" if allowed else ""
        )
    if kind == "string_too_short":
        if int(ctx.get("min_length", 1)) > 1 and value:
            return f"must have at least {ctx['min_length']} characters", "write the whole word"
        return "must not be empty", "write the text, or remove the line if the field is optional"
    if kind == "too_short":
        needed = ctx.get("min_length", "more")
        got = ctx.get("actual_length", len(value) if isinstance(value, list) else 0)
        hint = "add more items"
        if name == "questions":
            hint = "add more citizen phrasings: colloquial, short, long, with typical typos"
        elif name == "sources":
            hint = "add the official service page as '- title: ...' and 'url: https://...'"
        return f"needs at least {needed} items, has {got}", hint
    if kind == "string_pattern_mismatch":
        if name in {"id", "office"}:
            return (
                f"{value!r} is not a valid id",
                "use lower-case letters a-z, digits and '_', starting with a letter (write ä as ae, ß as ss)",
            )
        return f"{value!r} has the wrong format", f"expected the pattern {ctx.get('pattern')}"
    if kind == "string_type":
        if value is None:
            return "is empty", "write a value after the colon, or remove the line if the field is optional"
        return f"must be text, got {_type_name(value)} ({value!r})", f'put the value in quotes: "{value}"'
    if kind == "list_type":
        return (
            f"must be a list, got {_type_name(value)}",
            "write one '- item' per line, indented under the field",
        )
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return (
            f"must be a mapping, got {_type_name(value)}",
            "write 'key: value' lines indented under the field",
        )
    if kind in {"float_type", "int_type", "float_parsing"}:
        return (
            f"must be a number, got {_type_name(value)} ({value!r})",
            "write a number such as 37.0 without quotes or '€'",
        )
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}", "use 0 for free services"
    if kind == "bool_type":
        return f"must be true or false, got {value!r}", "write true or false without quotes"
    if kind.startswith("date"):
        return f"{value!r} is not a date", "write the date as YYYY-MM-DD, e.g. 2026-09-15"
    return str(error["msg"]), "see docs/content.md for the file format"


def validate(document: Document, model: type[M]) -> tuple[M | None, list[Problem]]:
    """Validate ``document.data`` against ``model``; problems carry the line of the offending field."""
    problems = [
        Problem(
            document.path,
            line,
            field_name(path),
            "duplicate key; only the last value is kept",
            "remove one of them",
            code="duplicate-key",
        )
        for path, line in document.duplicate_keys
    ]
    if document.data is None:
        problems.append(
            Problem(
                document.path,
                1,
                "",
                "file is empty",
                "fill in the fields described in docs/content.md",
                code="schema",
            )
        )
        return None, problems
    try:
        return model.model_validate(document.data), problems
    except ValidationError as exc:
        for error in exc.errors():
            loc: FieldPath = tuple(error["loc"])
            message, hint = _explain(error, model)
            line = document.line_of(loc)
            problems.append(Problem(document.path, line, field_name(loc), message, hint, code="schema"))
        return None, problems
