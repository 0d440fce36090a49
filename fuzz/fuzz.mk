# fuzz/fuzz.mk - builds the libFuzzer targets (README, "Hostile input")
# with clang: every fuzz/fuzz_<name>.c, with fuzz/fuzz.c and the core's
# sources, into $(OUT)/fuzz_<name>.  The top Makefile's `make fuzz` runs
# it with what configure found:
#   srcdir         the source tree
#   FUZZ_CC        clang
#   FUZZ_CPPFLAGS  the core's include paths (APR, json-c)
#   FUZZ_LIBS      the libraries the core links
#   CORE_SOURCES   libpfjcore's sources, relative to srcdir

OUT = fuzz/build
# AddressSanitizer and UndefinedBehaviorSanitizer everywhere; UB stops
# the run (a finding, like a crash).
SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer $(SANITIZE) -MMD -MP \
	-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers

vpath %.c $(srcdir)/src/core $(srcdir)/fuzz
NAMES = $(patsubst $(srcdir)/fuzz/fuzz_%.c,%,\
	$(wildcard $(srcdir)/fuzz/fuzz_*.c))
TARGETS = $(NAMES:%=$(OUT)/fuzz_%)
# What every target links: the core and fuzz/fuzz.c.
SHARED = $(patsubst src/core/%.c,$(OUT)/obj/%.o,$(CORE_SOURCES)) \
	$(OUT)/obj/fuzz.o

all: $(TARGETS)

# Objects get libFuzzer's coverage; only the link adds its main.
$(OUT)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_CPPFLAGS) \
		-c -o $@ $<

$(OUT)/fuzz_%: $(OUT)/obj/fuzz_%.o $(SHARED)
	$(FUZZ_CC) $(SANITIZE) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

-include $(wildcard $(OUT)/obj/*.d)

.PHONY: all
.SECONDARY:
