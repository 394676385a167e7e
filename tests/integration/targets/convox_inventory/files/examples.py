"""Write the inventory plugin's EXAMPLES, as ansible-doc shows them, into files that run here.

    python examples.py DIR STAGING_URL CONSOLE_URL

The examples are inventory files one after the other, each starting with a comment that names it
(``# racks.convox.yml: ...``; one YAML document, as ansible-test's yamllint of 2.16 wants). Each
becomes DIR/example<N>.convox.yml, with only the addresses (and the console rack name, the cache
directory) replaced by the emulators' ones.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import yaml


def main() -> int:
    out, staging, console = sys.argv[1:4]
    answer = subprocess.run(
        ["ansible-doc", "-t", "inventory", "--json", "convox.convox.convox"], check=True, capture_output=True, text=True
    ).stdout
    text = json.loads(answer)["convox.convox.convox"]["examples"]
    replaced = (
        text.replace("https://api.staging.example.com", staging)
        .replace("console.convox.com", console)
        .replace("acme/production", "acme/prod")
        .replace("~/.cache/convox-inventory", os.path.join(out, "examples-cache"))
    )
    chunks = [chunk for chunk in re.split(r"\n(?=# \S+\.convox\.ya?ml:)", replaced) if "plugin:" in chunk]
    documents = [yaml.safe_load(chunk) for chunk in chunks]
    if len(chunks) != 3 or not all(doc.get("plugin") == "convox.convox.convox" for doc in documents):
        problem = "the examples are not three inventory files of convox.convox.convox, each after '# NAME.convox.yml:'"
        print(problem, file=sys.stderr)
        return 1
    for number, chunk in enumerate(chunks, 1):
        with open(os.path.join(out, f"example{number}.convox.yml"), "w", encoding="utf-8") as handle:
            handle.write(chunk)
    print(f"{len(documents)} inventory examples written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
