import pytest

from tests.util import SHARED, SHARED_MODELS


@pytest.fixture(scope="session")
def shared_models():
    """../shared/models from the repo root; the tests that need it skip (saying why) without it."""
    if not all((SHARED_MODELS / f"{m}.tflite").exists() for m in SHARED):
        pytest.skip(f"the shared MLPerf Tiny models are not at {SHARED_MODELS}")
    return SHARED_MODELS
