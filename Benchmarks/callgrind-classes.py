#!/usr/bin/env python3
"""Splits a callgrind profile's instructions into classes by function name (BENCHMARKS.md,
"Where the instructions go, by kind").

    valgrind --tool=callgrind --callgrind-out-file=cg.out /tmp/ks bench broadcast --nodes 2000
    python3 Benchmarks/callgrind-classes.py cg.out

Each function's self cost goes to the first class whose pattern its demangled name matches;
functions of the profiled binary that match none are "kruise-sim's own code".
"""
import re
import subprocess
import sys

CLASSES = [
    ("reference counting", r"swift_(retain|release|bridgeObjectRe|unownedRe|nonatomic)|doDecrementSlow|swift_isUniquelyReferenced"),
    ("allocation and freeing", r"malloc\.c|swift_allocObject|swift_slowAlloc|swift_slowDealloc|swift_dealloc|_swift_release_dealloc|swift_setDeallocating|swift_arrayDestroy|swift_initStackObject"),
    ("the concurrency runtime", r"libswift_Concurrency|pthread_mutex|tls_get_addr"),
    ("start-up", r"conformsToProtocol|ld-linux|dl-lookup|dl-new-hash"),
    ("hashing and string comparison", r"StringKey\.hash|RawDictionaryStorage\.find|Hasher|_stringCompare|String\.hash|memcmp"),
    ("copying and destroying values", r"initializeWithCopy|outlined (copy|destroy|init with copy|consume)|destroy for|assignWithCopy|initializeWithTake"),
]


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: callgrind-classes.py CALLGRIND_OUT_FILE")
    annotated = subprocess.run(["callgrind_annotate", "--threshold=100", sys.argv[1]],
                               capture_output=True, text=True, check=True).stdout
    text = subprocess.run(["swift", "demangle", "--simplified"], input=annotated,
                          capture_output=True, text=True, check=True).stdout
    total = None
    binary = None
    sums = {name: 0 for name, _ in CLASSES}
    own = other = 0
    for line in text.splitlines():
        m = re.match(r"^\s*([\d,]+) \(", line)
        if not m:
            m2 = re.match(r"^Profiled target:\s+(\S+)", line)
            if m2:
                binary = m2.group(1)
            continue
        count = int(m.group(1).replace(",", ""))
        if "PROGRAM TOTALS" in line:
            total = count
            continue
        for name, pattern in CLASSES:
            if re.search(pattern, line):
                sums[name] += count
                break
        else:
            if binary and line.rstrip().endswith("[" + binary + "]"):
                own += count
            else:
                other += count
    if not total:
        sys.exit("no PROGRAM TOTALS in the profile")
    print(f"{'total':40s} {total:>15,}")
    for name, count in list(sums.items()) + [("the rest of the runtime and libraries", other), ("kruise-sim's own code", own)]:
        print(f"{name:40s} {count:>15,} {100 * count / total:5.1f}%")


if __name__ == "__main__":
    main()
