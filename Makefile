# The README's two commands: `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
PYTHON ?= /usr/bin/python3
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE=$(PYTHON)

.PHONY: all deps build demo test bench docs golden clean

all: build

# Debian packages the build and tests need (installs them as root, else prints the line)
deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@mkdir -p results
	$(BUILD)/bin/citysim run scenarios/tokyo.toml -o results/tokyo.h5

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	bench/run.sh 5 1 $(JOBS)

# regenerate docs/scenario-reference.md from the schema
docs: build
	$(BUILD)/bin/citysim schema > docs/scenario-reference.md

# refresh the regression baseline deliberately (commit it with the change that explains it)
golden: build
	$(BUILD)/bin/citysim run tests/golden/small.toml -o tests/golden/small.h5 --quiet --threads 2 --fields-every 16

clean:
	rm -rf $(BUILD)
