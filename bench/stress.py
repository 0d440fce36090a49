#!/usr/bin/env python3
"""`make stress`: a render farm's load on two httpd front ends over one
PostgreSQL for a minute (t/lib/load.py: agents racing on their jobs' last
tasks, artists submitting, dashboards reading), then every acknowledged
update and submission counted back from the database.  Prints what was
served; exits non-zero on a 5xx, a lost update or a job whose state is
not its tasks'.  The integration suite runs the same for 10 s
(t/test_stress.py).  Python standard library only.

    python3 bench/stress.py [--seconds 60] [--clients 64] [--keep]
"""

import argparse
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "t", "lib"))

import farm as farmlib  # noqa: E402  (needs the path above)
import load as loadlib  # noqa: E402

MODULE = os.path.join(REPO, ".libs", "mod_pyfarm_jobs.so")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--keep", action="store_true",
                        help="leave the run's directory (logs) in t/tmp")
    args = parser.parse_args()
    basedir = os.path.join(REPO, "t", "tmp", time.strftime("stress-%Y%m%d-%H%M%S-")
                           + str(os.getpid()))
    farmlib.install_signal_handlers()
    farm = farmlib.Farm(basedir, MODULE)
    try:
        farm.start()
        load = loadlib.stress(farm, args.seconds, args.clients)
        print(f"stress: {args.clients} clients, two front ends, {args.seconds:g} s: "
              f"{load.summary()}")
    except AssertionError as exc:
        print(f"stress: FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        farm.stop()
        if not args.keep:
            farmlib.remove_basedir(basedir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
