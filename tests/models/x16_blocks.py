"""Two 16x8 models built the way users build them (Keras, then the converter's
EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 scheme): a small audio denoiser
block (a strided convolutional encoder and a TRANSPOSE_CONV decoder with a skip connection over
a spectrogram patch, as in U-Net speech enhancement) and a MobileNetV2 inverted-residual block
with a classifier head. Used by tests/models/test_int16_models.py."""

from __future__ import annotations

from tests.ops._int16 import x16_tflite
from tests.util import keras

DENOISER_INPUT = (16, 16, 1)       # 16 frames x 16 frequency bins, one channel
MOBILENET_INPUT = (12, 12, 8)


def denoiser() -> bytes:
    def build():
        k = keras()
        spec = k.Input(DENOISER_INPUT)
        e1 = k.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(spec)
        e2 = k.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(e1)
        d1 = k.layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu")(e2)
        d1 = k.layers.Add()([d1, e1])
        d2 = k.layers.Conv2DTranspose(1, 3, strides=2, padding="same")(d1)
        return k.Model(spec, k.layers.Subtract()([spec, d2]))     # the estimated clean part
    return x16_tflite(build, [DENOISER_INPUT], seed=3)


def mobilenet_v2_block() -> bytes:
    def build():
        k = keras()
        x = inp = k.Input(MOBILENET_INPUT)
        y = k.layers.Conv2D(48, 1, use_bias=False)(x)
        y = k.layers.BatchNormalization()(y)
        y = k.layers.ReLU(6.0)(y)
        y = k.layers.DepthwiseConv2D(3, padding="same", use_bias=False)(y)
        y = k.layers.BatchNormalization()(y)
        y = k.layers.ReLU(6.0)(y)
        y = k.layers.Conv2D(8, 1, use_bias=False)(y)
        y = k.layers.BatchNormalization()(y)
        x = k.layers.Add()([x, y])
        x = k.layers.GlobalAveragePooling2D()(x)
        return k.Model(inp, k.layers.Dense(10)(x))
    return x16_tflite(build, [MOBILENET_INPUT], seed=4)
