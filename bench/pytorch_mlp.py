#!/usr/bin/python3
"""The standard workload of issue 5 in PyTorch (Debian's python3-torch, 1.13), for the side-by-side runner.

Fashion-MNIST from /usr/share/datasets/fashion-mnist (gzip IDX), pixels / 255 as float32;
784 -> 256 ReLU -> 128 ReLU -> 10, softmax cross-entropy; Adam lr 1e-3, betas (0.9, 0.999), eps 1e-8;
batch 128, reshuffled every epoch. Prints one JSON object on the last line of stdout.

    /usr/bin/python3 bench/pytorch_mlp.py --threads 1 --epochs 10
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">i", data[:4])[0]
    dims = magic & 0xFF
    shape = struct.unpack(">" + "i" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(directory, name):
    for candidate in (name, name + ".gz"):
        p = os.path.join(directory, candidate)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(os.path.join(directory, name))


def load(directory):
    def images(name):
        a = read_idx(find(directory, name))
        return torch.from_numpy(a.reshape(a.shape[0], -1).astype(np.float32) / 255.0)

    def labels(name):
        return torch.from_numpy(read_idx(find(directory, name)).astype(np.int64))

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


def predict_rate(model, x, batch, min_seconds):
    n = x.shape[0] - x.shape[0] % batch
    with torch.no_grad():
        for start in range(0, min(n, 1000), batch):  # warm-up
            F.softmax(model(x[start:start + batch]), 1).argmax(1)
        done, t0 = 0, time.perf_counter()
        while True:
            for start in range(0, n, batch):
                p = F.softmax(model(x[start:start + batch]), 1)
                p.numpy()
                p.argmax(1).numpy()
                done += batch
            if time.perf_counter() - t0 >= min_seconds:
                break
    return done / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default=os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    ap.add_argument("--predict-seconds", type=float, default=2.0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x, y, tx, ty = load(args.data)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    n = x.shape[0]
    epoch_seconds = []
    cpu0 = time.process_time()
    t_total = time.perf_counter()
    for _ in range(args.epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n)
        for start in range(0, n, 128):
            idx = perm[start:start + 128]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
        epoch_seconds.append(time.perf_counter() - t0)
    wall = time.perf_counter() - t_total
    cpu = time.process_time() - cpu0
    model.eval()
    with torch.no_grad():
        accuracy = (model(tx).argmax(1) == ty).float().mean().item()
    result = {
        "name": "PyTorch",
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "epoch_seconds": epoch_seconds,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "test_accuracy": accuracy,
    }
    if args.predict_seconds > 0:
        result["predict_batch1_rows_per_s"] = predict_rate(model, tx, 1, args.predict_seconds)
        result["predict_batch1000_rows_per_s"] = predict_rate(model, tx, 1000, args.predict_seconds)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
