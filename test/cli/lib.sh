# shellcheck shell=bash disable=SC2034  # OUT, ERR, STATUS and STATUSES are read by the suites that source this
# Assertions for bash test suites. Source it, call the assertions, end with `finish_tests`.
# Every failed assertion prints one line "FAIL: <test>: <what>"; finish_tests prints "N passed, N failed"
# and returns non-zero when anything failed.
#
#   run CMD ARGS...                       runs a command; sets OUT, ERR (captured) and STATUS
#   assert_exit DESC CODE CMD ARGS...     run + check the exit status (OUT/ERR/STATUS stay set)
#   assert_status DESC CODE               checks STATUS of the last run
#   assert_eq DESC EXPECTED ACTUAL
#   assert_ne DESC UNEXPECTED ACTUAL
#   assert_contains DESC HAYSTACK NEEDLE
#   assert_not_contains DESC HAYSTACK NEEDLE
#   assert_files_equal DESC FILE1 FILE2   (a short diff excerpt on failure)
#   test_case NAME                        prefixes the following failure lines
#   run_at_once N PREFIX CMD ARGS...      N copies of a command started at the same moment; copy i writes
#                                         PREFIX_i.out and PREFIX_i.err; sets STATUSES ("0 0 ... ")

TESTS_PASSED=0
TESTS_FAILED=0
CURRENT_TEST=""
OUT="" ERR="" STATUS=0

test_case() { CURRENT_TEST=$1; }

# One line, not too long: failure lines must stay one per failure.
_one_line() {
  local text=${1//$'\n'/\\n}
  if (( ${#text} > 300 )); then text="${text:0:300}..."; fi
  printf '%s' "$text"
}

pass() { TESTS_PASSED=$((TESTS_PASSED + 1)); }
fail() {
  TESTS_FAILED=$((TESTS_FAILED + 1))
  printf 'FAIL: %s%s\n' "${CURRENT_TEST:+$CURRENT_TEST: }" "$(_one_line "$*")"
}

run() {
  local out_file err_file
  out_file=$(mktemp) err_file=$(mktemp)
  "$@" >"$out_file" 2>"$err_file"
  STATUS=$?
  OUT=$(cat "$out_file")
  ERR=$(cat "$err_file")
  rm -f "$out_file" "$err_file"
  return 0
}

assert_status() {
  local desc=$1 expected=$2
  if [[ "$STATUS" == "$expected" ]]; then pass; else
    fail "$desc: exit status $STATUS, expected $expected (stderr: $ERR)"
  fi
}

assert_exit() {
  local desc=$1 expected=$2
  shift 2
  run "$@"
  assert_status "$desc" "$expected"
}

assert_eq() {
  local desc=$1 expected=$2 actual=$3
  if [[ "$actual" == "$expected" ]]; then pass; else
    fail "$desc: expected [$expected], got [$actual]"
  fi
}

assert_ne() {
  local desc=$1 unexpected=$2 actual=$3
  if [[ "$actual" != "$unexpected" ]]; then pass; else
    fail "$desc: did not expect [$actual]"
  fi
}

assert_contains() {
  local desc=$1 haystack=$2 needle=$3
  if [[ "$haystack" == *"$needle"* ]]; then pass; else
    fail "$desc: [$needle] not found in [$haystack]"
  fi
}

assert_not_contains() {
  local desc=$1 haystack=$2 needle=$3
  if [[ "$haystack" != *"$needle"* ]]; then pass; else
    fail "$desc: [$needle] unexpectedly found in [$haystack]"
  fi
}

assert_files_equal() {
  local desc=$1 first=$2 second=$3
  if cmp -s "$first" "$second"; then pass; else
    fail "$desc: files differ: $(diff "$first" "$second" | head -n 6)"
  fi
}

run_at_once() {
  local count=$1 prefix=$2 go i pid pids=()
  shift 2
  go=$(mktemp -u /tmp/pgshift-go.XXXXXX)
  for ((i = 1; i <= count; i++)); do
    # Each copy spins until the go file appears, so that they really start together.
    ( while [[ ! -e "$go" ]]; do sleep 0.01; done
      exec "$@" >"${prefix}_$i.out" 2>"${prefix}_$i.err" ) &
    pids+=("$!")
  done
  touch "$go"
  STATUSES=""
  for pid in "${pids[@]}"; do wait "$pid"; STATUSES+="$? "; done
  rm -f "$go"
}

finish_tests() {
  echo "$TESTS_PASSED passed, $TESTS_FAILED failed"
  [[ $TESTS_FAILED -eq 0 ]]
}
