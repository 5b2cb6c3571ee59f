"""tinycc-ml: compile quantized int8 neural networks (.tflite) into standalone C99."""

__version__ = "0.1.0"
