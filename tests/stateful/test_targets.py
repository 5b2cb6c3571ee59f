"""The stateful kernels on Cortex-M4 (DSP) and Cortex-M55 (Helium) under QEMU: an LSTM keyword
spotter (Keras LSTM converted to the 8x8_16 integer kernel), an SVDF streaming keyword spotter
and an LSTM with CIFG, peephole and projection, each run as one sequence of a few calls
without reset on the core and compared with BUILTIN_REF at every call."""

from __future__ import annotations

import numpy as np
import pytest

from tests.stateful import _build
from tests.util import write_model
from tinycc_ml.compiler import Options, compile_file
from tinycc_ml.verify import verify


def _models():
    def kws(k):
        x = k.Input((49, 10), batch_size=1)
        return k.Model(x, k.layers.Dense(12, activation="softmax")(k.layers.LSTM(16)(x)))
    lstm = _build.keras_lstm(6, 5, 4)
    return {"lstm_kws": _build.keras2_int8(kws, (1, 49, 10)),
            "svdf_kws": _build.svdf_kws(np.random.default_rng(5)),
            "lstm_variants": _build.lstm_variant(lstm, np.random.default_rng(6), cifg=True,
                                                 peephole=True, projection=4, hidden_zp=2)}


@pytest.fixture(scope="module")
def models():
    return _models()


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m55"])
@pytest.mark.parametrize("name", ["lstm_kws", "svdf_kws", "lstm_variants"])
def test_stateful_on_qemu(models, tmp_path, name, target):
    path = write_model(models[name], tmp_path, f"{name}.tflite")
    compiled = compile_file(path, Options(name="m", target=target))
    assert compiled.plan.state_bytes > 0
    lines = []
    res = verify(compiled, path, n_random=3, target=target, log=lines.append)
    assert res.exact and res.runs == 3, "\n".join(lines)
