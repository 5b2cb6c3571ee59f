"""Regenerate the fuzz seed models in tests/fuzz/seeds/ (small int8 models, one per op family).

    python -m tests.fuzz.make_seeds

The seeds are committed, so the fuzz run needs no TensorFlow; rerun this after a converter
upgrade. Each model is a few kilobytes: the fuzzer mutates small inputs much faster.
"""

from __future__ import annotations

from pathlib import Path

from tests.util import int8_tflite, keras

SEEDS = Path(__file__).resolve().parent / "seeds"


def _dense():
    k = keras()
    x = k.Input((16,), batch_size=1)
    y = k.layers.Dense(8, activation="relu")(x)
    return k.Model(x, k.layers.Dense(4)(y))


def _conv():
    k = keras()
    x = k.Input((8, 8, 2), batch_size=1)
    y = k.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu6")(x)
    y = k.layers.DepthwiseConv2D(3, padding="same", activation="relu")(y)
    y = k.layers.AveragePooling2D(2)(y)
    y = k.layers.Reshape((16,))(y)
    y = k.layers.Dense(3)(y)
    return k.Model(x, k.layers.Softmax()(y))


def _residual():
    k = keras()
    x = k.Input((6, 6, 3), batch_size=1)
    a = k.layers.Conv2D(3, 1, padding="valid")(x)
    y = k.layers.Add()([a, x])
    y = k.layers.MaxPooling2D(2)(y)
    return k.Model(x, k.layers.Flatten()(y))


MODELS = {"dense": (_dense, [(16,)]), "conv": (_conv, [(8, 8, 2)]),
          "residual": (_residual, [(6, 6, 3)])}


def main() -> None:
    SEEDS.mkdir(exist_ok=True)
    for name, (build, shapes) in MODELS.items():
        data = int8_tflite(build, shapes, seed=0, n_calib=8)
        (SEEDS / f"{name}.tflite").write_bytes(data)
        print(f"{name}.tflite: {len(data)} bytes")


if __name__ == "__main__":
    main()
