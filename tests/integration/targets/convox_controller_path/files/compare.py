"""Compare the registered results of runme.yml on both paths, key by key (generated values masked)."""

import json
import re
import sys

GENERATED = re.compile(
    r"\b[RBP][A-Z]{10}\b|\b[0-9a-f]{12}\b|\beyJ[\w.-]+"
    r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?Z?|\b\d+:\d\d:\d\d\.\d+"
)


def normalise(value):
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        return GENERATED.sub("<generated>", value)
    return value


def differences(a, b, where):
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                yield f"{where}.{key}: only on {'the first' if key in a else 'the second'} path"
            else:
                yield from differences(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from differences(x, y, f"{where}[{i}]")
    elif a != b:
        yield f"{where}: {a!r} != {b!r}"


def load(path):
    with open(path, encoding="utf-8") as handle:
        return normalise(json.load(handle))


def main():
    first, *others = (load(path) for path in sys.argv[1:])
    problems = [p for other in others for p in differences(first, other, "results")]
    for problem in problems:
        print(problem)
    print(f"compared {len(first)} results on {len(sys.argv) - 1} runs: {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
