"""The scale section of the benchmark (bench/scale.py) end to end, as a
smoke: `--smoke` sizes (200 more jobs, a 20,000-frame job submitted
through the API), every case once for a second at 8 connections, in the
tuned contract.

It runs its own PostgreSQL and httpd (in t/tmp/bench-scale-*, removed
when it passes), with the module of this run, and checks correctness, never
speed: every case answered 2xx without socket errors, the state changes
happened, repeated `running` changed nothing, the deep page holds the 100
tasks after its cursor in order, the huge job has all its tasks, and the
smoke's own httpd error_log is clean.  No figure is asserted."""

import os
import sys

BENCH_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")
sys.path.insert(0, BENCH_DIR)

import scale  # noqa: E402  (bench/scale.py, needs the path above)

RESET = False  # the test farm's database is not used


def test_the_scale_section_runs_end_to_end(farm):
    problems, printed = scale.smoke(module=farm.httpd.module_path)
    assert not problems, "\n".join(problems) + "\n--- bench/scale.py --smoke printed:\n" + printed
