#!/usr/bin/env bash
# A/B of two harness builds on the same input: alternates them for N pairs (A B, then B A, ...), one process each,
# and prints per-analyzer medians over the pairs for both builds and the paired difference B - A.
#
#   tests/InteropGuard.Performance/ab.sh A.dll B.dll PAIRS [harness options...]
#   e.g. ab.sh base/InteropGuard.Performance.dll new/InteropGuard.Performance.dll 4 --sizes 400 --flavour interop --runs 10 --no-memory
#
# A.dll and B.dll are InteropGuard.Performance.dll of two builds (copy each build's bin/Release/net10.0 folder aside
# first). Both must write --json (this script adds it); with --clock cpu (the default) the figures are each analyzer's
# own processor time, with --clock wall the driver's telemetry. Results stay in AB_OUT (default: a new temporary
# folder), one JSON and one log per run. Do not run anything else heavy meanwhile; the load average is printed.
set -euo pipefail

if [ $# -lt 3 ]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi

a=$1; b=$2; pairs=$3; shift 3
for dll in "$a" "$b"; do
  [ -f "$dll" ] || { echo "error: $dll not found" >&2; exit 2; }
done
case $pairs in ''|*[!0-9]*) echo "error: PAIRS must be a whole number, not '$pairs'" >&2; exit 2;; esac
out=${AB_OUT:-$(mktemp -d)}
mkdir -p "$out"


echo "A = $a"
echo "B = $b"
echo "harness options: $*"
for ((i = 1; i <= pairs; i++)); do
  # The order alternates so that neither build always runs on a machine the other one has just warmed or loaded.
  if (( i % 2 == 1 )); then
    dotnet "$a" "$@" --json "$out/A-$i.json" > "$out/A-$i.log" 2>&1 || { echo "error: see $out/A-$i.log" >&2; exit 1; }
    echo "  pair $i: A done $(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg)"
    dotnet "$b" "$@" --json "$out/B-$i.json" > "$out/B-$i.log" 2>&1 || { echo "error: see $out/B-$i.log" >&2; exit 1; }
    echo "  pair $i: B done $(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg)"
  else
    dotnet "$b" "$@" --json "$out/B-$i.json" > "$out/B-$i.log" 2>&1 || { echo "error: see $out/B-$i.log" >&2; exit 1; }
    echo "  pair $i: B done $(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg)"
    dotnet "$a" "$@" --json "$out/A-$i.json" > "$out/A-$i.log" 2>&1 || { echo "error: see $out/A-$i.log" >&2; exit 1; }
    echo "  pair $i: A done $(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg)"
  fi
done

python3 - "$out" "$pairs" <<'PY'
import json, statistics, sys

out, pairs = sys.argv[1], int(sys.argv[2])

def figures(workload, shared=False):
    """Per analyzer and in total, the figures one run gives: own processor time (shared: with the collections shared
    out by allocation), or telemetry with --clock wall."""
    cpu = workload.get("Clock") == "cpu"
    if shared:
        per = workload["InteropGuardSharedCollectionsAnalyzerMs"]
        rows = {"NetAnalyzers (total)": workload["NetAnalyzersSharedCollectionsMs"],
                "InteropGuard (total)": workload["InteropGuardSharedCollectionsMs"],
                "IG / NA %": workload["SharedCollectionsRatioPercent"]}
        rows.update(per)
        return "processor ms, collections shared out by allocation", rows
    per = workload["InteropGuardChargedAnalyzerMs"] if cpu else workload["InteropGuardAnalyzerMs"]
    rows = {"NetAnalyzers (total)": workload["NetAnalyzersChargedMs"] if cpu else workload["NetAnalyzersMs"],
            "InteropGuard (total)": workload["InteropGuardChargedMs"] if cpu else workload["InteropGuardMs"],
            "IG / NA %": workload["ChargedRatioPercent"] if cpu else workload["RatioPercent"]}
    rows.update(per)
    return ("processor ms" if cpu else "telemetry ms"), rows

runs = {side: [json.load(open(f"{out}/{side}-{i}.json")) for i in range(1, pairs + 1)] for side in "AB"}
def compare(w, name, shared):
    unit, _ = figures(runs["A"][0]["Workloads"][w], shared)
    a = [figures(run["Workloads"][w], shared)[1] for run in runs["A"]]
    b = [figures(run["Workloads"][w], shared)[1] for run in runs["B"]]
    findings = {side: {sum(run["Workloads"][w]["InteropGuardFindingsPerRun"][-1].values()) for run in runs[side]} for side in "AB"}
    print(f"\n{name}: {pairs} pairs, {unit} (each run's median over its rounds); InteropGuard findings A {sorted(findings['A'])}, B {sorted(findings['B'])}")
    print(f"  {'':40} {'A median':>10} {'B median':>10} {'B - A median':>13} {'(range over pairs)':>22} {'B - A %':>8}")
    keys = list(a[0].keys())
    keys = keys[:3] + sorted(keys[3:], key=lambda k: -statistics.median(r.get(k, 0) for r in a))
    def table(a, b, keys, fmt):
        for key in keys:
            av = [r.get(key, float("nan")) for r in a]
            bv = [r.get(key, float("nan")) for r in b]
            diff = [y - x for x, y in zip(av, bv)]
            am, bm, dm = statistics.median(av), statistics.median(bv), statistics.median(diff)
            pct = f"{100 * dm / am:+.1f}%" if am and key != "IG / NA %" else ""
            print(f"  {key:40} {am:10{fmt}} {bm:10{fmt}} {dm:+13{fmt}} {f'{min(diff):+{fmt}} .. {max(diff):+{fmt}}':>22} {pct:>8}")
    table(a, b, keys, ".1f")
    # Absolute milliseconds of both clocks move with the machine's load (processor time too: the cores are shared);
    # an analyzer's share of NetAnalyzers' time in the same run moves far less, so it is what to compare across runs.
    share = lambda runs: [{k: 100 * v / r["NetAnalyzers (total)"] for k, v in r.items() if k not in ("NetAnalyzers (total)", "IG / NA %")} for r in runs]
    print(f"  as % of NetAnalyzers in the same run:")
    table(share(a), share(b), [k for k in keys if k not in ("NetAnalyzers (total)", "IG / NA %")], ".2f")

for w, name in enumerate(workload["Name"] for workload in runs["A"][0]["Workloads"]):
    compare(w, name, shared=False)
    # A blocking collection is charged to whichever callback allocates when the heap fills; builds of this harness
    # from the twenty-sixth session on also write the figure that shares the collections out by allocation.
    if all("InteropGuardSharedCollectionsAnalyzerMs" in run["Workloads"][w] and run["Workloads"][w]["InteropGuardSharedCollectionsAnalyzerMs"]
           for side in "AB" for run in runs[side]):
        compare(w, name, shared=True)
PY
echo "runs: $out"
