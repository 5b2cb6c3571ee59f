"""Shared by the benchmark scripts: where the models are, and table printing."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED_MODELS = REPO / "models" / "mlperf_tiny"   # the four MLPerf Tiny models, shipped
MODELS = ["kws_ds_cnn_int8", "vww_mobilenet_int8", "ic_resnet8_int8", "ad_autoencoder_int8"]


def model_path(name: str) -> Path:
    path = SHARED_MODELS / f"{name}.tflite"
    if not path.exists():
        raise SystemExit(f"{path} not found: the benchmarks need models/mlperf_tiny (part of the repository)")
    return path


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).rjust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep] + [line(r) for r in rows])
