"""DEPTH_TO_SPACE and SPACE_TO_DEPTH int8, NHWC (TFLite builtins of those names;
tf.nn.depth_to_space / space_to_depth, the pixel shuffle of super-resolution models).

Numerics: none -- each output element is one input element, bytes unchanged (TensorFlow 2.21
tensorflow/lite/kernels/depth_to_space.cc, space_to_depth.cc -> reference_ops::DepthToSpace /
SpaceToDepth; Prepare: rank 4, `block_size` >= 1 dividing the depth by block_size^2, resp. the
height and width by block_size). DEPTH_TO_SPACE: output (b, y, x, c) is input (b, y / s, x / s,
((y % s) * s + x % s) * C + c) for C output channels; SPACE_TO_DEPTH is its inverse. Both are
an affine view of the input (ops/layout.py: a TRANSPOSE of the input seen as rank 6, in the
output's order), so the copy
is runtime_c/tcm_copy.c tcm_copy_view_s8.
"""

from __future__ import annotations

from .base import register
from .layout import _View, _view_signature


class _SpaceDepth(_View):
    max_rank = 4
    signature = _view_signature(0)

    def block(self, op, idx) -> int:
        s = int(op.attrs.get("block_size", 0))
        if idx.ndim != 4 or s < 1:
            raise ValueError(f"needs an NHWC input and block_size >= 1 (has rank {idx.ndim}, "
                             f"block_size {s})")
        return s


@register("DEPTH_TO_SPACE")
class DepthToSpace(_SpaceDepth):
    def positions(self, op, g, idx):
        s = self.block(op, idx)
        n, h, w, c = idx.shape
        if c % (s * s):
            raise ValueError(f"depth {c} is not a multiple of block_size^2 = {s * s}")
        return idx.reshape(n, h, w, s, s, c // (s * s)).transpose(0, 1, 3, 2, 4, 5)

    def output_dims(self, shape):
        n, h, sy, w, sx, c = shape
        return (n, h * sy, w * sx, c)


@register("SPACE_TO_DEPTH")
class SpaceToDepth(_SpaceDepth):
    def positions(self, op, g, idx):
        s = self.block(op, idx)
        n, h, w, c = idx.shape
        if h % s or w % s:
            raise ValueError(f"height {h} and width {w} are not multiples of block_size {s}")
        return idx.reshape(n, h // s, s, w // s, s, c).transpose(0, 1, 3, 2, 4, 5)

    def output_dims(self, shape):
        n, h, w, sy, sx, c = shape
        return (n, h, w, sy * sx * c)
