import pytest

from tests.util import SHARED, SHARED_MODELS


@pytest.fixture(scope="session")
def shared_models():
    """The four MLPerf Tiny models, shipped in models/mlperf_tiny (never skipped: they are part
    of the repository, so a missing one is a failure)."""
    missing = [m for m in SHARED if not (SHARED_MODELS / f"{m}.tflite").exists()]
    if missing:
        pytest.fail(f"models missing from {SHARED_MODELS}: {', '.join(missing)}")
    return SHARED_MODELS
