.PHONY: run test bench
# Set up (venv, pinned requirements, migrations, catalog, demo org) and run web + workers.
run:
	@scripts/run
# Every test, on SQLite and on a PostgreSQL 15 this command starts itself.
test:
	@scripts/test
bench:
	@scripts/bench
