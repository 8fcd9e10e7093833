"""Cross-app tests reuse the apps' fixtures."""

from tests.slos.conftest import make_slo  # noqa: F401 (a fixture)
