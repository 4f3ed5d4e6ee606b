# rathaus: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv/bin

.PHONY: setup demo test test-fast lint eval bench clean

setup:
	bash scripts/setup.sh

## Run the whole product locally (chat + live subtitles) with the Musterstadt sample content.
demo: setup
	$(VENV)/rathaus demo run

## Run every check: ruff and mypy, then unit, integration (real Rasa, redis-server, Whisper) and browser tests.
test: setup
	bash scripts/lint.sh
	bash scripts/test.sh

## Only the fast unit tests (no real services, no model, no browser).
test-fast: setup
	bash scripts/test.sh -m "not slow and not browser"

lint: setup
	bash scripts/lint.sh

## Quality measurements (print numbers; results are kept in docs/benchmarks.md).
eval: setup
	$(VENV)/rathaus bot eval data/eval/chat-independent/test-4.yml --report out/chat-eval.json
	$(VENV)/rathaus bot eval data/eval/conversations/test-4.yml --report out/conversations-eval.json
	$(VENV)/rathaus bot baseline data/eval/chat-independent/test-4.yml
	$(VENV)/python data/eval/asr/generate.py --out out/asr-clips
	$(VENV)/rathaus asr eval --cpu-threads 1 --manifest out/asr-clips/manifest.json --report out/asr-eval.json

bench: setup
	$(VENV)/rathaus bot bench
	$(VENV)/rathaus gateway bench viewers --viewers 2000
	$(VENV)/rathaus asr bench

clean:
	rm -rf out bot/models bot/generated
