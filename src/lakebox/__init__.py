"""lakebox: a local-first lakehouse on DuckDB over Apache Iceberg."""

from lakebox.errors import LakeboxError
from lakebox.lakehouse import Lakehouse, open_project

__version__ = "0.1.0"
open = open_project  # noqa: A001 - `lakebox.open(path)` is the public entry point

__all__ = ["Lakehouse", "LakeboxError", "__version__", "open", "open_project"]
