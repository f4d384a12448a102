#!/bin/sh
# Installs Læringsbot from this source tree: the package in a virtual environment of its own,
# and the folders it reads at run time beside it. The Dockerfile runs this script, the systemd
# route runs it by hand, and CI runs it in a fresh prefix (.ci/run), so the image's install
# steps are tested where no image can be built.
#
#   PREFIX=/opt/laeringsbot deploy/install.sh
#
# leaves:
#   $PREFIX/venv/         the package and its dependencies (laeringsbot in $PREFIX/venv/bin)
#   $PREFIX/dialogs/      the flows and texts (DIALOGS_DIR); replace or mount your own edits here
#   $PREFIX/manifest/     the Slack and Teams manifests (slack-manifest, teams-package read them)
#   $PREFIX/README.md     how to run it
set -eu

SOURCE=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/opt/laeringsbot}
PYTHON=${PYTHON:-python3}

"$PYTHON" -m venv "$PREFIX/venv"
# A wheel built from a copy of the package's files, not an editable install: the source may go
# afterwards, and setuptools' build/ folder (which keeps modules deleted since) stays out of it.
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT
cp -R "$SOURCE/pyproject.toml" "$SOURCE/README.md" "$SOURCE/bot" "$BUILD/"
find "$BUILD/bot" -name __pycache__ -prune -exec rm -rf {} +
"$PREFIX/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$BUILD"
rm -rf "$PREFIX/dialogs" "$PREFIX/manifest" "$PREFIX/README.md"
cp -R "$SOURCE/dialogs" "$PREFIX/dialogs"
cp -R "$SOURCE/manifest" "$PREFIX/manifest"
cp "$SOURCE/README.md" "$PREFIX/README.md"

# The installed bot reads what it was installed with.
DIALOGS_DIR="$PREFIX/dialogs" "$PREFIX/venv/bin/laeringsbot" check-dialogs >/dev/null
echo "installed Læringsbot in $PREFIX (DIALOGS_DIR=$PREFIX/dialogs)"
