#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages convbench builds, tests and plots with.
#   compiler and make   build-essential
#   picture I/O         libstb-dev (stb_image, reading; linked as -lstb), libpng-dev (writing PNG)
#   oracle, sample data python3-numpy python3-scipy python3-pil
#   plots               python3-matplotlib
#   Google Benchmark    libbenchmark-dev (and g++ from build-essential for the shim)
#   implementations     libopenblas-dev (SGEMM), libfftw3-dev (fftwf), liblapacke-dev (the SVD
#                       that factors kernels for the separable method), GCC's libgomp
#                       (OpenMP, with build-essential)
#   peers compared      python3-opencv (OpenCV filter2D, scripts/compare_peers.py), libdnnl-dev
#                       (oneDNN's convolution, peers/onednn_peer.c: make peers; linked by that
#                       program only, never by the library)
#   memory checks       valgrind (make test-valgrind, part of make test)
#   make install        pkgconf (pkg-config, which the installed convbench.pc serves and
#                       tests/test_install.py uses)
#   fuzzing             clang, libclang-rt-14-dev (libFuzzer and sanitizer runtimes), libomp-dev
#                       (clang's OpenMP): make fuzz, make test-fuzz-regress (part of make test)
set -euo pipefail

packages=(build-essential libstb-dev libpng-dev python3 python3-numpy python3-scipy python3-pil
          python3-matplotlib libbenchmark-dev
          libopenblas-dev libfftw3-dev liblapacke-dev python3-opencv libdnnl-dev valgrind
          pkgconf clang libclang-rt-14-dev libomp-dev)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}"
