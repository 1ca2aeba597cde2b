# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests (Check) register themselves with TESTS in their folder's
# local.mk; `make check` runs them. Integration tests and other suites are
# run by tests/run.sh (as root; see README.md), not by make.
EXTRA_DIST += tests/unit/unit.h tests/suite.sh tests/cache tests/slurm tests/run.sh tests/lib.sh tests/images/mkimages.sh tests/images/craft.py tests/images/probe.c tests/images/parser.sh tests/fuzz tests/san tests/integration \
	tests/images/mkmpi.sh tests/images/mkmpich.sh tests/images/mpi-lib.sh tests/images-cli tests/bench \
	tests/data/probe.c tests/data/ptyrun.py tests/data/mpi .ci/run docs/fuzzing.md \
	scripts/install-deps.sh scripts/build.sh scripts/quickstart.sh scripts/spdx-check.sh scripts/imports.py LICENSE
# the benchmarks (benchmarks/run.sh, README "Benchmarks"), not their results
EXTRA_DIST += benchmarks/RESULTS.md benchmarks/ab.sh benchmarks/images.sh benchmarks/job-end.sh benchmarks/kmount.sh \
	benchmarks/lib.sh benchmarks/mkimage.sh benchmarks/parser.sh benchmarks/phases.sh benchmarks/pingpong.c \
	benchmarks/report.py benchmarks/run.sh benchmarks/seccomp-load.c benchmarks/seccomp.sh benchmarks/srun-mpi.sh benchmarks/srun.sh
