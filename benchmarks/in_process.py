"""What the in-process benchmarks share: the dashboard's shipped defaults in a scratch
folder of their own, set up before Django is."""

import os
import tempfile
from pathlib import Path


def shipped_defaults(prefix: str, database_url: str = "") -> Path:
    """Point the dashboard at a new scratch folder (SQLite there unless `database_url`,
    the on-disk cache there) with every other setting as shipped; the folder."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "DASHBOARD_DEMO": "1",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url or f"sqlite:///{scratch / 'bench.sqlite3'}",
            "CACHE_DIR": str(scratch / "cache"),
        }
    )
    os.environ.pop("CACHE_URL", None)
    return scratch
