# PGXS build of the pgshift extension (C++ sources under extension/).
# The CLI and the C++ unit tests are built by CMakeLists.txt instead.
PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config

EXTVERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" extension/pgshift.control)
MODULE_big = pgshift
SRCS = $(wildcard extension/core/*.cpp extension/core/operations/*.cpp extension/pg/*.cpp)
OBJS = $(SRCS:.cpp=.o)
MODULEDIR = extension
DATA = extension/pgshift.control $(wildcard extension/pgshift--*.sql)

# pg_regress tests: sql/NAME.sql against expected/NAME.out, run by `make installcheck`.
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=pgshift
# Isolation tests: specs/NAME.spec against expected/NAME.out (exact interleavings), after REGRESS.
ISOLATION = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --inputdir=. --load-extension=pgshift

PG_CPPFLAGS = -Iextension -isystem $(shell $(PG_CONFIG) --includedir-server) -DPGSHIFT_VERSION='"$(EXTVERSION)"'
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -fexceptions -MMD -MP
SHLIB_LINK += -lstdc++

# No LLVM bitcode for JIT inlining: pgshift's functions are not worth inlining into queries, and
# the bitcode step doubles the build time.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Debian's PostgreSQL is built --with-llvm: PGXS also compiles each .cpp to bitcode, without PG_CXXFLAGS.
COMPILE.cxx.bc += $(filter-out -MMD -MP,$(PG_CXXFLAGS)) $(PG_CPPFLAGS)

# The core is pure C++ (docs/design.md, "Two regimes"): it is compiled without PostgreSQL's headers
# on the include path, so that a PostgreSQL #include there fails the build.
CORE_OBJS = $(filter extension/core/%,$(OBJS))
$(CORE_OBJS): CPPFLAGS = -Iextension -DPGSHIFT_VERSION='"$(EXTVERSION)"'

# Rebuild objects whose headers changed (dependency files written by -MMD).
-include $(OBJS:.o=.d)
EXTRA_CLEAN = $(OBJS:.o=.d)
