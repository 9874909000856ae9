#!/usr/bin/env bash
# `make audit`: the project's pinned Python packages against PyPI's vulnerability data, with pip-audit.
#
# What is audited: every package installed in .venv (pip freeze: requirements.txt, requirements-dev.txt and
# everything they pull in, at the versions the tests ran against), after checking that .venv still matches
# the pins. pip-audit reads that list with --no-deps, so nothing is resolved or installed again.
#
# Exit codes:
#   0  no vulnerability that a newer release fixes (findings without a fix are listed, and do not fail);
#      or the advisory source is unreachable: one line says the audit was skipped.
#   1  a pinned package has a vulnerability with a fixed release; or the audit failed after the source
#      answered. A failure is never reported as a pass, and never as "skipped".
#   2  set-up: no .venv, .venv out of date with the pins, or pip-audit could not be installed.
#
# AUDIT_IGNORE="ID ..." ignores advisories by id (GHSA-/PYSEC-/CVE-), e.g. one that does not apply to us.
# The npm packages (Azurite, the Adaptive Cards renderer, markdown-it) are dev-only stand-ins that never
# ship with the Function App: they are audited for information only when the npm advisory endpoint answers.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
PROJECT_VENV=.venv
AUDIT_VENV=.venv-audit
AUDIT_REQUIREMENTS=scripts/requirements-audit.txt
PYPI=https://pypi.org  # pip-audit's PyPI service always asks pypi.org's JSON API, whatever the pip index
started=$SECONDS

if [[ ! -x $PROJECT_VENV/bin/python ]]; then
    echo "audit: no $PROJECT_VENV; run 'make setup' first" >&2
    exit 2
fi

# pip-audit lives in its own venv, rebuilt when its pins change, so it never touches .venv.
stamp=$(sha256sum "$AUDIT_REQUIREMENTS" | cut -d' ' -f1)
if [[ ! -x $AUDIT_VENV/bin/pip-audit || $(cat "$AUDIT_VENV/.ready" 2>/dev/null) != "$stamp" ]]; then
    rm -rf "$AUDIT_VENV"
    if ! { "$PYTHON" -m venv "$AUDIT_VENV" \
        && "$AUDIT_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$AUDIT_REQUIREMENTS"; } >&2; then
        echo "audit: could not install pip-audit into $AUDIT_VENV (see above)" >&2
        exit 2
    fi
    echo '*' > "$AUDIT_VENV/.gitignore"  # keeps it out of git even before .gitignore lists it
    echo "$stamp" > "$AUDIT_VENV/.ready"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# npm: information only (see the header). npm audit asks the registry's bulk advisory endpoint.
npm_information() {
    command -v npm >/dev/null && [[ -f package-lock.json ]] || return 0
    npm audit --package-lock-only --json --loglevel=silent >"$work/npm.json" 2>/dev/null || true
    "$AUDIT_VENV/bin/python" - "$work/npm.json" <<'PY' || true
import json, sys
try:
    report = json.load(open(sys.argv[1]))
except ValueError:
    report = {}
counts = report.get("metadata", {}).get("vulnerabilities")
if counts is None:
    why = report.get("message") or (report.get("error") or {}).get("summary") or "no report"
    print(f"npm (dev only, not gating): skipped, the advisory endpoint did not answer: {str(why)[:120]}")
else:
    found = ", ".join(f"{n} {level}" for level, n in counts.items() if level != "total" and n) or "none"
    print(f"npm (dev only, not gating): {counts.get('total', 0)} advisories ({found}); details: npm audit")
PY
}

# The pins as installed. The project venv's own Python reads its metadata (stdlib only), checks it against
# the requirement files, and notes which packages the deployed Function App needs (the rest are dev-only).
"$PROJECT_VENV/bin/python" - "$work" requirements.txt requirements-dev.txt <<'PY' || exit 2
import json, re, sys
from importlib import metadata
from pathlib import Path

work, runtime_file, *other_files = sys.argv[1:]
canon = lambda name: re.sub(r"[-_.]+", "-", name).lower()
TOOLS = {"pip", "setuptools", "wheel", "distribute"}  # the venv's own bootstrap, as pip freeze leaves out

installed = {}
for dist in metadata.distributions():
    name = dist.metadata["Name"]
    if name and canon(name) not in TOOLS:
        installed[canon(name)] = (name, dist.version, dist)

def pins(path):
    found = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r"):
            found.update(pins(Path(path).parent / line[2:].strip()))
        elif "==" in line:
            name, version = (part.strip() for part in line.split("==", 1))
            found[canon(re.sub(r"\[.*\]", "", name))] = version.split(";")[0].strip()
    return found

pinned = {name: version for path in [runtime_file, *other_files] for name, version in pins(path).items()}
stale = [f"{name}: .venv has {installed[name][1] if name in installed else 'nothing'}, the pin is {version}"
         for name, version in pinned.items() if installed.get(name, (None, None))[1] != version]
if stale:
    print("audit: .venv does not match the pins; run 'make setup':\n  " + "\n  ".join(stale), file=sys.stderr)
    sys.exit(2)

# The runtime closure: requirements.txt and what it requires, following the installed metadata.
runtime, todo = set(), list(pins(runtime_file))
while todo:
    name = todo.pop()
    if name in runtime or name not in installed:
        continue
    runtime.add(name)
    for requirement in installed[name][2].requires or ():
        spec, _, marker = requirement.partition(";")
        if "extra ==" in marker:
            continue  # optional extras are only installed when asked for by name (and then appear as pins)
        todo.append(canon(re.split(r"[\s<>=!~\[(]", spec.strip(), maxsplit=1)[0]))

Path(work, "pins.txt").write_text("".join(f"{name}=={version}\n" for name, version, _ in sorted(installed.values())))
Path(work, "runtime.json").write_text(json.dumps(sorted(runtime)))
PY
count=$(wc -l < "$work/pins.txt")

# Is the advisory source there? Ask it about a release that certainly exists (pip-audit's own). Only an
# unreachable source skips the audit, and only before anything was audited, so no finding can be lost.
probe=0
"$AUDIT_VENV/bin/python" - "$PYPI" "$(grep -i '^pip[-_]audit==' "$AUDIT_REQUIREMENTS" | cut -d= -f3)" <<'PY' || probe=$?
import sys
import requests

SKIP = 10
pypi, version = sys.argv[1:]
url = f"{pypi}/pypi/pip-audit/{version}/json"
try:
    status = requests.get(url, timeout=15).status_code
except requests.RequestException as error:
    print(f"audit skipped: the advisory source {pypi} is unreachable ({type(error).__name__})")
    sys.exit(SKIP)
if status == 404:  # a registry mirror or proxy that serves packages but not PyPI's per-release JSON API
    print(f"audit skipped: the advisory source is unreachable: {pypi} serves no per-release JSON ({url}: 404)")
    sys.exit(SKIP)
if status >= 500 or status in (401, 403, 407, 429):  # down, throttling, or a proxy that blocks it
    print(f"audit skipped: the advisory source {pypi} is unreachable (HTTP {status})")
    sys.exit(SKIP)
PY
case $probe in
    0) ;;
    10) npm_information; exit 0 ;;  # skipped: nothing was audited, so nothing was hidden
    *) echo "audit: the reachability check itself failed (exit $probe)" >&2; exit 2 ;;
esac

ignore=()
for id in ${AUDIT_IGNORE:-}; do ignore+=(--ignore-vuln "$id"); done
set +e
"$AUDIT_VENV/bin/pip-audit" -r "$work/pins.txt" --no-deps --disable-pip --vulnerability-service pypi \
    --format json --output "$work/report.json" --aliases on --desc off --progress-spinner off \
    --cache-dir "$AUDIT_VENV/http-cache" "${ignore[@]}" 2>"$work/stderr"
audit_status=$?
set -e

python_status=0
"$AUDIT_VENV/bin/python" - "$work" "$audit_status" "$count" "$((SECONDS - started))" <<'PY' || python_status=$?
import json, re, sys
from pathlib import Path

work, audit_status, count, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
try:
    report = json.loads(Path(work, "report.json").read_text())
except (OSError, ValueError):
    # No report: pip-audit stopped (a connection dropped mid-way, a 5xx, a crash). The source answered the
    # probe, so this is a failed audit, not a skipped one.
    print(f"audit FAILED: pip-audit exited {audit_status} without a report; its last words:", file=sys.stderr)
    print("\n".join(Path(work, "stderr").read_text().strip().splitlines()[-5:]), file=sys.stderr)
    sys.exit(1)

runtime = set(json.loads(Path(work, "runtime.json").read_text()))
canon = lambda name: re.sub(r"[-_.]+", "-", name).lower()
fixable = unfixed = 0
for dependency in report["dependencies"]:
    for vuln in dependency.get("vulns", []):
        fixes = vuln.get("fix_versions") or []
        fixable += bool(fixes)
        unfixed += not fixes
        scope = "runtime" if canon(dependency["name"]) in runtime else "dev only"
        aliases = f" ({', '.join(vuln['aliases'])})" if vuln.get("aliases") else ""
        remedy = f"fixed in {', '.join(fixes)}" if fixes else "no fixed release yet (not failing)"
        print(f"{'FAIL' if fixes else 'note'}  {dependency['name']}=={dependency['version']} [{scope}]: "
              f"{vuln['id']}{aliases}: {remedy}")
skipped = [d for d in report["dependencies"] if "skip_reason" in d]
for dependency in skipped:
    print(f"not audited: {dependency['skip_reason']}", file=sys.stderr)

audited = len(report["dependencies"]) - len(skipped)
summary = (f"{audited} of {count} pinned packages audited against PyPI's advisories in {seconds}s: "
           f"{fixable} vulnerabilities with a fixed release, {unfixed} without")
if fixable:
    print(f"audit FAILED: {summary}; upgrade the pins above")
    sys.exit(1)
if skipped or len(report["dependencies"]) != count:
    print(f"audit FAILED: {summary}; the others could not be audited (above)")
    sys.exit(1)
print(f"audit passed: {summary}")
PY

npm_information
exit "$python_status"
