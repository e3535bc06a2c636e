"""Ray Train: runs train.py's main in each of Ray's workers (TorchTrainer sets up the process group
environment train.py reads). python ray_train.py --workers N [--gpu] -- [train.py options...]"""
import argparse
import os
import sys

from ray.train import ScalingConfig
from ray.train.torch import TorchTrainer

HERE = os.path.dirname(os.path.abspath(__file__))


def train_loop(config):
    sys.path.insert(0, HERE)
    import train
    train.main(config["argv"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--gpu", action="store_true")
    args, rest = parser.parse_known_args()
    argv = [a for a in rest if a != "--"]
    argv += [] if "--out" in argv else ["--out", os.path.join(HERE, "runs")]
    trainer = TorchTrainer(train_loop, train_loop_config={"argv": argv},
                           scaling_config=ScalingConfig(num_workers=args.workers, use_gpu=args.gpu))
    trainer.fit()
