"""AVERAGE_POOL_2D and MAX_POOL_2D against TFLite BUILTIN_REF."""

from __future__ import annotations

import pytest

from tests.util import check_keras, keras

# id: (layer, input HWC, pool, strides, padding)
CASES = {
    "avg_k2_s2_valid": ("AveragePooling2D", (8, 8, 4), (2, 2), (2, 2), "valid"),
    "avg_k3_s2_same": ("AveragePooling2D", (9, 7, 5), (3, 3), (2, 2), "same"),
    "avg_k3_s1_same_edges": ("AveragePooling2D", (5, 6, 3), (3, 3), (1, 1), "same"),
    "avg_k25x5_global_kws": ("AveragePooling2D", (25, 5, 64), (25, 5), (25, 5), "valid"),
    "avg_k8_global_ic": ("AveragePooling2D", (8, 8, 64), (8, 8), (8, 8), "valid"),
    "avg_k4x2_s3x1_same": ("AveragePooling2D", (10, 6, 2), (4, 2), (3, 1), "same"),
    "max_k2_s2_valid": ("MaxPooling2D", (8, 8, 4), (2, 2), (2, 2), "valid"),
    "max_k3_s2_same": ("MaxPooling2D", (9, 7, 5), (3, 3), (2, 2), "same"),
    "max_k3x2_s1_same": ("MaxPooling2D", (6, 6, 3), (3, 2), (1, 1), "same"),
}


def _model(layer, shape, pool, strides, padding):
    def build():
        k = keras()
        inp = k.Input(shape)
        # a conv first, so the pool sees a realistic quantized distribution
        x = k.layers.Conv2D(shape[-1], 1, bias_initializer="random_normal")(inp)
        x = getattr(k.layers, layer)(pool, strides=strides, padding=padding)(x)
        return k.Model(inp, x)
    return build


@pytest.mark.parametrize("case", list(CASES))
def test_pool_bitexact(case, tmp_path):
    layer, *spec = CASES[case]
    kind = "AVERAGE_POOL_2D" if layer.startswith("Average") else "MAX_POOL_2D"
    check_keras(_model(layer, *spec), [spec[0]], tmp_path, n=10, seed=len(case),
                expect_kinds=[kind])
