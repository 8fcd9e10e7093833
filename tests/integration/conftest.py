"""Cross-app tests reuse the apps' fixtures."""

from tests.retros.conftest import contributors  # noqa: F401,E402 (a fixture)
from tests.slos.conftest import make_slo  # noqa: F401 (a fixture)
