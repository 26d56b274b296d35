"""vtexbridge: the middleware between a retailer's back office and VTEX."""

from vtexbridge.config import Settings, load_settings
from vtexbridge.errors import ConfigError, RecordError, VtexbridgeError

__version__ = "0.1.0"

__all__ = ["ConfigError", "RecordError", "Settings", "VtexbridgeError", "__version__", "load_settings"]
