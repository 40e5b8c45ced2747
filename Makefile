# The two commands of the README. Everything else they need is bootstrapped by tools/.
PORT ?= 8069
export PORT

.PHONY: run test lint readme screenshots bench drills drills-nodes bench-log mllp help

help:
	@echo "make run   Odoo with the whole Interop suite and demo data on http://localhost:$(PORT)"
	@echo "make test  lint, then every suite module installed and tested in a fresh database"
	@echo "make lint  ruff, pylint-odoo and the OCA module checks only"
	@echo "make readme  write each addon's README.md and Apps page from its readme/ fragments"
	@echo "make screenshots  copy the screenshots the last make test took into readme/images"
	@echo "make bench  ingestion, processing, fast-while-busy, sustained load, standards, monitoring, supply (minutes)"
	@echo "make drills  resilience drills: load, faults, bad input, several nodes (minutes)"
	@echo "make drills-nodes  the multi-node drill and bench alone (nginx, 2 HTTP + 2 job nodes)"
	@echo "make bench-log  the message log with 10 million messages (minutes, GBs)"
	@echo "make mllp  MLLP bridge for HL7 senders without HTTP (INTEROP_ENDPOINT, INTEROP_API_KEY)"

run:
	@bash tools/run.sh

test:
	@bash tools/test.sh

lint:
	@bash tools/lint.sh

readme:
	@bash tools/lint.sh --readme

screenshots:
	@bash tools/screenshots.sh

# each benchmark runs, whatever the others found; the status fails if one missed
bench:
	@status=0; \
	bash tools/bench.sh ingestion $(INGESTION_ARGS) || status=1; \
	bash tools/bench.sh processing $(PROCESSING_ARGS) || status=1; \
	bash tools/bench.sh busy $(BUSY_ARGS) || status=1; \
	bash tools/bench.sh sustained $(SUSTAINED_ARGS) || status=1; \
	bash tools/bench.sh standards $(STANDARDS_ARGS) || status=1; \
	bash tools/bench.sh monitor $(MONITOR_ARGS) || status=1; \
	bash tools/bench.sh supply $(SUPPLY_ARGS) || status=1; \
	exit $$status

# both run, whatever the first found; the status fails if either did
drills:
	@status=0; \
	bash tools/bench.sh drills $(DRILL_ARGS) || status=1; \
	bash tools/drills/nodes.sh $(NODES_ARGS) || status=1; \
	exit $$status

drills-nodes:
	@bash tools/drills/nodes.sh $(NODES_ARGS)

bench-log:
	@bash tools/bench_log.sh $(BENCH_ARGS)

# HL7 senders that cannot speak HTTP: MLLP in, the gateway's HL7 route out
mllp:
	@bash tools/run_mllp.sh
