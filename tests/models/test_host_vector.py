"""The four MLPerf Tiny int8 models built as benchmarks/host.py builds them (--target host,
-O3 -march=native): bit-exact with TFLite BUILTIN_REF. On x86 CPUs with AVX-VNNI or AVX512-VNNI
this runs the intrinsics paths of tcm_conv_host.c, tcm_depthwise_host.c, tcm_fc_host.c and
tcm_dot_host.h (and AVX2 the vector requantization of tcm_requant_host.h); elsewhere it checks
the vectorized C of the same files. The -O2 builds check their C paths."""

from __future__ import annotations

import pytest

from tests.util import SHARED, assert_bitexact


@pytest.mark.parametrize("model", SHARED)
def test_shared_model_native_bitexact(model, shared_models):
    assert_bitexact(shared_models / f"{model}.tflite", n=30, seed=3,
                    cflags=("-O3", "-march=native"), target="host")


@pytest.mark.parametrize("model", SHARED)
def test_shared_model_host_o2_bitexact(model, shared_models):
    assert_bitexact(shared_models / f"{model}.tflite", n=10, seed=4, target="host")
