#!/bin/sh
# plan-guard.sh: the plan / approved-digest glue for migration tools that can list their pending migrations but know
# nothing of this action. Copy it into your image (POSIX sh, awk and sha256sum: coreutils or busybox).
#
# Standard input: the pending migrations in apply order, one per line, as id<TAB>name<TAB>checksum (name and
# checksum may be empty; no field may hold a tab, a line break or another control character). Each recipe shows
# the command that prints it.
#
#   plan-guard.sh plan    prints the list and its digest, and writes `pending=[{"id":…,"name":…,"checksum":…},…]`
#                         (one line of JSON) to $TASK_OUTPUT when it is set
#   plan-guard.sh check   exits 0 when APPROVED_PLAN_DIGEST is empty or is the digest of this list, else 3
#
# The digest is the action's plan-digest: "sha256:" + the hex SHA-256 of the lines id\tname\tchecksum\n of the
# pending migrations in order, which is the SHA-256 of this standard input once normalised to exactly that form.
set -eu

mode="${1:-}"
case "$mode" in plan | check) ;; *) echo "usage: plan-guard.sh plan|check < pending.tsv" >&2; exit 2 ;; esac

list="$(mktemp)"
trap 'rm -f "$list"' EXIT
# Normalised: blank lines dropped, CR removed, always three fields, every line ending in \n.
tr -d '\r' | awk -F '\t' 'NF > 0 && $1 != "" { printf "%s\t%s\t%s\n", $1, $2, $3 }' > "$list"
digest="sha256:$(sha256sum < "$list" | cut -d ' ' -f 1)"
count="$(wc -l < "$list" | tr -d ' ')"

if [ "$mode" = check ]; then
  approved="${APPROVED_PLAN_DIGEST:-}"
  if [ -z "$approved" ]; then exit 0; fi
  if [ "$approved" = "$digest" ]; then
    echo "The pending migrations match the approved plan ($digest)."
    exit 0
  fi
  echo "Refusing to migrate: the pending migrations are not the approved plan." >&2
  echo "  approved: $approved" >&2
  echo "  pending:  $digest ($count: $(cut -f 1 "$list" | paste -sd ' ' -))" >&2
  exit 3
fi

echo "Pending migrations ($count):"
cut -f 1,2 "$list" | sed 's/^/  /'
echo "Plan digest: $digest"
if [ -n "${TASK_OUTPUT:-}" ]; then
  awk -F '\t' '
    function json(s) {
      gsub(/\\/, "&&", s); gsub(/"/, "\\\"", s)
      return "\"" s "\""
    }
    {
      item = "{\"id\":" json($1)
      if ($2 != "") item = item ",\"name\":" json($2)
      if ($3 != "") item = item ",\"checksum\":" json($3)
      items = items (NR > 1 ? "," : "") item "}"
    }
    END { print "pending=[" items "]" }
  ' "$list" >> "$TASK_OUTPUT"
fi
