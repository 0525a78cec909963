# The same bits on every x86-64 CPU, so that the chapters' committed outputs and a05's released references
# reproduce on another machine: a training run turns a last-bit difference into another accuracy, and the
# libraries below pick their kernels by CPU (with their defaults, an AVX-512 AMD EPYC and the machine that had
# executed the chapters disagreed in 30 cells). Read by the Makefile (make test, book EXECUTE=1, exercises,
# pretrain) and by the conftests (pytest run by hand); a variable already set in the environment wins.
# PyTorch's own kernels: the portable build of each, not its AVX2 or AVX-512 one.
export ATEN_CPU_CAPABILITY ?= default
# MKL (PyTorch's BLAS): conditional numerical reproducibility, one code path on Intel and AMD processors.
export MKL_CBWR ?= COMPATIBLE
# oneDNN (PyTorch's mkldnn): its lowest instruction set.
export ONEDNN_MAX_CPU_ISA ?= SSE41
# OpenBLAS (numpy's BLAS): the Haswell kernels, which every AVX2 CPU runs, instead of one chosen per CPU.
export OPENBLAS_CORETYPE ?= Haswell
# numpy's own loops: no AVX-512 variants (a CPU without them ignores this).
export NPY_DISABLE_CPU_FEATURES ?= X86_V4 AVX512_ICL AVX512_SPR
