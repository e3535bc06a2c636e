"""Trains the workbench run described in job.json with PyTorch DistributedDataParallel.

Launch with torchrun (see README.md): one process per GPU with NCCL, or per CPU worker with gloo.
The recipe is the workbench's: the same network (model.py), data split and data order (the same
seeded generator), optimizer, learning-rate schedule and warm-up, weight-decay rules, label
smoothing, auxiliary-head loss weights, gradient clipping, early stopping and best-checkpoint
choice. The batch size is the global one: each of the N processes takes 1/N of every batch.

Rank 0 writes a workbench run folder (run.json, metrics.jsonl, checkpoints/last and best in the
workbench's checkpoint format) that `cvb runs import FOLDER` brings back.
"""
import argparse
import gzip
import json
import math
import os
import secrets
import socket
import sys
import time
from datetime import datetime, timezone

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model as workbench_model  # noqa: E402

MASK = 0xFFFFFFFF


# ---- the workbench's seeded generator (mulberry32), so splits and data order are the same ----

class Mulberry32:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x6D2B79F5) & MASK
        t = self.state
        t = ((t ^ (t >> 15)) * (t | 1)) & MASK
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & MASK)) & MASK
        return ((t ^ (t >> 14)) & MASK) / 4294967296


def shuffle_in_place(items, random):
    for i in range(len(items) - 1, 0, -1):
        j = int(random.next() * (i + 1))
        items[i], items[j] = items[j], items[i]


def stream_seeds(seed):
    return {"split": seed, "order": (seed + 1) & MASK, "augment": (seed ^ 0x2545F491) & MASK}


def plan_training(config, train_labels, val_count):
    """The workbench's planTraining: the dataset's own val split, or a stratified seeded hold-out."""
    batch = config["batchSize"]
    if val_count > 0:
        train = list(range(len(train_labels)))
        validation = list(range(val_count))
        split = "val"
    else:
        random = Mulberry32(stream_seeds(config["seed"])["split"])
        by_class = {}
        for index, label in enumerate(train_labels):
            by_class.setdefault(int(label), []).append(index)
        train, validation = [], []
        for label in sorted(by_class):
            members = by_class[label]
            shuffle_in_place(members, random)
            held = _round_half_up(len(members) * config["validationFraction"])
            validation += members[:held]
            train += members[held:]
        validation.sort()
        split = "train"
    steps_per_epoch = -(-len(train) // batch)
    total = steps_per_epoch * config["epochs"]
    if config.get("maxSteps"):
        total = min(config["maxSteps"], total)
    return {"train": train, "validation": validation, "split": split, "stepsPerEpoch": steps_per_epoch, "totalSteps": total}


def _round_half_up(value):
    return int(math.floor(value + 0.5))


# ---- learning rate (schedules.ts) ---------------------------------------------------------

def _cosine_between(start, end, pct):
    return end + (start - end) / 2 * (math.cos(math.pi * min(max(pct, 0), 1)) + 1)


def learning_rate_at(config, step, plan):
    base = config["learningRate"]
    schedule = config["schedule"]
    epoch = step // max(plan["stepsPerEpoch"], 1)
    kind = schedule["type"]
    warmup = 0 if kind == "onecycle" else min(_round_half_up(config["warmupEpochs"] * plan["stepsPerEpoch"]), plan["totalSteps"])
    if kind == "constant":
        rate = base
    elif kind == "step":
        rate = base * schedule["gamma"] ** (epoch // schedule["stepEpochs"])
    elif kind == "multistep":
        rate = base * schedule["gamma"] ** sum(1 for m in schedule["milestones"] if epoch >= m)
    elif kind == "cosine":
        span = max(plan["totalSteps"] - warmup, 1)
        rate = _cosine_between(base, min(schedule["minLearningRate"], base), (step - warmup) / span)
    elif kind == "onecycle":
        initial = base / schedule["divFactor"]
        final = initial / schedule["finalDivFactor"]
        peak = schedule["pctStart"] * plan["totalSteps"] - 1
        last = plan["totalSteps"] - 1
        if step <= peak:
            rate = _cosine_between(initial, base, step / peak if peak > 0 else 1)
        else:
            rate = _cosine_between(base, final, (step - peak) / (last - peak) if last > peak else 1)
    else:
        raise ValueError(f"config.schedule.type: unknown schedule {kind!r}")
    return rate * (step + 1) / warmup if step < warmup else rate


# ---- optimizer (optimizers.ts) ------------------------------------------------------------

def create_optimizer(config, model):
    """Weight decay as the workbench: L2 in the gradient (decoupled for adamw), on kernels only
    (rank ≥ 2) unless decayNormAndBias."""
    name = config["optimizer"]
    decoupled = name == "adamw"
    amount = config.get("weightDecay")
    amount = (1e-2 if decoupled else 0.0) if amount is None else amount
    decayed, kept = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decayed if config["decayNormAndBias"] or p.dim() >= 2 else kept).append(p)
    groups = [{"params": decayed, "weight_decay": amount}, {"params": kept, "weight_decay": 0.0}]
    groups = [g for g in groups if g["params"]]
    lr = config["learningRate"]
    eps = config.get("epsilon") or 1e-8
    if name in ("sgd", "momentum"):
        momentum = config.get("momentum")
        momentum = (0.9 if name == "momentum" else 0.0) if momentum is None else momentum
        return torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=bool(config["nesterov"]) and momentum > 0)
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr, betas=(0.9, 0.999), eps=eps)
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=eps)
    if name == "rmsprop":
        # The workbench's RMSProp decays its square average by 0.9 (TF's rho), not PyTorch's 0.99.
        return torch.optim.RMSprop(groups, lr=lr, alpha=0.9, eps=eps, momentum=config.get("momentum") or 0.0)
    raise ValueError(f"config.optimizer: unknown optimizer {name!r}")


# ---- data ---------------------------------------------------------------------------------

def _read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as handle:
        data = handle.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(data[3])]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def _idx_file(folder, prefix, kind):
    for name in (f"{prefix}-{kind}-idx{3 if kind == 'images' else 1}-ubyte.gz",
                 f"{prefix}-{kind}-idx{3 if kind == 'images' else 1}-ubyte"):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    return None


class ArraySplit:
    """A split held in memory: uint8 images N×H×W×C and labels."""

    def __init__(self, images, labels):
        if images.ndim == 3:
            images = images[..., None]
        self.images = images
        self.labels = np.asarray(labels, dtype=np.int64)

    def __len__(self):
        return len(self.labels)

    def image(self, index):
        return torch.from_numpy(self.images[index].transpose(2, 0, 1).copy())


class FolderSplit:
    """An ImageFolder (one sub-folder per class), each image squashed to the network's input size."""

    def __init__(self, root, input_shape):
        from torchvision.datasets import ImageFolder
        self.folder = ImageFolder(root)
        self.labels = np.asarray(self.folder.targets, dtype=np.int64)
        self.height, self.width, self.channels = input_shape
        self.classes = self.folder.classes

    def __len__(self):
        return len(self.labels)

    def image(self, index):
        from PIL import Image
        picture = self.folder.loader(self.folder.samples[index][0])
        picture = picture.convert("L" if self.channels == 1 else "RGB").resize((self.width, self.height), Image.BILINEAR)
        array = np.asarray(picture, dtype=np.uint8)
        return torch.from_numpy(np.ascontiguousarray(array.reshape(self.height, self.width, self.channels).transpose(2, 0, 1)))


def load_splits(path, job):
    """train and val splits from a workbench dataset folder, an IDX folder (Fashion-MNIST) or an ImageFolder."""
    input_shape = job["dataset"]["input"]
    manifest_file = os.path.join(path, "dataset.json")
    if os.path.exists(manifest_file):
        with open(manifest_file, encoding="utf-8") as handle:
            manifest = json.load(handle)
        if manifest.get("format") == "cache":
            splits = {}
            for name in ("train", "val"):
                count = manifest["splits"][name]["count"]
                images = np.fromfile(os.path.join(path, f"{name}-images.u8"), dtype=np.uint8).reshape(count, *manifest["input"])
                labels = np.fromfile(os.path.join(path, f"{name}-labels.u8"), dtype=np.uint8)
                splits[name] = ArraySplit(images, labels)
            return splits["train"], splits["val"]
    if _idx_file(path, "train", "images"):
        images = _read_idx(_idx_file(path, "train", "images"))
        labels = _read_idx(_idx_file(path, "train", "labels"))
        if len(images) != len(labels):
            raise ValueError(f"--data {path}: {len(images)} training images but {len(labels)} labels")
        return ArraySplit(images, labels), ArraySplit(np.zeros((0, *input_shape), np.uint8), [])
    train_root = os.path.join(path, "train") if os.path.isdir(os.path.join(path, "train")) else path
    if not os.path.isdir(train_root):
        raise ValueError(f"--data: {path} is not a folder")
    train = FolderSplit(train_root, input_shape)
    val_root = next((os.path.join(path, n) for n in ("val", "validation") if os.path.isdir(os.path.join(path, n))), None)
    val = FolderSplit(val_root, input_shape) if val_root else ArraySplit(np.zeros((0, *input_shape), np.uint8), [])
    classes = job["dataset"]["classes"]
    if len(train.classes) != len(classes):
        raise ValueError(f"--data {path}: {len(train.classes)} class folders, but the run has {len(classes)} classes")
    return train, val


def channel_stats(split, indices, channels, limit=None):
    """Per-channel mean and std of pixels scaled to [0, 1] (the workbench's channelStats)."""
    chosen = indices if limit is None or len(indices) <= limit else indices[:: max(1, len(indices) // limit)]
    total = np.zeros(channels)
    squares = np.zeros(channels)
    count = 0
    for start in range(0, len(chosen), 4096):
        block = chosen[start:start + 4096]
        if isinstance(split, ArraySplit):
            pixels = split.images[np.asarray(block)].reshape(-1, channels).astype(np.float64) / 255
        else:
            pixels = np.stack([split.image(i).numpy() for i in block]).transpose(0, 2, 3, 1).reshape(-1, channels) / 255
        total += pixels.sum(0)
        squares += (pixels * pixels).sum(0)
        count += len(pixels)
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean ** 2, 1e-12))
    return mean.tolist(), std.tolist()


def augmentation_transform(options, input_shape):
    """The workbench's augmentation with torchvision's equivalents (same kinds and ranges; the
    random draws are torch's, not the workbench's)."""
    if not options:
        return None
    import torchvision.transforms as T
    height, width, _ = input_shape
    steps = []
    if options.get("randomResizedCrop"):
        crop = options["randomResizedCrop"]
        steps.append(T.RandomResizedCrop((height, width), scale=tuple(crop["scale"]), ratio=tuple(crop["ratio"])))
    elif options.get("randomCrop", {}).get("padding"):
        steps.append(T.RandomCrop((height, width), padding=options["randomCrop"]["padding"], fill=0))
    if options.get("horizontalFlip"):
        steps.append(T.RandomHorizontalFlip())
    jitter = options.get("colorJitter")
    if jitter:
        steps.append(T.ColorJitter(brightness=jitter.get("brightness", 0), contrast=jitter.get("contrast", 0),
                                   saturation=jitter.get("saturation", 0) if input_shape[2] == 3 else 0))
    return T.Compose(steps) if steps else None


class Images(Dataset):
    def __init__(self, split, mean, std, augment=None):
        self.split = split
        self.mean = torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(-1, 1, 1)
        self.augment = augment

    def __len__(self):
        return len(self.split)

    def __getitem__(self, index):
        image = self.split.image(index)
        if self.augment is not None:
            image = self.augment(image)
        return (image.float() / 255 - self.mean) / self.std, int(self.split.labels[index])


class RankBatches:
    """This rank's share of each global batch: the workbench's seeded order, cut into batches of
    batchSize, every rank taking every N-th image of each (so the N shares make the global batch)."""

    def __init__(self, batches, rank, world):
        self.batches = [batch[rank::world] for batch in batches]

    def __iter__(self):
        return iter(self.batches)

    def __len__(self):
        return len(self.batches)


# ---- loss and metrics ---------------------------------------------------------------------

def cross_entropy_sum(output, labels, classes, probabilities, smoothing):
    if not probabilities:
        return F.cross_entropy(output, labels, reduction="sum", label_smoothing=smoothing)
    targets = F.one_hot(labels, classes).float()
    if smoothing > 0:
        targets = targets * (1 - smoothing) + smoothing / classes
    return -(targets * torch.log(output.clamp(1e-7, 1))).sum()


def outputs_of(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


# ---- the run folder (store/runs.ts) -------------------------------------------------------

def now_iso():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_json_atomic(path, value):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(value, indent=2) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def new_run_id(model_name):
    slug = "".join(c if c.isalnum() else "-" for c in model_name.lower()).strip("-")[:40] or "run"
    return f"{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}-{slug}-ddp{secrets.token_hex(3)}"


class RunFolder:
    """Rank 0's writer of run.json and metrics.jsonl; every other rank gets None instead."""

    def __init__(self, root, job, config, backend, run_id=None):
        self.id = run_id or new_run_id(job["model"]["name"])
        self.dir = os.path.join(root, self.id)
        os.makedirs(os.path.join(self.dir, "checkpoints"), exist_ok=True)
        self.metrics = open(os.path.join(self.dir, "metrics.jsonl"), "a", encoding="utf-8")
        source = job["run"]
        self.record = {
            "schemaVersion": 1,
            "id": self.id,
            "config": config,
            "status": "running",
            "createdAt": now_iso(),
            "startedAt": now_iso(),
            "endedAt": None,
            "backend": backend,
            "versions": {"torch": torch.__version__, "python": sys.version.split()[0], "workbench": job["workbench"]["version"]},
            "epochsDone": 0,
            "steps": 0,
            "final": {"trainLoss": None, "trainAccuracy": None, "valLoss": None, "valAccuracy": None},
            "error": None,
            "workerPid": None,
            "meta": {
                "name": f"{source.get('name') or source['id']} · {backend['name']}",
                "notes": f"Trained by the PyTorch job exported from run {source['id']} on {socket.gethostname()}.",
                "tags": ["pytorch-ddp"],
                "starred": False,
            },
        }
        self.save()

    def save(self, **changes):
        self.record.update(changes)
        write_json_atomic(os.path.join(self.dir, "run.json"), self.record)

    def append(self, event):
        self.metrics.write(json.dumps(event) + "\n")
        self.metrics.flush()

    def close(self):
        self.metrics.flush()
        os.fsync(self.metrics.fileno())
        self.metrics.close()


# ---- training -----------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train the exported workbench run with PyTorch DDP (launch with torchrun).")
    parser.add_argument("--job", default=os.path.join(HERE, "job.json"), help="the job file (default: job.json beside train.py)")
    parser.add_argument("--data", help="a workbench dataset folder, an IDX folder (train-images-idx3-ubyte[.gz], ...) "
                                       "or an ImageFolder (train/ and optionally val/, one sub-folder per class); "
                                       "default: the dataset folder the job was exported from")
    parser.add_argument("--out", default="runs", help="where the run folder is written (default: ./runs)")
    parser.add_argument("--max-steps", type=int, help="stop after this many optimizer steps")
    parser.add_argument("--epochs", type=int, help="override the run's epochs")
    parser.add_argument("--seed", type=int, help="override the run's seed (experiments: one job per seed)")
    parser.add_argument("--run-id", help="the id of the run folder (default: a new one)")
    parser.add_argument("--workers", type=int, default=0, help="data-loading processes per rank (ImageFolder: 4 or more)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--sync-bn", action="store_true", help="batch statistics over all ranks (GPUs): as the workbench's whole-batch norm")
    parser.add_argument("--stats-limit", type=int, default=5000, help="ImageFolder: images sampled for the channel mean and std")
    return parser.parse_args(argv)


def set_learning_rate(optimizer, rate):
    for group in optimizer.param_groups:
        group["lr"] = rate


def main(argv=None):
    args = parse_args(argv)
    job = workbench_model.read_job(args.job)
    config = dict(job["config"])
    for field, value in (("maxSteps", args.max_steps), ("epochs", args.epochs), ("seed", args.seed)):
        if value is not None:
            if value < (0 if field == "seed" else 1):
                raise SystemExit(f"--{field}: must be {'≥ 0' if field == 'seed' else 'at least 1'} (received {value})")
            config[field] = value

    distributed = "RANK" in os.environ and int(os.environ.get("WORLD_SIZE", "1")) > 1
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    if distributed and not dist.is_initialized():
        # Ray Train's TorchTrainer has already made the process group; torchrun leaves it to us.
        dist.init_process_group("nccl" if use_cuda else "gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local_rank}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    if config["batchSize"] < world:
        raise SystemExit(f"config.batchSize: the global batch ({config['batchSize']}) is smaller than the {world} processes")

    torch.manual_seed(config["seed"] * 1000 + rank)
    data_path = args.data or job["dataset"].get("path")
    if not data_path or not os.path.exists(data_path):
        raise SystemExit(f"--data: no dataset at {data_path!r}; give the dataset folder, IDX folder or ImageFolder")
    train_split, val_split = load_splits(data_path, job)
    plan = plan_training(config, train_split.labels, len(val_split))
    channels = job["dataset"]["input"][2]
    limit = None if isinstance(train_split, ArraySplit) else args.stats_limit
    mean, std = channel_stats(train_split, plan["train"], channels, limit)
    classes = len(job["dataset"]["classes"])
    validation_source = val_split if plan["split"] == "val" else train_split

    model = workbench_model.build_model(job).to(device)
    if args.sync_bn:
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    network = DistributedDataParallel(model, device_ids=[local_rank] if use_cuda else None) if distributed else model
    optimizer = create_optimizer(config, model)
    loss_weights = list(job["model"]["lossWeights"])
    if config.get("auxLossWeight") is not None:
        loss_weights = [1.0] + [config["auxLossWeight"]] * (len(loss_weights) - 1)
    probabilities = job["model"]["probabilities"]
    monitor = config.get("bestMetric") or (config.get("earlyStopping") or {}).get("metric") or "valAccuracy"
    early = config.get("earlyStopping")
    with_top5 = classes > 5
    layer_params = {name: [p for p in module.parameters() if p.requires_grad] for name, module in model.layers.items()}
    layer_params = {name: params for name, params in layer_params.items() if params}
    preprocessing = {"version": 1, "input": job["dataset"]["input"], "classes": job["dataset"]["classes"],
                     "mean": mean, "std": std, "resize": "squash", "background": "white"}

    backend = {"name": f"pytorch-ddp ×{world}",
               "device": f"{torch.cuda.get_device_name(device)} ×{world} (nccl)" if use_cuda else f"cpu ×{world} ({'gloo' if distributed else 'single process'})",
               "passedOver": []}
    folder = RunFolder(args.out, job, config, backend, args.run_id) if rank == 0 else None
    train_images = Images(train_split, mean, std, augmentation_transform(config.get("augmentation"), job["dataset"]["input"]))
    val_images = Images(validation_source, mean, std)
    order_random = Mulberry32(stream_seeds(config["seed"])["order"])
    batch_size = config["batchSize"]
    step = 0
    best = {"metric": monitor, "score": None, "epoch": None}
    waiting = 0
    last_rate = learning_rate_at(config, 0, plan)
    status = "completed"
    error = None
    try:
        for epoch in range(1, config["epochs"] + 1):
            order_state = order_random.state
            order = list(plan["train"])
            shuffle_in_place(order, order_random)
            remaining = plan["totalSteps"] - step
            batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)][:max(remaining, 0)]
            loader = DataLoader(train_images, batch_sampler=RankBatches(batches, rank, world), num_workers=args.workers)
            network.train()
            totals = torch.zeros(3, dtype=torch.float64)
            for batch_index, (x, y) in enumerate(loader):
                began = time.perf_counter()
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
                global_count = len(batches[batch_index])
                rate = learning_rate_at(config, step, plan)
                set_learning_rate(optimizer, rate)
                outputs = outputs_of(network(x))
                loss_sum = cross_entropy_sum(outputs[0], y, classes, probabilities, config["labelSmoothing"])
                for weight, aux in zip(loss_weights[1:], outputs[1:]):
                    if weight > 0:
                        loss_sum = loss_sum + weight * cross_entropy_sum(aux, y, classes, probabilities, config["labelSmoothing"])
                optimizer.zero_grad(set_to_none=True)
                # DDP averages gradients over ranks; scaling by N / global count makes that the global mean.
                (loss_sum * world / global_count).backward()
                layer_norms = {name: torch.sqrt(sum((p.grad.detach() ** 2).sum() for p in params if p.grad is not None)).item()
                               for name, params in layer_params.items()} if config.get("perLayerGradNorms") and rank == 0 else None
                clip = config.get("gradClipNorm")
                grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip if clip is not None else float("inf"))
                optimizer.step()
                step += 1
                last_rate = rate
                with torch.no_grad():
                    correct = (outputs[0].argmax(1) == y).sum()
                    correct5 = (outputs[0].topk(5, 1).indices == y[:, None]).any(1).sum() if with_top5 else torch.zeros(())
                    sums = torch.stack([loss_sum.detach().double(), correct.double(), correct5.double().to(y.device),
                                        torch.tensor(float(len(y)), dtype=torch.float64, device=y.device)])
                if distributed:
                    dist.all_reduce(sums)
                loss, right, right5, seen = sums.tolist()
                if not math.isfinite(loss):
                    raise FloatingPointError(f"training diverged: the loss became {loss / seen} at step {step} with learning rate {rate:.3g}")
                totals += torch.tensor([loss, right, seen], dtype=torch.float64)
                if folder:
                    seconds = time.perf_counter() - began
                    event = {"type": "step", "step": step, "epoch": epoch, "loss": loss / seen, "accuracy": right / seen,
                             "learningRate": rate, "imagesPerSec": seen / max(seconds, 1e-9), "gradNorm": float(grad_norm),
                             "time": int(time.time() * 1000)}
                    if with_top5:
                        event["top5Accuracy"] = right5 / seen
                    folder.append(event)
                    if layer_norms is not None:
                        folder.append({"type": "grads", "step": step, "epoch": epoch, "layers": layer_norms, "time": event["time"]})

            complete = len(batches) == plan["stepsPerEpoch"]
            if totals[2] == 0:
                break
            val_loss, val_accuracy = evaluate(model, val_images, plan["validation"], rank, world, device, classes,
                                              probabilities, max(batch_size, 64), distributed, args.workers)
            metric = {"type": "epoch", "epoch": epoch, "step": step, "trainLoss": totals[0].item() / totals[2].item(),
                      "trainAccuracy": totals[1].item() / totals[2].item(), "valLoss": val_loss, "valAccuracy": val_accuracy,
                      "learningRate": last_rate, "time": int(time.time() * 1000)}
            is_best = False
            if not complete:
                metric["partial"] = True
            else:
                score = metric[monitor] if metric[monitor] is not None else metric["trainLoss" if monitor == "valLoss" else "trainAccuracy"]
                delta = early["minDelta"] if early else 0
                is_best = math.isfinite(score) and (best["score"] is None or (
                    score < best["score"] - delta if monitor == "valLoss" else score > best["score"] + delta))
                if is_best:
                    best = {"metric": monitor, "score": score, "epoch": epoch}
                    waiting = 0
                    metric["best"] = True
                else:
                    waiting += 1
            stop_early = complete and early is not None and waiting >= early["patience"] and epoch < config["epochs"]
            if stop_early:
                metric["earlyStopped"] = True
            if folder:
                folder.append(metric)
                state = {"epoch": epoch if complete else epoch - 1, "step": step, "savedAt": now_iso(), "seed": config["seed"],
                         "batchInEpoch": 0 if complete else len(batches), "orderRandomState": order_random.state if complete else order_state,
                         "tensorRandomState": 0, "epochTotals": {"loss": 0, "correct": 0, "seen": 0}, "best": best,
                         "epochsWithoutImprovement": waiting, "learningRate": last_rate}
                checkpoints = os.path.join(folder.dir, "checkpoints")
                workbench_model.save_workbench_checkpoint(model, job, os.path.join(checkpoints, "last"), state, preprocessing)
                if is_best:
                    workbench_model.save_workbench_checkpoint(model, job, os.path.join(checkpoints, "best"), state, preprocessing)
                folder.save(epochsDone=epoch if complete else epoch - 1, steps=step,
                            final={k: metric[k] for k in ("trainLoss", "trainAccuracy", "valLoss", "valAccuracy")})
            if stop_early or not complete or step >= plan["totalSteps"]:
                break
    except BaseException as failure:
        status, error = "failed", f"{type(failure).__name__}: {failure}"
        raise
    finally:
        if folder:
            folder.close()
            folder.save(status=status, error=error, endedAt=now_iso(), steps=step)
            print(f"run folder: {folder.dir}  (import it with: cvb runs import {folder.dir})", flush=True)
        if distributed:
            dist.destroy_process_group()


def evaluate(model, images, indices, rank, world, device, classes, probabilities, batch_size, distributed, workers):
    """Loss and accuracy over the validation indices, each rank taking every N-th image."""
    share = indices[rank::world]
    batches = [share[start:start + batch_size] for start in range(0, len(share), batch_size)]
    sums = torch.zeros(3, dtype=torch.float64, device=device)
    model.eval()
    with torch.no_grad():
        for x, y in DataLoader(images, batch_sampler=batches, num_workers=workers):
            x, y = x.to(device), y.to(device)
            output = outputs_of(model(x))[0]
            sums += torch.stack([cross_entropy_sum(output, y, classes, probabilities, 0).double(),
                                 (output.argmax(1) == y).sum().double(), torch.tensor(float(len(y)), dtype=torch.float64, device=device)])
    if distributed:
        dist.all_reduce(sums)
    loss, right, seen = sums.tolist()
    return (loss / seen, right / seen) if seen > 0 else (None, None)


if __name__ == "__main__":
    main()
