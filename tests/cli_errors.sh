#!/usr/bin/env bash
# Every bad input to `convbench apply` (and bad options of the other commands) must give one
# line on stderr, a non-zero exit, no output file, no temporary left behind, and must leave an
# existing file under the output name untouched.
# usage: tests/cli_errors.sh build/convbench   (PYTHON = a Python with numpy)
set -u
CB=${1:?usage: cli_errors.sh PATH/TO/convbench}
PY=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# Good inputs the bad cases vary.
"$PY" - "$work" <<'PYEOF'
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(1)
np.save(f"{d}/grey.npy", rng.integers(0, 255, (6, 7)).astype(np.float32))
np.save(f"{d}/rgb.npy", rng.integers(0, 255, (6, 7, 3)).astype(np.uint8))
np.save(f"{d}/k2.npy", np.ones((4, 4), np.float32))
np.save(f"{d}/k_c2.npy", np.ones((3, 3, 2), np.float32))
np.save(f"{d}/obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
np.save(f"{d}/complex.npy", np.zeros((3, 3), np.complex64))
np.save(f"{d}/zero.npy", np.zeros((0, 5), np.float32))
np.save(f"{d}/k5d.npy", np.zeros((1, 1, 1, 1, 1), np.float32))
np.save(f"{d}/bank5.npy", np.zeros((5, 3, 3, 1), np.float32))
np.save(f"{d}/vector.npy", np.zeros((5,), np.float32))
good = open(f"{d}/grey.npy", "rb").read()
open(f"{d}/truncated.npy", "wb").write(good[:-10])
open(f"{d}/badmagic.npy", "wb").write(b"\x93NUMPZ" + good[6:])
open(f"{d}/empty.npy", "wb").write(b"")
def with_header(text, data=b""):
    header = text.encode("latin1")
    pad = 64 - (10 + len(header) + 1) % 64
    header += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + data
open(f"{d}/badheader.npy", "wb").write(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)"))
open(f"{d}/negative.npy", "wb").write(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 2), }"))
open(f"{d}/overflow.npy", "wb").write(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }"))
open(f"{d}/huge.npy", "wb").write(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }", b"\0" * 64))
open(f"{d}/notpicture.png", "wb").write(b"this is not a png file at all")
open(f"{d}/truncated.png", "wb").write(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
PYEOF

# expect_error NAME OUTPUT_FILE ARGS...: runs convbench, checks the contract above.
expect_error() {
    local name=$1 out=$2
    shift 2
    local sentinel="already here"
    [ -n "$out" ] && printf '%s' "$sentinel" > "$work/$out"
    "$CB" "$@" > "$work/stdout" 2> "$work/stderr"
    local rc=$?
    local lines
    lines=$(wc -l < "$work/stderr")
    local problems=""
    [ "$rc" -eq 0 ] && problems+=" exit status 0;"
    [ "$rc" -ge 128 ] && problems+=" crashed (status $rc);"
    [ "$lines" -ne 1 ] && problems+=" $lines lines on stderr;"
    grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" "$work/stderr" && problems+=" sanitizer report;"
    if [ -n "$out" ] && [ "$(cat "$work/$out")" != "$sentinel" ]; then problems+=" output file changed;"; fi
    if ls "$work" | grep -q '\.tmp\.'; then problems+=" temporary file left;"; fi
    if [ -z "$problems" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $name:$problems stderr: $(head -c 300 "$work/stderr")"
    fi
    [ -n "$out" ] && rm -f "$work/$out"
    rm -f "$work"/*.tmp.*
}

w=$work
expect_error "no command"            ""        
expect_error "unknown command"       ""        frobnicate
expect_error "unknown option"        out.npy   apply --kernel box:3 --frob $w/grey.npy $w/out.npy
expect_error "missing kernel"        out.npy   apply $w/grey.npy $w/out.npy
expect_error "option without value"  ""        apply $w/grey.npy $w/out.npy --kernel
expect_error "missing output"        ""        apply --kernel box:3 $w/grey.npy
expect_error "extra argument"        out.npy   apply --kernel box:3 $w/grey.npy $w/out.npy $w/more.npy
expect_error "unknown mode"          out.npy   apply --kernel box:3 --mode middle $w/grey.npy $w/out.npy
expect_error "unknown boundary"      out.npy   apply --kernel box:3 --boundary reflect101 $w/grey.npy $w/out.npy
expect_error "unknown op"            out.npy   apply --kernel box:3 --op multiply $w/grey.npy $w/out.npy
expect_error "unknown kernel"        out.npy   apply --kernel blur $w/grey.npy $w/out.npy
expect_error "bad box size"          out.npy   apply --kernel box:0 $w/grey.npy $w/out.npy
expect_error "box size not number"   out.npy   apply --kernel box:x $w/grey.npy $w/out.npy
expect_error "gaussian bad sigma"    out.npy   apply --kernel gaussian:5:-1 $w/grey.npy $w/out.npy
expect_error "gaussian no sigma"     out.npy   apply --kernel gaussian:5 $w/grey.npy $w/out.npy
expect_error "unknown impl"          out.npy   apply --impl fastest --kernel box:3 $w/grey.npy $w/out.npy
expect_error "stride 0"              out.npy   apply --kernel box:3 --stride 0 $w/grey.npy $w/out.npy
expect_error "stride -1"             out.npy   apply --kernel box:3 --stride -1 $w/grey.npy $w/out.npy
expect_error "stride 1,0"            out.npy   apply --kernel box:3 --stride 1,0 $w/grey.npy $w/out.npy
expect_error "stride text"           out.npy   apply --kernel box:3 --stride two $w/grey.npy $w/out.npy
expect_error "fill not number"       out.npy   apply --kernel box:3 --fill-value abc $w/grey.npy $w/out.npy
expect_error "fill nan"              out.npy   apply --kernel box:3 --fill-value nan $w/grey.npy $w/out.npy
expect_error "fill too large"        out.npy   apply --kernel box:3 --fill-value 1e39 $w/grey.npy $w/out.npy
expect_error "valid kernel too big"  out.npy   apply --kernel box:9 --mode valid $w/grey.npy $w/out.npy
expect_error "kernel channels"       out.npy   apply --kernel $w/k_c2.npy $w/rgb.npy $w/out.npy
expect_error "kernel 5-d"            out.npy   apply --kernel $w/k5d.npy $w/grey.npy $w/out.npy
expect_error "kernel missing"        out.npy   apply --kernel $w/nokernel.npy $w/grey.npy $w/out.npy
expect_error "input missing"         out.npy   apply --kernel box:3 $w/missing.npy $w/out.npy
expect_error "input unknown type"    out.npy   apply --kernel box:3 $w/grey.txt $w/out.npy
expect_error "input 1-d"             out.npy   apply --kernel box:3 $w/vector.npy $w/out.npy
expect_error "npy empty file"        out.npy   apply --kernel box:3 $w/empty.npy $w/out.npy
expect_error "npy bad magic"         out.npy   apply --kernel box:3 $w/badmagic.npy $w/out.npy
expect_error "npy bad header"        out.npy   apply --kernel box:3 $w/badheader.npy $w/out.npy
expect_error "npy object dtype"      out.npy   apply --kernel box:3 $w/obj.npy $w/out.npy
expect_error "npy complex dtype"     out.npy   apply --kernel box:3 $w/complex.npy $w/out.npy
expect_error "npy zero dimension"    out.npy   apply --kernel box:3 $w/zero.npy $w/out.npy
expect_error "npy negative dim"      out.npy   apply --kernel box:3 $w/negative.npy $w/out.npy
expect_error "npy overflowing dims"  out.npy   apply --kernel box:3 $w/overflow.npy $w/out.npy
expect_error "npy data short"        out.npy   apply --kernel box:3 $w/truncated.npy $w/out.npy
expect_error "npy huge, no data"     out.npy   apply --kernel box:3 $w/huge.npy $w/out.npy
expect_error "picture not picture"   out.png   apply --kernel box:3 $w/notpicture.png $w/out.png
expect_error "picture truncated"     out.png   apply --kernel box:3 $w/truncated.png $w/out.png
expect_error "output type"           out.txt   apply --kernel box:3 $w/grey.npy $w/out.txt
expect_error "output dir missing"    ""        apply --kernel box:3 $w/grey.npy $w/nodir/out.npy
expect_error "png too many maps"     out.png   apply --kernel $w/bank5.npy $w/grey.npy $w/out.png
expect_error "check unknown impl"    ""        check --impl nosuch
expect_error "check bad case"        ""        check --case "H=0"
expect_error "check bad data"        ""        check --case "H=4" --data float
expect_error "check unknown option"  ""        check --fast
expect_error "list extra"            ""        list --all
expect_error "bench unknown option"  ""        bench --frob
expect_error "bench bad sizes"       ""        bench --sizes 0
expect_error "bench bad auto mode"   ""        bench --auto fast
expect_error "apply bad auto mode"   out.npy   apply --auto fast --kernel box:3 $w/grey.npy $w/out.npy
expect_error "explain no problem"    ""        explain
expect_error "explain bad problem"   ""        explain "H=0 K=3"
expect_error "explain two problems"  ""        explain "H=8 K=3" "H=9 K=3"
expect_error "explain bad kernel"    ""        explain --kernel nosuch "H=8 K=3"
expect_error "explain kernel shape"  ""        explain --kernel box:5 "H=8 K=3"
expect_error "explain bad threads"   ""        explain --threads 0 "H=8 K=3"
expect_error "explain no value"      ""        explain "H=8 K=3" --threads
expect_error "explain unknown opt"   ""        explain --frob "H=8 K=3"

echo "cli_errors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
