"""Problems found in content, and the package's root exception.

Exception hierarchy::

    ContentError            -- content could not be loaded or built; ``.problems`` lists every problem
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["ContentError", "Problem", "Severity", "has_errors"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing an editor has to look at: where it is, what is wrong and how to fix it."""

    path: str
    line: int
    field: str
    message: str
    hint: str
    severity: Severity = "error"
    code: str = ""

    def format(self) -> str:
        """``path:line: field: message (hint: ...)``, the form compilers and editors understand."""
        text = f"{self.path}:{self.line}: {self.field or '-'}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text

    def to_dict(self) -> dict[str, str | int]:
        return {
            "path": self.path,
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
            "severity": self.severity,
            "code": self.code,
        }


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


class ContentError(Exception):
    """Content is broken; ``problems`` holds every problem found (errors and warnings)."""

    def __init__(self, problems: Iterable[Problem], summary: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = summary or f"{len(errors)} error(s) in content"
        lines = [head, *(f"  {p.format()}" for p in errors[:20])]
        if len(errors) > 20:
            lines.append(f"  ... and {len(errors) - 20} more (run `rathaus content check`)")
        super().__init__("\n".join(lines))
