# The README's two commands: `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
PYTHON ?= /usr/bin/python3
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE=$(PYTHON)

.PHONY: all deps build demo demo-video test bench docs golden clean fuzz sanitize tsan calibrate

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

# the bundled stories (viz/stories/<scenario>.toml) as videos: each story's scenario run into
# results/<scenario>.h5, then played headless (xvfb-run, Mesa) into results/<scenario>.mp4
# with ffmpeg, and a still of its second step as results/<scenario>.png
STORIES = $(basename $(notdir $(wildcard viz/stories/*.toml)))
VIDEO_SIZE ?= 1920x1080
VIDEO_LANG ?= ja
demo-video: build
	@command -v xvfb-run >/dev/null && command -v ffmpeg >/dev/null || { echo "make demo-video needs xvfb and ffmpeg (apt-get install -y xvfb ffmpeg)"; exit 1; }
	@mkdir -p results
	for s in $(STORIES); do \
	  $(BUILD)/bin/citysim run scenarios/$$s.toml -o results/$$s.h5 --quiet && \
	  xvfb-run -a -s "-screen 0 $(VIDEO_SIZE)x24" $(BUILD)/bin/citysim-viz results/$$s.h5 --story viz/stories/$$s.toml \
	    --record results/$$s.mp4 --size $(VIDEO_SIZE) --fps 30 --lang $(VIDEO_LANG) && \
	  xvfb-run -a -s "-screen 0 $(VIDEO_SIZE)x24" $(BUILD)/bin/citysim-viz results/$$s.h5 --story viz/stories/$$s.toml \
	    --story-step 2 --screenshot results/$$s.png --size $(VIDEO_SIZE) --lang $(VIDEO_LANG) || exit 1; \
	done

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# the bundled calibration cases in full (calibration/*.cal.toml; make test runs them reduced):
# calibration files in results/, calibrated scenarios beside them
CALIBRATIONS = housing daytime
calibrate: build
	@mkdir -p results
	for c in $(CALIBRATIONS); do $(BUILD)/bin/citysim calibrate calibration/$$c.cal.toml -o results/$$c.calibration.h5 --jobs $(JOBS) || exit 1; done

bench: build
	bench/run.sh 5 1 $(JOBS)

# regenerate docs/scenario-reference.md from the schema
docs: build
	$(BUILD)/bin/citysim schema > docs/scenario-reference.md

# refresh the regression baseline deliberately (commit it with the change that explains it)
golden: build
	$(BUILD)/bin/citysim run tests/golden/small.toml -o tests/golden/small.h5 --quiet --threads 2 --fields-every 16

# libFuzzer on every parser for SECONDS each (clang-14, ASan + UBSan); new findings land in
# tests/fuzz/crashes/ (add them to tests/fuzz/corpus/ once fixed: make test replays it)
SECONDS ?= 60
FUZZ_TARGETS = scenario mesh_csv boundaries results network_sites vertiport_sites shelters weather supporters \
  estates predictor municipalities census plan calibration
fuzz: deps
	@command -v clang++-14 >/dev/null || { echo "make fuzz needs clang-14 libfuzzer-14-dev libclang-rt-14-dev (apt-get install -y clang-14 libfuzzer-14-dev libclang-rt-14-dev)"; exit 1; }
	cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
	  -DCITYSIM_FUZZ=ON -DCITYSIM_BUILD_VIZ=OFF -DCITYSIM_BUILD_PYTHON=OFF
	cmake --build build-fuzz -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@mkdir -p tests/fuzz/crashes
	for t in $(FUZZ_TARGETS); do mkdir -p build-fuzz/corpus/$$t && \
	  build-fuzz/bin/fuzz_$$t -max_total_time=$(SECONDS) -print_final_stats=1 -artifact_prefix=tests/fuzz/crashes/$$t- \
	    build-fuzz/corpus/$$t tests/fuzz/corpus/$$t || exit 1; done

# the test suite under AddressSanitizer + UndefinedBehaviorSanitizer (gcc), and the
# determinism and core tests under ThreadSanitizer (the asan and tsan presets in
# CMakePresets.json hold the flags and test selections); Python and the viewer are left out
# (an instrumented extension needs the sanitizer preloaded into python3)
sanitize: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)
tsan: deps
	cmake --preset tsan
	cmake --build --preset tsan -j $(JOBS) --target test_determinism test_residents test_network test_heat_sim
	ctest --preset tsan

clean:
	rm -rf $(BUILD)
