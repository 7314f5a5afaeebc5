"""Summarise pip-audit's JSON: exit 1 on any known vulnerability; say how many were unchecked."""

import json
import sys

with open(sys.argv[1]) as f:
    report = json.load(f)

dependencies = report["dependencies"]
vulnerable = [d for d in dependencies if d.get("vulns")]
unchecked = [d for d in dependencies if "skip_reason" in d]
checked = len(dependencies) - len(unchecked)

for dep in vulnerable:
    ids = ", ".join(v["id"] for v in dep["vulns"])
    fixes = sorted({fix for v in dep["vulns"] for fix in v.get("fix_versions", [])})
    print(f"VULNERABLE {dep['name']} {dep['version']}: {ids} (fixed in {', '.join(fixes) or '?'})")
total = len(dependencies)
print(f"pip-audit: {checked} of {total} packages checked, {len(vulnerable)} vulnerable.")
if unchecked:
    print(
        f"WARNING: {len(unchecked)} packages could not be checked (the advisory service did not "
        f"answer for them), e.g. {unchecked[0]['name']}: this run proves nothing about those."
    )
sys.exit(1 if vulnerable else 0)
