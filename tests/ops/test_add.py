"""ADD against TFLite BUILTIN_REF: residual adds and broadcasting, with fused activations."""

from __future__ import annotations

import pytest

from tests.util import check_keras, keras


def _residual(shape, act):
    def build():
        k = keras()
        inp = k.Input(shape)
        a = k.layers.Conv2D(shape[-1], 1, bias_initializer="random_normal")(inp)
        b = k.layers.Conv2D(shape[-1], 3, padding="same")(inp)
        x = k.layers.Add()([a, b])
        if act:
            x = k.layers.ReLU()(x)
        return k.Model(inp, x)
    return build


@pytest.mark.parametrize("shape,act", [((8, 8, 4), True), ((5, 7, 3), False), ((32, 32, 16), True)],
                         ids=["add_8x8x4_relu", "add_5x7x3", "add_32x32x16_relu_ic"])
def test_add_bitexact(shape, act, tmp_path):
    check_keras(_residual(shape, act), [shape], tmp_path, n=10, expect_kinds=["ADD"])


def test_add_two_inputs_different_scales(tmp_path):
    def build():
        k = keras()
        a, b = k.Input((6, 5, 3)), k.Input((6, 5, 3))
        return k.Model([a, b], k.layers.Add()([a, k.layers.Conv2D(3, 1)(b)]))
    check_keras(build, [(6, 5, 3), (6, 5, 3)], tmp_path, n=10, expect_kinds=["ADD"])


@pytest.mark.parametrize("other", [(1, 1, 4), (4,), (6, 1, 4), (1, 5, 1)],
                         ids=["bcast_1x1xC", "bcast_C", "bcast_Hx1xC", "bcast_1xWx1"])
def test_add_broadcast(other, tmp_path):
    def build():
        k = keras()
        a, b = k.Input((6, 5, 4)), k.Input(other)
        return k.Model([a, b], k.layers.Add()([k.layers.Conv2D(4, 1)(a), b]))
    check_keras(build, [(6, 5, 4), other], tmp_path, n=10, expect_kinds=["ADD"])
