"""Train the accelerometer anomaly model and convert it to a full-integer int8 .tflite.

A vibration monitor looks at windows of 64 samples x 3 axes (x, y, z) from an accelerometer on
a rotating machine. Normal windows: the machine's rotation frequency on each axis, with some
phase, amplitude spread and sensor noise. Faulty windows add one of the classic signatures:
harmonics (misalignment/looseness), periodic impulses (a bearing defect) or an imbalance
(one axis much stronger). The model outputs [p(normal), p(fault)]; the anomaly score is p(fault).

    python train.py   # writes model.tflite, test_windows.npy and test_labels.npy next to this file

Deterministic: fixed seeds, CPU only. Needs tensorflow (pip install -e ".[test]").
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
WINDOW, AXES = 64, 3
RATE = 1000.0  # samples per second: a 64 ms window


def synth(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n windows [n, 64, 3] in g, labels 0 (normal) / 1 (fault), half each."""
    t = np.arange(WINDOW) / RATE
    x = np.empty((n, WINDOW, AXES), np.float32)
    y = np.zeros(n, np.int64)
    for i in range(n):
        f = rng.uniform(40.0, 70.0)                      # rotation frequency, Hz
        amp = rng.uniform(0.2, 0.5, AXES)
        phase = rng.uniform(0, 2 * np.pi, AXES)
        w = amp * np.sin(2 * np.pi * f * t[:, None] + phase)
        w += rng.normal(0.0, 0.05, (WINDOW, AXES))
        if i % 2:
            y[i] = 1
            kind = rng.integers(3)
            if kind == 0:    # harmonics
                for h in (2, 3):
                    w += rng.uniform(0.15, 0.35) * np.sin(2 * np.pi * h * f * t[:, None]
                                                          + rng.uniform(0, 2 * np.pi, AXES))
            elif kind == 1:  # bearing impulses, decaying rings every period
                period = int(RATE / rng.uniform(80.0, 160.0))
                start = rng.integers(period)
                for k in range(start, WINDOW, period):
                    decay = np.exp(-np.arange(WINDOW - k) / 3.0)
                    w[k:, :] += rng.uniform(0.6, 1.0) * decay[:, None] * rng.choice([-1, 1], AXES)
            else:            # imbalance: one axis dominates
                w[:, rng.integers(AXES)] *= rng.uniform(2.5, 4.0)
        x[i] = np.clip(w, -2.0, 2.0)
    return x, y


def build_model():
    import tensorflow as tf
    k = tf.keras
    inp = k.Input((WINDOW, AXES), name="window")
    x = k.layers.Reshape((WINDOW, 1, AXES))(inp)
    x = k.layers.Conv2D(8, (5, 1), strides=(2, 1), padding="same", activation="relu")(x)
    x = k.layers.DepthwiseConv2D((3, 1), padding="same", activation="relu")(x)
    x = k.layers.Conv2D(16, (1, 1), activation="relu")(x)
    x = k.layers.MaxPooling2D((2, 1))(x)
    x = k.layers.Conv2D(16, (3, 1), strides=(2, 1), padding="same", activation="relu")(x)
    x = k.layers.AveragePooling2D((8, 1))(x)
    x = k.layers.Flatten()(x)
    x = k.layers.Dense(16, activation="relu")(x)
    x = k.layers.Dense(2)(x)
    return k.Model(inp, k.layers.Softmax(name="scores")(x))


def main() -> None:
    import tensorflow as tf
    tf.keras.utils.set_random_seed(1234)
    tf.config.experimental.enable_op_determinism()
    rng = np.random.default_rng(1234)
    x, y = synth(6000, rng)
    model = build_model()
    model.compile(optimizer=tf.keras.optimizers.Adam(3e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=12, batch_size=64, validation_split=0.1, verbose=2, shuffle=True)
    xt, yt = synth(1000, np.random.default_rng(99))
    _, acc = model.evaluate(xt, yt, verbose=0)
    print(f"float accuracy on 1000 fresh windows: {acc:.3f}")

    calib = x[:200]
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([calib[i:i + 1]] for i in range(len(calib)))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    tflite = conv.convert()
    (HERE / "model.tflite").write_bytes(tflite)

    it = tf.lite.Interpreter(model_content=tflite)
    it.allocate_tensors()
    ind, outd = it.get_input_details()[0], it.get_output_details()[0]
    s_in, z_in = ind["quantization"]
    s_out, z_out = outd["quantization"]
    correct = 0
    for w, label in zip(xt, yt):
        v = w / np.float32(s_in)                 # TFLite's QUANTIZE: round half away from zero
        q = np.clip(np.sign(v) * np.floor(np.abs(v) + 0.5) + z_in, -128, 127).astype(np.int8)[None]
        it.set_tensor(ind["index"], q)
        it.invoke()
        score = (it.get_tensor(outd["index"])[0, 1].astype(np.float32) - z_out) * s_out
        correct += int((score > 0.5) == bool(label))
    print(f"int8 accuracy on 1000 fresh windows: {correct / len(yt):.3f}")
    np.save(HERE / "test_windows.npy", xt[:8].astype(np.float32))
    np.save(HERE / "test_labels.npy", yt[:8])
    print(f"wrote {HERE / 'model.tflite'} ({len(tflite)} bytes)")


if __name__ == "__main__":
    main()
