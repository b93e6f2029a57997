# Front door of the build: `make run` and `make test` install what is missing, build and go.
# Everything goes through the CMake presets in CMakePresets.json (Ninja + ccache).
PRESET ?= release
BUILD_DIR := build/$(PRESET)
ARGS ?=

# ccache keys on paths relative to the checkout, so a fresh clone reuses earlier objects.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime

.PHONY: deps configure build run test bench format clean

deps:
	@bash docker/install-deps.sh

configure: deps
	@test -f $(BUILD_DIR)/build.ninja || cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET)

run: build
	$(BUILD_DIR)/app/payorch serve $(ARGS)

test: build
	@ctest --preset $(PRESET) --parallel 2

bench: build
	@bash bench/http/run.sh $(BUILD_DIR)

format:
	@git ls-files '*.hpp' '*.cpp' | xargs clang-format -i

clean:
	@rm -rf build
