"""The one exception tree of lakebox: every error says what happened and what to do."""

from __future__ import annotations

from lakebox.redaction import scrub


class LakeboxError(Exception):
    """Root of every error lakebox raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None, **fields: object) -> None:
        # the one place every message is made: values taken from the environment never show
        self.message = scrub(message)
        self.hint = scrub(hint) if hint else hint
        self.fields = {
            key: scrub(value) if isinstance(value, str) else value
            for key, value in fields.items()
            if value is not None
        }
        super().__init__(self._render())

    def _render(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class ConfigError(LakeboxError):
    """The project file or a command-line setting is wrong."""


class PortInUse(ConfigError):
    """The port to serve on is held by another program."""


class StorageError(LakeboxError):
    """Bytes could not be read or written where the project keeps them."""


class CatalogError(LakeboxError):
    """The Iceberg catalog refused or lost track of a table."""


class LineageError(LakeboxError):
    """A node the lineage graph does not hold: no table, column or consumer of that name
    (HTTP 404)."""

    def __init__(self, message: str, *, hint: str | None = None, **fields: object) -> None:
        fields = {"status": 404, **fields}
        super().__init__(message, hint=hint, **fields)


class EngineError(LakeboxError):
    """The SQL engine could not start or run a statement."""


class QueryError(EngineError):
    """A user's SQL failed."""


class LandingError(LakeboxError):
    """A source could not be collected into the landing zone."""


class FormatError(LakeboxError):
    """A landed object could not be turned into formatted rows."""


class SchemaError(FormatError):
    """A file's columns cannot be reconciled with its source's canonical schema."""


class ModelError(LakeboxError):
    """An exploitation model is wrong: bad SQL, a cycle or an unknown table."""


class DictionaryError(LakeboxError):
    """An edit of the data dictionary is wrong (an unknown field, term or tag), or a glossary
    term asked for does not exist (HTTP 404)."""


class EntityError(LakeboxError):
    """An entity cannot be resolved: a missing table or column, or splink refused it."""


class DashboardError(LakeboxError):
    """A dashboard's YAML is wrong, or a filter value sent to it is not one it accepts."""


class QueryInterrupted(QueryError):
    """A user's query was stopped: it ran past its timeout, or its client cancelled it."""


class AnomalyError(LakeboxError):
    """Anomaly rules cannot run: an unknown rule name, or a missing table or column."""


class AnalysisError(LakeboxError):
    """A forecast or another analysis cannot run: a missing table or column, or too little data."""


class WireError(LakeboxError):
    """A PostgreSQL client could not be served: it left, broke the protocol or failed to log in."""


class ModelLifecycleError(AnalysisError):
    """A sandbox, feature table, model version or score cannot be made: an unknown name, a
    missing column, an empty split or a version that is not in the registry."""


class StreamError(LakeboxError):
    """A stream cannot take events or run: an unknown stream, an intake that cannot be
    reached, a body too large, or a worker already running on the same partitions."""


class RunLocked(LakeboxError):
    """Another process is running the same pipeline, and this run did not wait for it."""


class RunTerminated(BaseException):
    """The process running a pipeline was asked to stop (SIGTERM, e.g. by the scheduler at the
    pipeline's `run_timeout`): no step catches it, the run is recorded as failed."""


class AccessDenied(QueryError):
    """The user lacks a grant: a table, a column or an ability their roles do not give them.
    It names the missing grant; HTTP answers 403, pg-wire SQLSTATE 42501."""

    def __init__(self, message: str, *, hint: str | None = None, **fields: object) -> None:
        fields = {"sqlstate": "42501", "status": 403, **fields}
        super().__init__(message, hint=hint, **fields)


class AuthError(LakeboxError):
    """Who is asking could not be established: no user, a wrong password, an expired or
    revoked token, a disabled user, or too many failed logins (HTTP 401 or 429)."""

    def __init__(self, message: str, *, hint: str | None = None, **fields: object) -> None:
        fields = {"status": 401, **fields}
        super().__init__(message, hint=hint, **fields)


class PullTimedOut(LandingError):
    """A pull from an HTTP source ran past its total deadline (`pull_timeout`)."""


class ReaderLimitError(FormatError):
    """A landed file's reader was refused or stopped: a size the file declares is past a cap,
    or the reader crashed, ran out of memory or out of time in its child process."""
