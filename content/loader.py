"""Read YAML files and remember the line of every mapping key, value and list item.

``yaml.safe_load`` forgets where things came from; editors need ``file:line``. We compose the node
tree (which carries marks), construct the Python value from it with the safe constructor, and walk
both together to record a line per field path such as ``("questions", 3)`` or ``("hours", "monday")``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from content.errors import Problem

__all__ = ["Document", "FieldPath", "load_yaml", "parse_yaml"]

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed YAML file: its data and the line (1-based) of each field path."""

    path: str
    data: Any
    lines: dict[FieldPath, int] = field(default_factory=dict)
    duplicate_keys: tuple[tuple[FieldPath, int], ...] = ()

    def line_of(self, path: FieldPath) -> int:
        """Line of ``path``, or of its closest ancestor that exists (a missing field: its parent)."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), 1)


def _walk(
    node: yaml.Node, path: FieldPath, lines: dict[FieldPath, int], dupes: list[tuple[FieldPath, int]]
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                # PyYAML silently keeps the last value; editors must learn that the first one is lost.
                dupes.append((child, key_node.start_mark.line + 1))
                continue
            seen.add(key)
            # A mapping key's line is where the editor typed it (the value may start on the next line).
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, dupes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, dupes)


def parse_yaml(text: str, path: str) -> Document | Problem:
    """Parse ``text``; a syntax error comes back as a :class:`Problem` with its line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        return Problem(
            path=path,
            line=line,
            field="",
            message=f"YAML syntax error: {what}{context}",
            hint=(
                "check indentation and quoting at this line; put text in quotes when it contains ': ' "
                "or starts with - [ { * & ! % @ or `"
            ),
            code="yaml",
        )
    except yaml.YAMLError as exc:
        return Problem(
            path=path, line=1, field="", message=f"YAML error: {exc}", hint="fix the YAML syntax", code="yaml"
        )
    finally:
        loader.dispose()
    lines: dict[FieldPath, int] = {}
    dupes: list[tuple[FieldPath, int]] = []
    if node is not None:
        _walk(node, (), lines, dupes)
    lines[()] = 1
    return Document(path=path, data=data, lines=lines, duplicate_keys=tuple(dupes))


def load_yaml(file: Path, display: str | None = None) -> Document | Problem:
    """Read and parse ``file``; unreadable or undecodable files come back as a :class:`Problem`."""
    shown = display or str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return Problem(
            shown, 1, "", f"file is not valid UTF-8 ({exc.reason})", "save the file as UTF-8", code="encoding"
        )
    except OSError as exc:
        return Problem(
            shown,
            1,
            "",
            f"cannot read file: {exc.strerror}",
            "check that the file exists and is readable",
            code="io",
        )
    return parse_yaml(text, shown)
