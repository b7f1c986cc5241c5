# archportal: `make` builds, `make run` serves the demo, `make check` runs every test.
DATA ?= ./var
LISTEN ?= 127.0.0.1:8080
STAMP := .deps-ok

.PHONY: all run run-cluster check bench fuzz clean deps
all: build/archportal

deps: $(STAMP)
$(STAMP): scripts/install-deps.sh package-lock.json
	@sh scripts/install-deps.sh
	@touch $@

build/build.ninja: | $(STAMP)
	meson setup build --buildtype=debugoptimized -Dwerror=true >/dev/null

build/archportal: build/build.ninja FORCE
	ninja -C build archportal

run: build/archportal
	./build/archportal serve --data $(DATA) --listen $(LISTEN) --demo

# two nodes behind nginx on a PostgreSQL of their own (scripts/run-cluster.sh)
run-cluster: build/archportal
	sh scripts/run-cluster.sh

build-check/build.ninja: | $(STAMP)
	meson setup build-check --buildtype=debug -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null

check: build-check/build.ninja build/archportal
	ninja -C build-check
	sh scripts/run-tests.sh build-check

fuzz: | $(STAMP)
	sh scripts/run-fuzz.sh

bench: build/archportal
	sh bench/run.sh

clean:
	rm -rf build build-check build-fuzz

FORCE:
