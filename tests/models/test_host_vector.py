"""The four MLPerf Tiny int8 models built as benchmarks/host.py builds them (-O3 -march=native):
bit-exact with TFLite BUILTIN_REF. On x86 CPUs with AVX-VNNI or AVX512-VNNI this runs the
intrinsics paths of tcm_conv.c, tcm_depthwise.c and tcm_dot.h (the -O2 builds of the other
tests run their portable C99 paths); elsewhere it checks the vectorized portable build."""

from __future__ import annotations

import pytest

from tests.util import SHARED, assert_bitexact


@pytest.mark.parametrize("model", SHARED)
def test_shared_model_native_bitexact(model, shared_models):
    assert_bitexact(shared_models / f"{model}.tflite", n=30, seed=3,
                    cflags=("-O3", "-march=native"))
