"""sendcloud-mock: an offline, stateful fake of Sendcloud's return APIs."""

__version__ = "0.2.0"

from .app import create_app
from .config import Settings
from .intercept import mock_sendcloud
from .testing import SendcloudFake

__all__ = ["SendcloudFake", "Settings", "__version__", "create_app", "mock_sendcloud"]
