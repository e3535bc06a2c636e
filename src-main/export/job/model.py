"""The workbench's network as a PyTorch module, built from the layer graph in job.json.

The graph is the workbench model's own topology (the Keras-style JSON TF.js saves with every
checkpoint), so every family the workbench builds (ResNet/ResNeXt/SE-ResNet with the CIFAR
option-A shortcuts, VGG with and without batch norm, DenseNet, AlexNet, GoogLeNet, Inception v3)
is built here by one interpreter, with the same layer names, the same switches already applied
and the same trainable parameter count (checked by `assert_parameter_count`).

TF's 'same' padding is asymmetric at stride 2 (the extra row goes at the bottom), unlike
PyTorch's symmetric `padding=`; the layers below pad as TF does, so a checkpoint converted either
way gives the same logits. Tensors are NCHW here; the converters move kernels between PyTorch's
OIHW and the workbench's HWIO, transpose Dense kernels, and map batch-norm running statistics.

Usage as a script: `python model.py [job.json]` builds the network and prints its trainable
parameter count (it must equal `cvb inspect`'s).
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LAYOUT_VERSION = 1


# ---- padding as TF computes it ------------------------------------------------------------

def _same_padding(size, kernel, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _pad_same(x, kernel, stride, value=0.0):
    top, bottom = _same_padding(x.shape[2], kernel[0], stride[0])
    left, right = _same_padding(x.shape[3], kernel[1], stride[1])
    if top == bottom == left == right == 0:
        return x
    return F.pad(x, (left, right, top, bottom), value=value)


def _pair(value):
    return tuple(value) if isinstance(value, (list, tuple)) else (value, value)


# ---- initializers (Keras names and semantics) ---------------------------------------------

def _fans(shape):
    """Keras fans of a PyTorch weight: conv [out, in/groups, kh, kw], dense [out, in]."""
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _initialize(tensor, spec):
    if not spec:
        return
    name = spec.get("class_name")
    config = spec.get("config", {})
    scaled = {
        "GlorotUniform": (1.0, "fan_avg", "uniform"),
        "GlorotNormal": (1.0, "fan_avg", "truncated_normal"),
        "HeNormal": (2.0, "fan_in", "truncated_normal"),
        "HeUniform": (2.0, "fan_in", "uniform"),
        "LeCunNormal": (1.0, "fan_in", "truncated_normal"),
        "LeCunUniform": (1.0, "fan_in", "uniform"),
    }
    with torch.no_grad():
        if name == "Zeros":
            tensor.zero_()
        elif name == "Ones":
            tensor.fill_(1.0)
        elif name == "Constant":
            tensor.fill_(float(config.get("value", 0.0)))
        elif name == "RandomNormal":
            tensor.normal_(config.get("mean", 0.0), config.get("stddev", 0.05))
        elif name == "TruncatedNormal":
            nn.init.trunc_normal_(tensor, config.get("mean", 0.0), config.get("stddev", 0.05),
                                  -2 * config.get("stddev", 0.05), 2 * config.get("stddev", 0.05))
        elif name == "RandomUniform":
            tensor.uniform_(config.get("minval", -0.05), config.get("maxval", 0.05))
        elif name in scaled or name == "VarianceScaling":
            scale, mode, distribution = scaled.get(name) or (
                config.get("scale", 1.0), config.get("mode", "fan_in"), config.get("distribution", "normal"))
            fan_in, fan_out = _fans(tensor.shape)
            n = {"fan_in": fan_in, "fan_out": fan_out}.get(mode, (fan_in + fan_out) / 2)
            scale /= max(1.0, n)
            if distribution == "uniform":
                limit = math.sqrt(3.0 * scale)
                tensor.uniform_(-limit, limit)
            else:
                # TF.js's 'normal' is a normal truncated at two standard deviations, rescaled.
                std = math.sqrt(scale) / 0.87962566103423978
                nn.init.trunc_normal_(tensor, 0.0, std, -2 * std, 2 * std)
        else:
            print(f"model.py: initializer {name} is not known here; PyTorch's default is kept", file=sys.stderr)


# ---- layers ---------------------------------------------------------------------------------

class Conv2d(nn.Conv2d):
    """Conv2D and GroupedConv2D with TF's 'same'/'valid' padding."""

    def __init__(self, in_channels, config):
        kernel = _pair(config["kernel_size"])
        stride = _pair(config.get("strides", 1))
        super().__init__(in_channels, config["filters"], kernel, stride, padding=0,
                         groups=config.get("groups", 1), bias=config.get("use_bias", True))
        self.same = config.get("padding", "valid") == "same"
        self.activation = config.get("activation", "linear")
        _initialize(self.weight, config.get("kernel_initializer"))
        if self.bias is not None:
            _initialize(self.bias, config.get("bias_initializer"))

    def forward(self, x):
        if self.same:
            x = _pad_same(x, self.kernel_size, self.stride)
        return _activate(super().forward(x), self.activation)


class Dense(nn.Linear):
    def __init__(self, in_features, config):
        super().__init__(in_features, config["units"], bias=config.get("use_bias", True))
        self.activation = config.get("activation", "linear")
        _initialize(self.weight, config.get("kernel_initializer"))
        if self.bias is not None:
            _initialize(self.bias, config.get("bias_initializer"))

    def forward(self, x):
        return _activate(super().forward(x), self.activation)


class BatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNormalization over the channel axis of NCHW or NC tensors (TF momentum m is PyTorch's 1 − m)."""

    def __init__(self, channels, config):
        super().__init__(channels, eps=config.get("epsilon", 1e-3), momentum=1.0 - config.get("momentum", 0.99),
                         affine=config.get("scale", True) and config.get("center", True))

    def _check_input_dim(self, x):
        if x.dim() not in (2, 4):
            raise ValueError(f"batch norm expects NC or NCHW input, got {x.dim()} dimensions")


class Pool2d(nn.Module):
    def __init__(self, config, kind):
        super().__init__()
        self.kernel = _pair(config["pool_size"])
        self.stride = _pair(config.get("strides") or config["pool_size"])
        self.same = config.get("padding", "valid") == "same"
        self.kind = kind

    def forward(self, x):
        if self.kind == "max":
            if self.same:
                x = _pad_same(x, self.kernel, self.stride, value=float("-inf"))
            return F.max_pool2d(x, self.kernel, self.stride)
        if not self.same:
            return F.avg_pool2d(x, self.kernel, self.stride)
        # TF averages over the pixels inside the image only: divide by each window's real count.
        ones = torch.ones_like(x[:1, :1])
        total = F.avg_pool2d(_pad_same(x, self.kernel, self.stride), self.kernel, self.stride)
        count = F.avg_pool2d(_pad_same(ones, self.kernel, self.stride), self.kernel, self.stride)
        return total / count


class LocalResponseNorm(nn.Module):
    """TF's local response normalization: x / (bias + alpha · Σ x² over ±depth_radius channels)^beta."""

    def __init__(self, config):
        super().__init__()
        self.radius = int(config["depthRadius"])
        self.bias = float(config["bias"])
        self.alpha = float(config["alpha"])
        self.beta = float(config["beta"])

    def forward(self, x):
        squares = F.pad((x * x).unsqueeze(1), (0, 0, 0, 0, self.radius, self.radius)).squeeze(1)
        window = 2 * self.radius + 1
        summed = F.avg_pool3d(squares.unsqueeze(1), (window, 1, 1), stride=1).squeeze(1) * window
        return x / (self.bias + self.alpha * summed) ** self.beta


def _activate(x, kind):
    if kind in (None, "linear"):
        return x
    if kind == "relu":
        return F.relu(x)
    if kind == "sigmoid":
        return torch.sigmoid(x)
    if kind == "elu":
        return F.elu(x)
    if kind == "tanh":
        return torch.tanh(x)
    if kind == "softmax":
        return F.softmax(x, dim=1)
    raise ValueError(f"activation '{kind}' is not supported by the exported model")


def _nhwc_view(x):
    return x.permute(0, 2, 3, 1) if x.dim() == 4 else x


def _nchw_view(x):
    return x.permute(0, 3, 1, 2) if x.dim() == 4 else x


# ---- the network ----------------------------------------------------------------------------

WEIGHT_LAYERS = {"Conv2D", "GroupedConv2D", "Dense", "BatchNormalization"}
STATELESS = {"InputLayer", "Activation", "LeakyReLU", "Add", "Multiply", "Concatenate", "MaxPooling2D",
             "AveragePooling2D", "GlobalAveragePooling2D", "Flatten", "Dropout", "Reshape", "ChannelPad",
             "ZeroPadding2D", "LocalResponseNormalization"}


class WorkbenchNet(nn.Module):
    """Runs the workbench graph layer by layer; returns the logits, or (logits, aux1, ...) with aux heads."""

    def __init__(self, topology):
        super().__init__()
        graph = topology["config"] if "config" in topology else topology
        self.order = []
        self.inputs = {}
        self.configs = {}
        self.kinds = {}
        self.layers = nn.ModuleDict()
        shapes = {}
        for layer in graph["layers"]:
            kind, name, config = layer["class_name"], layer["name"], layer["config"]
            if kind not in WEIGHT_LAYERS | STATELESS:
                raise ValueError(f"layer '{name}' is a {kind}, which the exported model cannot build")
            sources = [node[0] for node in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            self.order.append(name)
            self.inputs[name] = sources
            self.configs[name] = config
            self.kinds[name] = kind
            shapes[name] = self._build(name, kind, config, [shapes[s] for s in sources])
        self.outputs = [entry[0] for entry in graph["output_layers"]]
        self.input_name = graph["input_layers"][0][0]
        self.input_shape = tuple(shapes[self.input_name])

    def _build(self, name, kind, config, shapes):
        """Creates the layer's module and returns its output shape (NHWC, no batch axis)."""
        shape = shapes[0] if shapes else None
        if kind == "InputLayer":
            return list(config["batch_input_shape"][1:])
        if kind in ("Conv2D", "GroupedConv2D"):
            self.layers[name] = Conv2d(shape[-1], config)
            kh, kw = _pair(config["kernel_size"])
            sh, sw = _pair(config.get("strides", 1))
            same = config.get("padding", "valid") == "same"
            size = [-(-shape[0] // sh) if same else -(-(shape[0] - kh + 1) // sh),
                    -(-shape[1] // sw) if same else -(-(shape[1] - kw + 1) // sw)]
            return size + [config["filters"]]
        if kind == "Dense":
            self.layers[name] = Dense(shape[-1], config)
            return [config["units"]]
        if kind == "BatchNormalization":
            self.layers[name] = BatchNorm(shape[-1], config)
            return shape
        if kind in ("MaxPooling2D", "AveragePooling2D"):
            self.layers[name] = Pool2d(config, "max" if kind == "MaxPooling2D" else "avg")
            (kh, kw), (sh, sw) = _pair(config["pool_size"]), _pair(config.get("strides") or config["pool_size"])
            same = config.get("padding", "valid") == "same"
            return [-(-shape[0] // sh) if same else -(-(shape[0] - kh + 1) // sh),
                    -(-shape[1] // sw) if same else -(-(shape[1] - kw + 1) // sw), shape[2]]
        if kind == "LocalResponseNormalization":
            self.layers[name] = LocalResponseNorm(config)
            return shape
        if kind == "Dropout":
            self.layers[name] = nn.Dropout(config["rate"])
            return shape
        if kind == "GlobalAveragePooling2D":
            return [shape[-1]]
        if kind == "Flatten":
            return [int(np.prod(shape))]
        if kind == "Reshape":
            return list(config["target_shape"])
        if kind == "Concatenate":
            return shape[:-1] + [sum(s[-1] for s in shapes)]
        if kind in ("Add", "Multiply"):
            return [max(dims) for dims in zip(*shapes)]
        if kind == "ChannelPad":
            return shape[:-1] + [shape[-1] + config["before"] + config["after"]]
        if kind == "ZeroPadding2D":
            (top, bottom), (left, right) = config["padding"]
            return [shape[0] + top + bottom, shape[1] + left + right, shape[2]]
        return shape

    def forward(self, x):
        values = {}
        for name in self.order:
            kind, config = self.kinds[name], self.configs[name]
            args = [values[s] for s in self.inputs[name]]
            if kind == "InputLayer":
                y = x
            elif name in self.layers:
                y = self.layers[name](args[0])
            elif kind == "Activation":
                y = _activate(args[0], config["activation"])
            elif kind == "LeakyReLU":
                y = F.leaky_relu(args[0], config.get("alpha", 0.3))
            elif kind == "Add":
                y = args[0]
                for other in args[1:]:
                    y = y + other
            elif kind == "Multiply":
                y = args[0]
                for other in args[1:]:
                    y = y * other
            elif kind == "Concatenate":
                y = torch.cat(args, dim=1)
            elif kind == "GlobalAveragePooling2D":
                y = args[0].mean(dim=(2, 3))
            elif kind == "Flatten":
                # Flattened in the workbench's channels-last order, so Dense kernels map unchanged.
                y = _nhwc_view(args[0]).reshape(args[0].shape[0], -1)
            elif kind == "Reshape":
                y = _nchw_view(_nhwc_view(args[0]).reshape(args[0].shape[0], *config["target_shape"]))
            elif kind == "ChannelPad":
                y = F.pad(args[0], (0, 0, 0, 0, config["before"], config["after"]))
            elif kind == "ZeroPadding2D":
                (top, bottom), (left, right) = config["padding"]
                y = F.pad(args[0], (left, right, top, bottom))
            else:
                raise ValueError(f"layer '{name}' ({kind}) has no forward rule")
            values[name] = y
        outputs = [values[name] for name in self.outputs]
        return outputs[0] if len(outputs) == 1 else tuple(outputs)


def trainable_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def assert_parameter_count(model, expected, model_name):
    counted = trainable_parameters(model)
    if counted != expected:
        raise AssertionError(
            f"{model_name}: the PyTorch model has {counted} trainable parameters but the workbench's has {expected}")


def build_model(job):
    """The job's network with its trainable parameter count checked against the workbench's."""
    model = WorkbenchNet(job["model"]["topology"])
    assert_parameter_count(model, job["model"]["trainableParameters"], job["model"]["name"])
    return model


# ---- weights between PyTorch and the workbench's checkpoint format --------------------------

# Workbench weight (layer kind, parameter) → PyTorch attribute of the layer's module.
_ATTRIBUTES = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias",
               "moving_mean": "running_mean", "moving_variance": "running_var"}


def _to_workbench(kind, param, tensor):
    array = tensor.detach().to("cpu", torch.float32)
    if param == "kernel" and kind == "Dense":
        array = array.t()
    elif param == "kernel":
        array = array.permute(2, 3, 1, 0)  # OIHW → HWIO
    return array.contiguous().numpy()


def _from_workbench(kind, param, array):
    tensor = torch.from_numpy(np.ascontiguousarray(array))
    if param == "kernel" and kind == "Dense":
        return tensor.t()
    if param == "kernel":
        return tensor.permute(3, 2, 0, 1)  # HWIO → OIHW
    return tensor


def _module_tensor(model, spec):
    module = model.layers[spec["layer"]]
    attribute = _ATTRIBUTES.get(spec["param"])
    if attribute is None or getattr(module, attribute, None) is None:
        raise KeyError(f"workbench weight {spec['name']} has no PyTorch counterpart in layer {spec['layer']}")
    return getattr(module, attribute)


def workbench_weights(model, job):
    """The model's weights in the workbench's order, shapes and layouts, as float32 arrays."""
    arrays = []
    for spec in job["model"]["weights"]:
        array = _to_workbench(model.kinds[spec["layer"]], spec["param"], _module_tensor(model, spec))
        if list(array.shape) != list(spec["shape"]):
            raise ValueError(f"{spec['name']}: converted shape {list(array.shape)} differs from the workbench's {spec['shape']}")
        arrays.append(array)
    return arrays


def load_workbench_weights(model, job, weights_file):
    """Fills the model from a workbench checkpoint's weights.bin (little-endian float32, manifest order)."""
    data = np.fromfile(weights_file, dtype="<f4")
    offset = 0
    with torch.no_grad():
        for spec in job["model"]["weights"]:
            size = int(np.prod(spec["shape"]))
            array = data[offset:offset + size].reshape(spec["shape"])
            offset += size
            _module_tensor(model, spec).copy_(_from_workbench(model.kinds[spec["layer"]], spec["param"], array))
    if offset != data.size:
        raise ValueError(f"{weights_file}: holds {data.size} values but the model has {offset}")


def _write_atomic(path, data):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def save_workbench_checkpoint(model, job, target, state, preprocessing):
    """Writes a workbench checkpoint folder (model.json, weights.bin, state.json, preprocessing.json,
    an empty optimizer) whole or not at all: built in a temporary folder, then renamed into place."""
    parent = os.path.dirname(os.path.abspath(target))
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".{os.path.basename(target)}.tmp-{os.getpid()}")
    os.makedirs(tmp, exist_ok=True)
    arrays = workbench_weights(model, job)
    _write_atomic(os.path.join(tmp, "weights.bin"), b"".join(a.astype("<f4").tobytes() for a in arrays))
    manifest = [{"name": s["name"], "shape": s["shape"], "dtype": "float32"} for s in job["model"]["weights"]]
    model_json = {
        "format": "layers-model",
        "generatedBy": f"PyTorch {torch.__version__} (cvb pytorch export)",
        "convertedBy": "cvb pytorch export",
        "modelTopology": job["model"]["topology"],
        "userDefinedMetadata": job["model"].get("metadata"),
        "weightsManifest": [{"paths": ["weights.bin"], "weights": manifest}],
    }
    files = {
        "model.json": json.dumps(model_json),
        "state.json": json.dumps(state, indent=2),
        "preprocessing.json": json.dumps(preprocessing, indent=2) + "\n",
        # Resuming needs the optimizer's slots; a PyTorch run is resumed with PyTorch, so none are written.
        "optimizer.json": json.dumps({"className": "pytorch", "config": {}, "weights": []}),
    }
    for name, text in files.items():
        _write_atomic(os.path.join(tmp, name), text.encode("utf-8"))
    _write_atomic(os.path.join(tmp, "optimizer.bin"), b"")
    old = f"{target}.old-{os.getpid()}"
    if os.path.exists(target):
        os.replace(target, old)
    os.replace(tmp, target)
    if os.path.exists(old):
        import shutil
        shutil.rmtree(old, ignore_errors=True)


def read_job(path):
    with open(path, encoding="utf-8") as handle:
        job = json.load(handle)
    if job.get("format") != "cvb-pytorch-job":
        raise ValueError(f"{path}: not a workbench job file (format is {job.get('format')!r})")
    if job.get("layoutVersion") != LAYOUT_VERSION:
        raise ValueError(f"{path}: layout version {job.get('layoutVersion')} (this model.py reads {LAYOUT_VERSION})")
    return job


def main():
    parser = argparse.ArgumentParser(description="Builds the job's network and prints its trainable parameter count.")
    parser.add_argument("job", nargs="?", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "job.json"))
    job = read_job(parser.parse_args().job)
    model = build_model(job)
    print(json.dumps({"model": job["model"]["name"], "layers": len(model.order),
                      "trainableParameters": trainable_parameters(model)}))


if __name__ == "__main__":
    main()
