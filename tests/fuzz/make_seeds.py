"""Regenerate the fuzz seed models in tests/fuzz/seeds/ (small int8 models, one per op family).

    python -m tests.fuzz.make_seeds [NAME ...]

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


def _resize():
    k = keras()
    x = k.Input((4, 4, 3), batch_size=1)
    y = k.layers.PReLU(shared_axes=[1, 2])(k.layers.Conv2D(4, 1)(x))
    a = k.layers.UpSampling2D(2, interpolation="bilinear")(y)
    b = k.layers.UpSampling2D(2, interpolation="nearest")(y)
    return k.Model(x, k.layers.Maximum()([a, b]))


def _heads():
    k = keras()
    x = k.Input((6, 6, 4))           # dynamic batch: the dilated conv stays SPACE_TO_BATCH_ND...
    y = k.layers.Conv2D(4, 3, dilation_rate=2, padding="same")(x)
    y = k.layers.Reshape((36, 4))(y)
    a, b = k.ops.split(y, 2, axis=2)
    return k.Model(x, k.layers.Minimum()([a, b]))


MODELS = {"dense": (_dense, [(16,)]), "conv": (_conv, [(8, 8, 2)]),
          "residual": (_residual, [(6, 6, 3)]), "resize": (_resize, [(4, 4, 3)]),
          "heads": (_heads, [(6, 6, 4)])}


def main(names=()) -> None:
    """Writes the seeds named (default: all)."""
    SEEDS.mkdir(exist_ok=True)
    for name, (build, shapes) in MODELS.items():
        if names and name not in names:
            continue
        data = int8_tflite(build, shapes, seed=0, n_calib=8)
        (SEEDS / f"{name}.tflite").write_bytes(data)
        print(f"{name}.tflite: {len(data)} bytes")


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])
