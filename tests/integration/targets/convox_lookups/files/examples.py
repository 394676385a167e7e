"""Write the EXAMPLES of plugins, as ansible-doc shows them, into one playbook for localhost.

    python examples.py OUT.yml TYPE:NAME...

Each example list becomes the tasks of the play, unchanged, so what the docs show is what runs.
"""

from __future__ import annotations

import json
import subprocess
import sys

import yaml


def main() -> int:
    out, names = sys.argv[1], sys.argv[2:]
    tasks = []
    for item in names:
        kind, name = item.split(":", 1)
        answer = subprocess.run(
            ["ansible-doc", "-t", kind, "--json", name], check=True, capture_output=True, text=True
        ).stdout
        examples = json.loads(answer)[name]["examples"]
        tasks.extend(yaml.safe_load(examples))
    play = [{"name": "The plugins' EXAMPLES", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    with open(out, "w", encoding="utf-8") as handle:
        yaml.safe_dump(play, handle, sort_keys=False)
    print(f"{len(tasks)} example tasks from {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
