"""The performance benchmark (`make bench`): harness, fake upstream, wrk scripts. See docs/benchmarks.md."""
