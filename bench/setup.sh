#!/usr/bin/env bash
# Installs what the side-by-side benchmark needs from Debian (run as root, or with sudo):
#   dataset-fashion-mnist  -> /usr/share/datasets/fashion-mnist/ (the standard workload)
#   python3-torch          -> PyTorch 1.13 for /usr/bin/python3 (second anchor, bench/pytorch_mlp.py)
#   libopenblas0-pthread   -> OpenBLAS, PyTorch's BLAS here and the cblas_sgemm GEMM-peak measurement
# TorchSharp-cpu (libtorch) comes from NuGet when bench/MLNetAdam.Benchmarks is restored; nothing is downloaded otherwise.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends dataset-fashion-mnist python3-torch libopenblas0-pthread
ls -l /usr/share/datasets/fashion-mnist/
/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)'
