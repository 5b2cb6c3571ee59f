"""The four MLPerf Tiny int8 models: bit-exact with TFLite BUILTIN_REF on 100 random inputs each."""

from __future__ import annotations

import pytest

from tests.util import SHARED, assert_bitexact


@pytest.mark.parametrize("model", SHARED)
def test_shared_model_bitexact(model, shared_models):
    assert_bitexact(shared_models / f"{model}.tflite", n=100, seed=1)


@pytest.mark.parametrize("model", SHARED)
def test_shared_model_per_layer(model, shared_models):
    """Every intermediate tensor equals TFLite's (experimental_preserve_all_tensors)."""
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.verify import verify
    path = shared_models / f"{model}.tflite"
    res = verify(compile_file(path, Options(name="m")), path, n_random=2, seed=7,
                 per_layer=True, log=lambda *_: None)
    assert res.first_bad_layer is None
    assert res.exact
