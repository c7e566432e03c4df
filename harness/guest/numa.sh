#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest of two NUMA nodes: the example scheduler cases (see
# schedulers.sh), then the selftests whose names hold FILTER (see
# selftests.sh), one after the other in the one guest.  Each leaves its
# results in OUTDIR as it would alone; guest-finished is the selftests'.
#
# usage: numa.sh OUTDIR SECONDS RUNNER FILTER SCHEDULER...
set -uo pipefail

outdir=$1
duration=$2
runner=$3
filter=$4
shift 4
here=$(dirname "${BASH_SOURCE[0]}")

"$here/schedulers.sh" "$outdir" "$duration" "$@"
rm -f "$outdir/guest-finished"
"$here/selftests.sh" "$outdir" "$runner" -t "$filter"
