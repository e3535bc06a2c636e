#!/usr/bin/env python3
"""PyTorch peer of `cvb bench`: trains the same CIFAR ResNet-20 on this CPU and prints images/s.

ResNet-20 as in He et al. 2016, section 4.2 (and the workbench's zoo): 3x3 stem of 16 filters,
three stages of three basic blocks (16/32/64 channels), option A shortcuts (strided subsample +
zero-padded channels), global average pooling, 10 classes. Input 32x32x3, batch 64, SGD with
momentum 0.9, lr 0.01, cross-entropy: the same step the workbench's bench times.

Run with Debian's torch:  /usr/bin/python3 bench/peers/pytorch.py [--steps N] [--warmup N]
Prints one JSON object: images/s with torch.set_num_threads(1) and with all threads.
"""
import argparse
import json
import os
import platform
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ShortcutA(nn.Module):
    """Option A: x[:, :, ::2, ::2] and zero channels on both sides."""

    def __init__(self, extra):
        super().__init__()
        self.before = extra // 2
        self.after = extra - extra // 2

    def forward(self, x):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.before, self.after))


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = ShortcutA(planes - in_planes) if stride != 1 or in_planes != planes else nn.Identity()

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class ResNetCifar(nn.Module):
    def __init__(self, blocks_per_stage=3, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, in_planes = [], 16
        for i, planes in enumerate([16, 32, 64]):
            for j in range(blocks_per_stage):
                layers.append(BasicBlock(in_planes, planes, 2 if i > 0 and j == 0 else 1))
                in_planes = planes
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        y = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


def images_per_sec(threads, steps, warmup, batch=64):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = ResNetCifar()
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 3, 32, 32)
    y = torch.arange(batch) % 10
    times = []
    for i in range(warmup + steps):
        began = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        loss.item()
        if i >= warmup:
            times.append(time.perf_counter() - began)
    return batch / statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    args = parser.parse_args()
    all_threads = os.cpu_count() or 1
    one = images_per_sec(1, args.steps, args.warmup)
    many = images_per_sec(all_threads, args.steps, args.warmup)
    print(json.dumps({
        'peer': 'pytorch',
        'model': 'resnet20',
        'input': [32, 32, 3],
        'batchSize': 64,
        'optimizer': 'sgd momentum 0.9',
        'imagesPerSec': {'oneThread': one, 'allThreads': many},
        'threads': all_threads,
        'timedSteps': args.steps,
        'versions': {'torch': torch.__version__, 'python': platform.python_version()},
        'cpu': platform.processor() or platform.machine(),
    }))


if __name__ == '__main__':
    main()
