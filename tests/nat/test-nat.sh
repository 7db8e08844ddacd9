#!/bin/bash
# Run ferry-cli NAT traversal scenarios, each in a fresh lab (tests/nat/nat-lab.sh).
#
#   tests/nat/test-nat.sh [--repeat N] FERRY_CLI SCENARIO…      (SCENARIO "all": every one)
#
# Scenarios (A offers, B answers and echoes; 4 MiB from A, echoed back, SHA-256 compared):
#   cone-stun       cone <-> cone, STUN only: direct through srflx/prflx, never relay
#   symmetric-stun  symmetric <-> symmetric, STUN only: must fail, both peers exit non-zero
#   symmetric-turn  symmetric <-> symmetric, STUN + TURN/UDP: connects through a relay
#   relay-only      cone <-> cone, --relay-only + TURN/UDP on both: relay on both sides
#   turn-tcp        symmetric <-> symmetric, STUN + TURN/TCP: connects through a relay
#
# Exit status: 0 when every run passed, 77 when the lab is unavailable (no root, no coturn; a
# failure instead under CI=true), 1 otherwise. NAT_LOG_DIR=DIR keeps each peer's stderr there.
# G_MESSAGES_DEBUG=Ferry adds Ferry's debug output to each peer's stderr.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}

usage() {
  sed -n '2,4s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

# The lab's NAT types and nat-peers.py's arguments for one scenario. Single-quoted words are
# expanded by the shell inside the lab, where NAT_STUN_URL and friends are set.
scenario() {
  local stun='--both=--stun=$NAT_STUN_URL'
  local creds='--both=--turn-user=$NAT_TURN_USER --both=--turn-password=$NAT_TURN_PASSWORD'
  case "$1" in
    cone-stun)      echo "cone cone $stun --expect=direct" ;;
    symmetric-stun) echo "symmetric symmetric $stun --expect=fail --timeout=30" ;;
    symmetric-turn) echo "symmetric symmetric $stun --both=--turn=\$NAT_TURN_URL $creds --expect=relay" ;;
    relay-only)     echo "cone cone --both=--relay-only --both=--turn=\$NAT_TURN_URL $creds --expect=local-relay" ;;
    turn-tcp)       echo "symmetric symmetric $stun --both=--turn=\$NAT_TURN_TCP_URL $creds --expect=relay" ;;
    *) return 1 ;;
  esac
}

run_scenario() {
  local cli=$1 name=$2 run=$3 spec type_a type_b args
  spec=$(scenario "$name") || { echo "test-nat: unknown scenario '$name'" >&2; exit 2; }
  read -r type_a type_b args <<<"$spec"
  echo "=== $name (run $run): A $type_a, B $type_b"
  # nat-peers.py gets its arguments through `sh -c` so that $NAT_… expand inside the lab.
  "$here/nat-lab.sh" --name "ferry-nat" --a="$type_a" --b="$type_b" -- \
    sh -c "exec \"\$0\" \"\$1\" --cli=\"\$2\" --label=\"\$3\" $args" \
    "$python" "$here/nat-peers.py" "$cli" "$name-$run"
}

main() {
  local repeat=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --repeat) repeat=${2:?}; shift 2 ;;
      --repeat=*) repeat=${1#--repeat=}; shift ;;
      -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
      *) break ;;
    esac
  done
  [ $# -ge 2 ] || usage
  local cli=$1
  shift
  if ! command -v "$python" >/dev/null 2>&1; then
    # Same rule as nat-lab.sh: skip, but never silently under CI.
    [ "${CI:-}" = true ] && { echo "test-nat: FAIL: '$python' not found (CI=true)" >&2; exit 1; }
    echo "test-nat: SKIP: '$python' not found" >&2
    exit 77
  fi
  [ -x "$cli" ] || { echo "test-nat: '$cli' is not an executable" >&2; exit 2; }
  local names=("$@")
  [ "$*" = all ] && names=(cone-stun symmetric-stun symmetric-turn relay-only turn-tcp)

  local name i status failed=0 passed=0 t0 t1
  for i in $(seq 1 "$repeat"); do
    for name in "${names[@]}"; do
      t0=$(date +%s%N)
      set +e
      run_scenario "$cli" "$name" "$i"
      status=$?
      set -e
      t1=$(date +%s%N)
      case $status in
        0) passed=$((passed + 1)); echo "=== $name (run $i): PASS in $(( (t1 - t0) / 1000000 )) ms" ;;
        77) exit 77 ;;
        *) failed=$((failed + 1)); echo "=== $name (run $i): FAIL ($status) in $(( (t1 - t0) / 1000000 )) ms" ;;
      esac
    done
  done
  echo "=== $passed passed, $failed failed"
  [ $failed -eq 0 ]
}

main "$@"
