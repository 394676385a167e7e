"""Write the inventory plugin's EXAMPLES, as ansible-doc shows them, into files that run here.

    python examples.py DIR STAGING_URL CONSOLE_URL

The examples are one YAML mapping of inventory file names to their contents (one document without
duplicate keys, as ansible-test's yamllint of 2.16 and ansible-lint want). Each file becomes
DIR/example<N>.convox.yml, with only the addresses (and the console rack name, the cache
directory) replaced by the emulators' ones.
"""

from __future__ import annotations

import json
import os
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
    files = yaml.safe_load(replaced)  # {file name: the file's content}
    documents = [yaml.safe_load(content) for content in files.values()]
    if len(files) != 3 or not all(doc.get("plugin") == "convox.convox.convox" for doc in documents):
        print("the examples are not three inventory files of convox.convox.convox (name: content)", file=sys.stderr)
        return 1
    for number, content in enumerate(files.values(), 1):
        with open(os.path.join(out, f"example{number}.convox.yml"), "w", encoding="utf-8") as handle:
            handle.write(content)
    print(f"{len(documents)} inventory examples written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
