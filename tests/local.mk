# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests (Check) register themselves with TESTS in their folder's
# local.mk; `make check` runs them. Integration tests and other suites are
# run by tests/run.sh (as root; see README.md), not by make.
EXTRA_DIST += tests/unit/unit.h tests/suite.sh tests/cache tests/slurm tests/run.sh tests/lib.sh tests/images/mkimages.sh tests/images/craft.py tests/images/probe.c tests/images/parser.sh tests/fuzz tests/san tests/integration \
	scripts/install-deps.sh scripts/build.sh scripts/quickstart.sh scripts/spdx-check.sh LICENSE
