# gpusched: developer entry points. Everything builds out of tree with CMake
# and Ninja; see README.md.
#
#   make test    install deps, build (warnings as errors), run the tests, then
#                run them again under AddressSanitizer + UBSan
#   make run     build gpusched and replay the factory scenario under the four
#                policies (table on stdout, build/factory-report.{json,html})
#   make build   build everything in build/ (RelWithDebInfo)
#   make asan    build and test under sanitizers in build-asan/
#   make bench   build gpusched_bench in Release and run it;
#                BENCH_FILTER=regex selects benchmarks
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

BUILD_DIR := build
ASAN_DIR := build-asan
RELEASE_DIR := build-release

export ASAN_OPTIONS ?= detect_leaks=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

.PHONY: all deps configure build test unit-test asan bench run format clean
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
	@echo "make test: all tests passed (plain and under ASan+UBSan)"

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer. The
# benchmarks are off, so the default target is exactly what the tests need.
asan: deps
	$(CMAKE) -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DGPUSCHED_WERROR=ON -DGPUSCHED_SANITIZE=ON -DGPUSCHED_BENCH=OFF $(CMAKE_FLAGS)
	$(CMAKE) --build $(ASAN_DIR) -j $(JOBS)
	$(CTEST) --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS)

bench: deps
	$(CMAKE) -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DGPUSCHED_WERROR=ON -DGPUSCHED_BENCH=ON $(CMAKE_FLAGS)
	$(CMAKE) --build $(RELEASE_DIR) -j $(JOBS) --target gpusched_bench
	$(RELEASE_DIR)/gpusched_bench $(if $(BENCH_FILTER),'--benchmark_filter=$(BENCH_FILTER)') $(BENCH_ARGS)

# The README's main command: the story of DESIGN.md, replayed in virtual time
# through the scheduling core under fifo, priority, k8s and gpusched.
run: build
	$(BUILD_DIR)/gpusched sim --scenario factory --compare fifo,priority,k8s,gpusched \
	  --json $(BUILD_DIR)/factory-report.json --html $(BUILD_DIR)/factory-report.html

FORMAT_DIRS := $(wildcard include src tests bench)
format:
	@files=$$(find $(FORMAT_DIRS) /dev/null -type f \( -name '*.h' -o -name '*.cc' \) 2>/dev/null | sort); \
	if [[ -z "$$files" ]]; then echo "format: no sources"; exit 0; fi; \
	$(CLANG_FORMAT) -i --style=file $$files; \
	echo "format: formatted $$(wc -w <<<"$$files") files"

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(RELEASE_DIR)
