# shellcheck shell=bash disable=SC2154  # through/in_version come from run.sh
# Two application clients of run.sh's cycle, writing through one version schema and reading through the
# other via PgBouncer, each transaction picking its version with SET LOCAL search_path (the only safe
# way behind a transaction pooler). Table items (id, amount): version public_01_items has amount text,
# version public_02_amount_cents amount bigint with up = amount * 10 and down = amount / 10, so a value
# read back through the other version is right only if the dual-write trigger ran the direction of the
# version that wrote it. The new version opens when its backfill is done: the old-version client runs
# during the backfill (reading the new column from the table until then), the new-version one after.
#
#   version_client old|new DB RESULTS PID    loops while process PID runs (at least 3 times, at most
#                                            400); one line per iteration to RESULTS:
#                                            "ok <i> <jobs not done>" or "bad <i>: <what>"

version_client() {
  local which=$1 db=$2 results=$3 pid=$4 i=0 written read expected
  while (( i < 3 )) || kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    (( i > 400 )) && break
    if [[ $which == old ]]; then
      # A new row and an update of a row the backfill may not have reached yet, both through the old version.
      written=$(in_version "$db" public_01_items \
        "INSERT INTO items (id, amount) VALUES ($((100000 + i)), '$i'); UPDATE items SET amount = '$((i + 5))' WHERE id = $i" 2>&1)
      # The new version opens once its backfill is done; until then the new column is read from the
      # table itself, where the trigger put it.
      if [[ $(in_version "$db" public "SELECT to_regclass('public_02_amount_cents.items') IS NOT NULL" 2>&1) == t ]]; then
        read=$(in_version "$db" public_02_amount_cents \
          "SELECT string_agg(amount::text, ' ' ORDER BY id) FROM items WHERE id IN ($i, $((100000 + i)));
           SELECT count(*) FROM pgshift.jobs WHERE state <> 'done'" 2>&1)
      else
        read=$(in_version "$db" public \
          "SELECT string_agg(_pgshift_new_amount::text, ' ' ORDER BY id) FROM items WHERE id IN ($i, $((100000 + i)));
           SELECT count(*) FROM pgshift.jobs WHERE state <> 'done'" 2>&1)
      fi
      expected="$(((i + 5) * 10)) $((i * 10))"
    else
      written=$(in_version "$db" public_02_amount_cents \
        "INSERT INTO items (id, amount) VALUES ($((200000 + i)), $((i * 10))); UPDATE items SET amount = $(((10000 + i) * 10)) WHERE id = $((10000 + i))" 2>&1)
      read=$(in_version "$db" public_01_items \
        "SELECT string_agg(amount, ' ' ORDER BY id) FROM items WHERE id IN ($((10000 + i)), $((200000 + i)));
         SELECT count(*) FROM pgshift.jobs WHERE state <> 'done'" 2>&1)
      expected="$((10000 + i)) $i"
    fi
    if [[ -n $written ]]; then
      echo "bad $i: write through the $which version: ${written//$'\n'/ }"
    elif [[ $(head -n 1 <<<"$read") != "$expected" ]]; then
      echo "bad $i: wrote through the $which version, read [${read//$'\n'/ }] through the other, expected [$expected]"
    else
      echo "ok $i $(sed -n 2p <<<"$read")"
    fi
  done >"$results"
}
