"""lakebox: a local-first lakehouse on DuckDB over Apache Iceberg."""

from lakebox.errors import LakeboxError
from lakebox.lakehouse import Lakehouse, open_project

__version__ = "0.1.0"
open = open_project

__all__ = ["LakeboxError", "Lakehouse", "__version__", "open", "open_project"]
