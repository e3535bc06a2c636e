"""Reference parameter counts and multiply-adds for the model zoo, from torchvision.

Run with a Python that has torch and torchvision (Debian: /usr/bin/python3 with python3-torch
1.13 and python3-torchvision 0.14):

    /usr/bin/python3 bench/peers/reference_counts.py > reference_counts.json

`params` is sum(p.numel() for p in model.parameters()) (trainable weights; BatchNorm's running
statistics are buffers, not parameters). `macs` counts the multiply-adds of Conv2d and Linear
layers for one image in eval mode, by forward hooks, at the variant's default input.

Variants torchvision does not ship are built here from its parts:
- googlenet: torchvision's GoogLeNet without aux heads, with the paper's 5x5 convolution in
  the third branch of every Inception module (torchvision uses 3x3 there).
- resnet20..resnet110: the CIFAR ResNets of He et al. 2016, section 4.2 (option A shortcuts).
- densenet_bc_100_k12: torchvision's DenseNet with the CIFAR stem (3x3 conv, 2k filters, no
  norm/pool), three blocks of 16 bottleneck layers, growth 12, compression 0.5.
- seresnet50, seresnext50_32x4d: timm is not installed, so the SE modules (1x1 conv C->C/16
  with bias, 1x1 conv C/16->C with bias, per bottleneck) are added to the plain counts by hand;
  the result must equal timm's 28,088,024 and 27,559,896. MACs add the SE 1x1 convolutions.
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as tvm
from torchvision.models.densenet import DenseNet


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def count_macs(model, size):
    total = [0]

    def conv_hook(module, inputs, output):
        kh, kw = module.kernel_size
        total[0] += output.numel() // output.shape[0] * (module.in_channels // module.groups) * kh * kw

    def linear_hook(module, inputs, output):
        total[0] += module.in_features * module.out_features

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in handles:
        h.remove()
    return total[0]


class CifarBasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.pad = planes - inplanes
        self.stride = stride

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x[:, :, :: self.stride, :: self.stride]
        if self.pad:
            shortcut = F.pad(shortcut, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(out + shortcut)


class CifarResNet(nn.Module):
    def __init__(self, n, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, inplanes = [], 16
        for i, planes in enumerate([16, 32, 64]):
            for j in range(n):
                layers.append(CifarBasicBlock(inplanes, planes, 2 if (i > 0 and j == 0) else 1))
                inplanes = planes
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def googlenet_5x5():
    model = tvm.googlenet(weights=None, aux_logits=False, init_weights=False)
    for m in model.modules():
        if type(m).__name__ == "Inception":
            old = m.branch3[1].conv
            m.branch3[1].conv = nn.Conv2d(old.in_channels, old.out_channels, 5, padding=2, bias=False)
    return model


def densenet_bc_100_k12():
    model = DenseNet(growth_rate=12, block_config=(16, 16, 16), num_init_features=24, bn_size=4, num_classes=10)
    model.features.conv0 = nn.Conv2d(3, 24, 3, 1, 1, bias=False)
    model.features.norm0 = nn.Identity()
    model.features.relu0 = nn.Identity()
    model.features.pool0 = nn.Identity()
    return model


def se_extra():
    """Parameters and MACs that timm's SE modules add to a ResNet-50-shaped network."""
    params = macs = 0
    for blocks, channels in zip([3, 4, 6, 3], [256, 512, 1024, 2048]):
        reduced = channels // 16
        params += blocks * (2 * channels * reduced + reduced + channels)
        macs += blocks * 2 * channels * reduced
    return params, macs


def main():
    builders = {
        "alexnet": (tvm.alexnet, 224),
        **{name: (getattr(tvm, name), 224) for name in ["vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"]},
        "googlenet": (googlenet_5x5, 224),
        "inception_v3": (lambda: tvm.inception_v3(weights=None, aux_logits=True, init_weights=False), 299),
        **{name: (getattr(tvm, name), 224) for name in ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d"]},
        **{name: (getattr(tvm, name), 224) for name in ["densenet121", "densenet161", "densenet169", "densenet201"]},
        **{f"resnet{6 * n + 2}": ((lambda n=n: CifarResNet(n)), 32) for n in [3, 5, 7, 9, 18]},
        "densenet_bc_100_k12": (densenet_bc_100_k12, 32),
    }
    results = {}
    for name, (build, size) in builders.items():
        model = build()
        results[name] = {"params": count_params(model), "macs": count_macs(model, size), "input": size}
        print(name, results[name], file=sys.stderr)
    se_params, se_macs = se_extra()
    for name, plain in [("seresnet50", "resnet50"), ("seresnext50_32x4d", "resnext50_32x4d")]:
        results[name] = {"params": results[plain]["params"] + se_params, "macs": results[plain]["macs"] + se_macs, "input": 224}
    assert results["seresnet50"]["params"] == 28_088_024, results["seresnet50"]
    assert results["seresnext50_32x4d"]["params"] == 27_559_896, results["seresnext50_32x4d"]
    json.dump(results, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
