# Unit tests (Check). Integration tests are run by tests/run.sh.
