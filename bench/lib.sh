# shellcheck shell=bash
# Helpers of the benchmark scripts; the script sets DB (its scratch database) before sourcing this.
q() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
admin() { psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" "$@"; }
median() { python3 -c "import sys, statistics; print(f'{statistics.median(map(float, sys.argv[1:])):.0f}')" "$@"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$@"; }
# The pgroll-style dual-write triggers (as in ../shared/bench/pgroll-style-anchors.sh), for `users` on search_path.
PGROLL_STYLE_SQL=$(dirname "${BASH_SOURCE[0]}")/pgroll_style_triggers.sql
