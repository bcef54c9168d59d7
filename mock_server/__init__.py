"""sendcloud-mock: an offline, stateful fake of Sendcloud's return APIs."""

__version__ = "0.2.0"

from .app import create_app  # noqa: E402
from .config import Settings  # noqa: E402
from .intercept import mock_sendcloud  # noqa: E402
from .testing import SendcloudFake  # noqa: E402

__all__ = ["SendcloudFake", "Settings", "__version__", "create_app", "mock_sendcloud"]
