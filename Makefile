# gpusched: developer entry points. Everything builds out of tree with CMake
# and Ninja; see README.md.
#
#   make test    install deps, build (warnings as errors), run the tests, then
#                run them again under AddressSanitizer + UBSan
#   make run     build gpusched and run `gpusched demo`: a server, three agents
#                with fake GPUs and the factory scenario, live (DEMO_ARGS=...)
#   make sim     build gpusched and replay the factory scenario under the four
#                policies (table on stdout, build/factory-report.{json,html})
#   make build   build everything in build/ (RelWithDebInfo)
#   make asan    build and test under sanitizers in build-asan/
#   make bench   build gpusched_bench in Release and run it;
#                BENCH_FILTER=regex selects benchmarks
#   make fuzz    build the job-spec fuzzer with Clang (libFuzzer + ASan +
#                UBSan) in build-fuzz/ and run it for FUZZ_SECONDS (60)
#   make format  clang-format -i on all C++ sources
#   make clean   remove the build directories

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE ?= cmake
CTEST ?= ctest
CLANG_FORMAT ?= clang-format
CMAKE_FLAGS ?=
BENCH_FILTER ?=
BENCH_ARGS ?=
DEMO_ARGS ?=
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_CXX ?= clang++

BUILD_DIR := build
ASAN_DIR := build-asan
RELEASE_DIR := build-release
FUZZ_DIR := build-fuzz

export ASAN_OPTIONS ?= detect_leaks=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

.PHONY: all deps configure build binary test unit-test asan fuzz bench run sim format clean
# Steps run one after another; each build uses $(JOBS) cores itself.
.NOTPARALLEL:

all: build

deps:
	@scripts/install-deps

configure: deps
	$(CMAKE) -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DGPUSCHED_WERROR=ON $(CMAKE_FLAGS)

build: configure
	$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)

unit-test: build
	$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

test:
	@$(MAKE) --no-print-directory unit-test
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=30
	@echo "make test: all tests passed (plain, under ASan+UBSan, and 30 s of fuzzing)"

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer. The
# benchmarks are off, so the default target is exactly what the tests need.
asan: deps
	$(CMAKE) -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DGPUSCHED_WERROR=ON -DGPUSCHED_SANITIZE=ON -DGPUSCHED_BENCH=OFF $(CMAKE_FLAGS)
	$(CMAKE) --build $(ASAN_DIR) -j $(JOBS)
	$(CTEST) --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS)

# The job-spec parser under libFuzzer for a bounded time, built with Clang
# (coverage-instrumented, ASan + UBSan). Seeds: fuzz/corpus/job_spec/ (read
# only); inputs it discovers go to build-fuzz/corpus/job_spec/. A crash, a
# sanitizer report or a round-trip mismatch stops it with a non-zero exit
# and leaves the input as build-fuzz/crash-* (or leak-*, timeout-*, oom-*).
fuzz: deps
	CC=$(FUZZ_CC) CXX=$(FUZZ_CXX) $(CMAKE) -S . -B $(FUZZ_DIR) -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGPUSCHED_WERROR=ON -DGPUSCHED_FUZZ=ON \
	  -DGPUSCHED_BENCH=OFF $(CMAKE_FLAGS)
	$(CMAKE) --build $(FUZZ_DIR) -j $(JOBS) --target job_spec_fuzz
	mkdir -p $(FUZZ_DIR)/corpus/job_spec
	$(FUZZ_DIR)/job_spec_fuzz $(FUZZ_DIR)/corpus/job_spec fuzz/corpus/job_spec \
	  -dict=fuzz/job_spec.dict -max_len=4096 -timeout=10 -max_total_time=$(FUZZ_SECONDS) \
	  -artifact_prefix=$(FUZZ_DIR)/ -print_final_stats=1

bench: deps
	$(CMAKE) -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DGPUSCHED_WERROR=ON -DGPUSCHED_BENCH=ON $(CMAKE_FLAGS)
	$(CMAKE) --build $(RELEASE_DIR) -j $(JOBS) --target gpusched_bench
	$(RELEASE_DIR)/gpusched_bench $(if $(BENCH_FILTER),'--benchmark_filter=$(BENCH_FILTER)') $(BENCH_ARGS)

# The README's main command: the story of DESIGN.md, replayed in virtual time
# through the scheduling core under fifo, priority, k8s and gpusched.
# The gpusched binary alone (no tests, no benchmarks).
binary: configure
	$(CMAKE) --build $(BUILD_DIR) -j $(JOBS) --target gpusched

run: binary
	$(BUILD_DIR)/gpusched demo $(DEMO_ARGS)

sim: binary
	$(BUILD_DIR)/gpusched sim --scenario factory --compare fifo,priority,k8s,gpusched \
	  --json $(BUILD_DIR)/factory-report.json --html $(BUILD_DIR)/factory-report.html

FORMAT_DIRS := $(wildcard include src tests bench)
format:
	@files=$$(find $(FORMAT_DIRS) /dev/null -type f \( -name '*.h' -o -name '*.cc' \) 2>/dev/null | sort); \
	if [[ -z "$$files" ]]; then echo "format: no sources"; exit 0; fi; \
	$(CLANG_FORMAT) -i --style=file $$files; \
	echo "format: formatted $$(wc -w <<<"$$files") files"

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(RELEASE_DIR) $(FUZZ_DIR)
