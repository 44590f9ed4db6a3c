#!/usr/bin/env bash
# Render a .docx to PNG pages with LibreOffice (headless) and poppler, to look
# at the layout a reader will get:
#
#   scripts/render-docx.sh FILE.docx OUT_DIR [DPI]   -> OUT_DIR/page-1.png, …
#
# Needs `soffice` (Debian: libreoffice-writer-nogui) and `pdftoppm`
# (poppler-utils); a Chinese font (fonts-wqy-zenhei) stands in for 仿宋/黑体.
set -euo pipefail
file="${1:?usage: scripts/render-docx.sh FILE.docx OUT_DIR [DPI]}"
out="${2:?usage: scripts/render-docx.sh FILE.docx OUT_DIR [DPI]}"
dpi="${3:-72}"
command -v soffice >/dev/null || { echo "soffice not found: apt-get install libreoffice-writer-nogui" >&2; exit 1; }
command -v pdftoppm >/dev/null || { echo "pdftoppm not found: apt-get install poppler-utils" >&2; exit 1; }
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A profile of its own, so that a running LibreOffice is not disturbed.
soffice -env:UserInstallation="file://$work/profile" --headless --convert-to pdf \
  --outdir "$work" "$file" >/dev/null
pdf="$work/$(basename "${file%.*}").pdf"
pdftoppm -r "$dpi" -png "$pdf" "$out/page"
ls "$out"/page-*.png
