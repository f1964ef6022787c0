"""The service: REST (FastAPI) and CDS Hooks 2.0 in the Da Vinci CRD style.

from preclaim.api import create_app, load_settings
app = create_app(load_settings())
"""

from preclaim.api.app import create_app
from preclaim.api.settings import ServiceSettings, load_settings

__all__ = ["ServiceSettings", "create_app", "load_settings"]
