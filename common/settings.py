"""The one settings family: every service's settings class derives from :class:`RathausSettings`.

What every service gets from it, so that no service reads its environment its own way:

* **One prefix.** Variables are ``RATHAUS_<FIELD>``; a concept several services share has the same name in
  each (``RATHAUS_BROKER_URL``, ``RATHAUS_METRICS_TOKEN``, ``RATHAUS_CONTENT``). A service's own options may
  carry a second part (``RATHAUS_ASR_MODEL``); :meth:`RathausSettings.variable` names a field's variable.
* **Deprecated names** (``deprecated_variables``: old variable -> field) are read for one release, with a
  ``DeprecationWarning`` and a log line; set together with the new name to another value, they stop the service.
* **Secrets from files.** Every ``SecretStr`` field also reads ``<VARIABLE>_FILE`` (Docker and systemd
  credentials): the file's content, without its final newline. Secrets are never logged or printed: the
  values stay ``SecretStr``, and :class:`SettingsError` shows no secret's input.
* **Validated at start-up, naming the variable.** :meth:`RathausSettings.load` turns pydantic's
  ``ValidationError`` into :class:`SettingsError`, one line per problem: ``RATHAUS_PORT: Input should be a
  valid integer (got 'abc')``.

Fields that another resolver reads from the environment (the content folder, ``content.root``) are named in
``resolved_elsewhere``, with the variable that resolver reads: the environment sources leave them out, so
they are read once, by that resolver.
docs/configuration.md lists every variable.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Self, get_args

from dotenv import dotenv_values
from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

__all__ = ["RathausSettings", "SettingsError"]

log = logging.getLogger(__name__)

Source = Callable[[], dict[str, Any]]


class SettingsError(ValueError):
    """Settings that cannot work; ``problems`` are ``VARIABLE: what is wrong`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class RathausSettings(BaseSettings):
    """Base of every service's settings (see the module docstring)."""

    model_config = SettingsConfigDict(env_prefix="RATHAUS_", extra="ignore", frozen=True, populate_by_name=True)

    #: old variable name -> field, read with a deprecation warning for one release
    deprecated_variables: ClassVar[Mapping[str, str]] = {}
    #: fields read from the environment by another resolver -> the variable it reads (module docstring)
    resolved_elsewhere: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable of ``field`` (its alias where it has one, else prefix + name)."""
        if field in cls.resolved_elsewhere:
            return cls.resolved_elsewhere[field]
        info = cls.model_fields[field]
        if isinstance(info.validation_alias, str):
            return info.validation_alias
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()

    @classmethod
    def load(cls, **overrides: Any) -> Self:
        """Settings from the environment, then ``overrides``; :class:`SettingsError` names each bad variable."""
        try:
            return cls(**overrides)
        except ValidationError as exc:
            raise SettingsError([cls._describe(err) for err in exc.errors()]) from exc

    @classmethod
    def _describe(cls, err: Any) -> str:
        name = str(err["loc"][0]) if err["loc"] else ""
        field = next((f for f, i in cls.model_fields.items() if name in (f, i.validation_alias)), None)
        where = cls.variable(field) if field else name or cls.__name__
        message = str(err["msg"])
        if field is None or not _is_secret(cls.model_fields[field].annotation):
            message += f" (got {err['input']!r})"
        return f"{where}: {message}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[Any, ...]:
        return (
            init_settings,
            cls._without_resolved(env_settings),
            cls._without_resolved(dotenv_settings),
            cls._secret_files,
            cls._deprecated,
            file_secret_settings,
        )

    @classmethod
    def _without_resolved(cls, source: Source) -> Source:
        def values() -> dict[str, Any]:
            found = dict(source())
            for field in cls.resolved_elsewhere:
                found.pop(field, None)
            return found

        values.__name__ = f"{type(source).__name__}Filtered"
        return values

    @classmethod
    def _environment(cls) -> dict[str, str]:
        """The process environment over the ``.env`` file if the class reads one (pydantic-settings' order)."""
        env_file = cls.model_config.get("env_file")
        from_file: dict[str, str] = {}
        if isinstance(env_file, str | Path) and os.path.isfile(env_file):
            from_file = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
        return from_file | dict(os.environ)

    @classmethod
    def _secret_files(cls) -> dict[str, Any]:
        env = cls._environment()
        found: dict[str, Any] = {}
        for field, info in cls.model_fields.items():
            if not _is_secret(info.annotation):
                continue
            variable = cls.variable(field)
            path = env.get(f"{variable}_FILE")
            if not path:
                continue
            if env.get(variable):
                raise SettingsError([f"{variable}_FILE: {variable} is set too; set only one of them"])
            try:
                found[field] = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise SettingsError(
                    [f"{variable}_FILE: cannot read {path} ({exc.strerror}); point it at the file with the secret"]
                ) from exc
        return found

    @classmethod
    def _deprecated(cls) -> dict[str, Any]:
        env = cls._environment()
        found: dict[str, Any] = {}
        for old, field in cls.deprecated_variables.items():
            value = env.get(old)
            if not value:
                continue
            new = cls.variable(field)
            log.warning("settings.deprecated_variable variable=%s use=%s", old, new)
            warnings.warn(
                f"{old} is deprecated and will be removed in the next release; set {new} instead",
                DeprecationWarning,
                stacklevel=2,
            )
            current = env.get(new)
            if current and current != value:
                shown = "" if _is_secret(cls.model_fields[field].annotation) else f" ({value!r} vs {current!r})"
                raise SettingsError([f"{old}: conflicts with {new}{shown}; set only {new}"])
            found[field] = value
        return found


def _is_secret(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in get_args(annotation)
