"""Small .tflite models written through TFLite's own object API (schema_py_generated.py), for
the stateful ops the TFLite converter does not write from Keras in TensorFlow 2.21: SVDF (no
Keras layer converts to it) and UNIDIRECTIONAL_SEQUENCE_LSTM (Keras 3's LSTM is not fused any
more: the converter writes a WHILE loop and its int8 calibration crashes). The TFLite
interpreter, run on these bytes, stays the reference; only the graph is written here."""

from __future__ import annotations

import numpy as np

from tests.cli.tflite_edit import pack, schema
from tests.util import quantize

_TYPES = {"int8": "INT8", "int16": "INT16", "int32": "INT32", "int64": "INT64",
          "float32": "FLOAT32"}


class ModelBuilder:
    """One subgraph; tensors by name; `op(kind, inputs, outputs, options)`; `bytes()`."""

    def __init__(self):
        s = self.s = schema()
        self.model = s.ModelT()
        self.model.version = 3
        self.model.buffers = [s.BufferT()]
        self.sg = s.SubGraphT()
        self.sg.tensors, self.sg.operators = [], []
        self.model.subgraphs = [self.sg]
        self.model.operatorCodes = []
        self.index: dict[str, int] = {}

    def tensor(self, name: str, shape, dtype: str, scale=None, zero_point=0, data=None,
               variable: bool = False) -> str:
        s = self.s
        t = s.TensorT()
        t.name = name.encode()
        t.shape = np.array(shape, np.int32)
        t.type = getattr(s.TensorType, _TYPES[dtype])
        t.isVariable = variable
        t.buffer = 0
        if data is not None:
            b = s.BufferT()
            b.data = np.ascontiguousarray(np.asarray(data, dtype)).view(np.uint8).reshape(-1)
            self.model.buffers.append(b)
            t.buffer = len(self.model.buffers) - 1
        if scale is not None:
            q = s.QuantizationParametersT()
            q.scale = np.atleast_1d(np.asarray(scale, np.float32))
            q.zeroPoint = np.atleast_1d(np.asarray(zero_point, np.int64))
            t.quantization = q
        self.index[name] = len(self.sg.tensors)
        self.sg.tensors.append(t)
        return name

    def op(self, kind: str, inputs, outputs, options=None, options_type: str | None = None,
           intermediates=(), version: int = 1) -> None:
        s = self.s
        code = getattr(s.BuiltinOperator, kind)
        codes = self.model.operatorCodes
        k = next((i for i, c in enumerate(codes) if c.builtinCode == code), None)
        if k is None:
            c = s.OperatorCodeT()
            c.builtinCode, c.deprecatedBuiltinCode, c.version = code, min(code, 127), version
            codes.append(c)
            k = len(codes) - 1
        o = s.OperatorT()
        o.opcodeIndex = k
        o.inputs = np.array([-1 if t is None else self.index[t] for t in inputs], np.int32)
        o.outputs = np.array([self.index[t] for t in outputs], np.int32)
        if intermediates:
            o.intermediates = np.array([self.index[t] for t in intermediates], np.int32)
        if options is not None:
            o.builtinOptionsType = getattr(s.BuiltinOptions, options_type)
            o.builtinOptions = options
        self.sg.operators.append(o)

    def bytes(self, inputs, outputs) -> bytes:
        self.sg.inputs = np.array([self.index[t] for t in inputs], np.int32)
        self.sg.outputs = np.array([self.index[t] for t in outputs], np.int32)
        return pack(self.model)


def svdf(rng: np.random.Generator, n_input: int = 8, n_filter: int = 6, rank: int = 2,
         memory: int = 4, batch: int = 1, bias: bool = True, in_zp: int = 3, out_zp: int = -5,
         in_scale: float = 0.05, wf_scale: float = 0.01, state_scale: float = 0.004,
         wt_scale: float = 0.0005, out_scale: float = 0.02) -> bytes:
    """int8 SVDF (int16 weights_time and state) as TFLite's integer kernel takes it: input
    [batch, n_input] -> output [batch, n_filter / rank], state [batch, memory * n_filter].
    The scales are the kind the quantizer writes (state symmetric int16, bias at
    state_scale * wt_scale)."""
    m = ModelBuilder()
    s = m.s
    m.tensor("input", (batch, n_input), "int8", in_scale, in_zp)
    m.tensor("weights_feature", (n_filter, n_input), "int8", wf_scale, 0,
             rng.integers(-127, 128, (n_filter, n_input)))
    m.tensor("weights_time", (n_filter, memory), "int16", wt_scale, 0,
             rng.integers(-1023, 1024, (n_filter, memory)))     # 10-bit, as the quantizer
    units = n_filter // rank
    if bias:
        m.tensor("bias", (units,), "int32", np.float32(state_scale) * np.float32(wt_scale), 0,
                 rng.integers(-5000, 5000, units))
    m.tensor("state", (batch, memory * n_filter), "int16", state_scale, 0, variable=True)
    m.tensor("output", (batch, units), "int8", out_scale, out_zp)
    o = s.SVDFOptionsT()
    o.rank = rank
    o.fusedActivationFunction = s.ActivationFunctionType.RELU
    m.op("SVDF", ["input", "weights_feature", "weights_time", "bias" if bias else None,
                  "state"], ["output"], o, "SVDFOptions", version=3)
    return m.bytes(["input"], ["output"])


def keras2():
    """tf_keras (Keras 2): the converter fuses its LSTM into UNIDIRECTIONAL_SEQUENCE_LSTM."""
    import tf_keras  # noqa: PLC0415
    return tf_keras


def keras2_int8(build, input_shape, seed: int = 0, n_calib: int = 24) -> bytes:
    """Full-integer post-training quantization (int8 I/O) of a tf_keras model with a fixed
    batch: `build(keras)` returns the model; representative data uniform in [-1, 1)."""
    k = keras2()
    k.utils.set_random_seed(seed)
    model = build(k)
    rng = np.random.default_rng(seed)

    def rep():
        for _ in range(n_calib):
            yield [rng.uniform(-1, 1, tuple(input_shape)).astype(np.float32)]
    return quantize(model, rep)


def keras_lstm(units: int, steps: int, features: int, sequences: bool = True,
               batch: int = 1, seed: int = 0) -> bytes:
    """A tf_keras LSTM layer alone, converted to int8 (the 8x8_16 integer kernel)."""
    def build(k):
        x = k.Input((steps, features), batch_size=batch)
        return k.Model(x, k.layers.LSTM(units, return_sequences=sequences)(x))
    return keras2_int8(build, (batch, steps, features), seed)


def lstm_variant(data: bytes, rng: np.random.Generator, cifg: bool = False,
                 peephole: bool = False, projection: int | None = None,
                 projection_bias: bool = True, cell_clip: float | None = None,
                 proj_clip: float | None = None, hidden_zp: int | None = None,
                 time_major: bool = False) -> bytes:
    """A converted Keras LSTM changed into the variants TFLite's integer kernel runs and the
    converter does not write from Keras: CIFG (no input gate), peephole (int16 cell-to-gate
    weights), projection to `projection` outputs (int8 weights, int32 bias, the recurrent
    weights and the output/state shapes resized), other clips, a hidden zero point, time-major
    layout (the input and output tensors [time, batch, ...])."""
    from tests.cli.tflite_edit import edit  # noqa: PLC0415

    def change(model):
        s = schema()
        sg = model.subgraphs[0]
        op = next(o for o in sg.operators if model.operatorCodes[o.opcodeIndex].builtinCode
                  == s.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM)
        ins = [int(i) for i in op.inputs]
        cells = int(sg.tensors[ins[4]].shape[0])

        def add(name, shape, dtype, scale, data_):
            t = s.TensorT()
            t.name, t.shape = name.encode(), np.array(shape, np.int32)
            t.type = getattr(s.TensorType, _TYPES[dtype])
            b = s.BufferT()
            b.data = np.ascontiguousarray(np.asarray(data_, dtype)).view(np.uint8).reshape(-1)
            model.buffers.append(b)
            t.buffer = len(model.buffers) - 1
            q = s.QuantizationParametersT()
            q.scale, q.zeroPoint = np.array([scale], np.float32), np.array([0], np.int64)
            t.quantization = q
            sg.tensors.append(t)
            return len(sg.tensors) - 1
        if projection is not None:
            ins[16] = add("projection_weights", (projection, cells), "int8", 0.01,
                          rng.integers(-127, 128, (projection, cells)))
            if projection_bias:
                ins[17] = add("projection_bias", (projection,), "int32", 1e-5,
                              rng.integers(-3000, 3000, projection))
            for k in range(5, 9):
                ins[k] = add(f"recurrent_weights_{k}", (cells, projection), "int8", 0.006,
                             rng.integers(-127, 128, (cells, projection)))
            for k in (ins[18], int(op.outputs[0])):
                shape = np.array(sg.tensors[k].shape)
                shape[-1] = projection
                sg.tensors[k].shape = shape.astype(np.int32)
        if peephole:
            for k in (9, 10, 11):
                ins[k] = add(f"cell_to_gate_{k}", (cells,), "int16", 0.0004,
                             rng.integers(-20000, 20000, cells))
        if cifg:
            ins[1] = ins[5] = ins[9] = ins[12] = -1
        op.inputs = np.array(ins, np.int32)
        if cell_clip is not None:
            op.builtinOptions.cellClip = cell_clip
        if proj_clip is not None:
            op.builtinOptions.projClip = proj_clip
        if time_major:
            op.builtinOptions.timeMajor = True
            for k in (ins[0], int(op.outputs[0])):
                shape = np.array(sg.tensors[k].shape)
                sg.tensors[k].shape = shape[[1, 0, 2]].astype(np.int32)
        if hidden_zp is not None:
            sg.tensors[int(op.intermediates[4])].quantization.zeroPoint = \
                np.array([hidden_zp], np.int64)
    return edit(data, change)


def svdf_kws(rng: np.random.Generator, features: int = 40, filters: int = 32,
             memory: int = 8, labels: int = 4) -> bytes:
    """A streaming SVDF keyword spotter (one feature frame per call, as the streaming KWS
    models run): SVDF (rank 1) -> SVDF (rank 2) -> FULLY_CONNECTED -> SOFTMAX, int8 with
    int16 SVDF state; quantization of the kind the quantizer writes."""
    m = ModelBuilder()
    s = m.s
    m.tensor("frame", (1, features), "int8", 0.05, -3)
    prev, prev_scale, width = "frame", 0.05, features
    for k, (rank, out_scale) in enumerate(((1, 0.06), (2, 0.05))):
        units = filters // rank
        m.tensor(f"svdf{k}_wf", (filters, width), "int8", 0.01, 0,
                 rng.integers(-127, 128, (filters, width)))
        m.tensor(f"svdf{k}_wt", (filters, memory), "int16", 0.0006, 0,
                 rng.integers(-1023, 1024, (filters, memory)))
        m.tensor(f"svdf{k}_b", (units,), "int32", np.float32(0.004) * np.float32(0.0006), 0,
                 rng.integers(-4000, 4000, units))
        m.tensor(f"svdf{k}_state", (1, memory * filters), "int16", 0.004, 0, variable=True)
        m.tensor(f"svdf{k}", (1, units), "int8", out_scale, -20)
        o = s.SVDFOptionsT()
        o.rank = rank
        o.fusedActivationFunction = s.ActivationFunctionType.RELU
        m.op("SVDF", [prev, f"svdf{k}_wf", f"svdf{k}_wt", f"svdf{k}_b", f"svdf{k}_state"],
             [f"svdf{k}"], o, "SVDFOptions", version=3)
        prev, prev_scale, width = f"svdf{k}", out_scale, units
    m.tensor("fc_w", (labels, width), "int8", 0.02, 0, rng.integers(-127, 128, (labels, width)))
    m.tensor("fc_b", (labels,), "int32", np.float32(prev_scale) * np.float32(0.02), 0,
             rng.integers(-2000, 2000, labels))
    m.tensor("logits", (1, labels), "int8", 0.1, 5)
    fc = s.FullyConnectedOptionsT()
    m.op("FULLY_CONNECTED", [prev, "fc_w", "fc_b"], ["logits"], fc, "FullyConnectedOptions",
         version=4)
    m.tensor("probabilities", (1, labels), "int8", 1.0 / 256, -128)
    sm = s.SoftmaxOptionsT()
    sm.beta = 1.0
    m.op("SOFTMAX", ["logits"], ["probabilities"], sm, "SoftmaxOptions", version=2)
    return m.bytes(["frame"], ["probabilities"])
