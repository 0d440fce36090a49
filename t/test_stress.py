"""Load (README "Reliability"): 64 clients at once for 10 s over two httpd
front ends on one PostgreSQL (t/lib/load.py): agents racing on the last
tasks of their jobs, artists submitting, dashboards reading.  No 5xx, every
acknowledged update and submission in the database, every job's state what
its tasks say.  `make stress` runs the same for 60 s."""

from load import stress

RESET = True
SECONDS = 10


def test_sixty_four_clients_over_two_front_ends(farm):
    load = stress(farm, SECONDS)
    print(f"# stress, 64 clients, two front ends, {SECONDS} s: {load.summary()}")
