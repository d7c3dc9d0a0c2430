#!/usr/bin/env bash
# Rebuild the GOV.UK Frontend assets shipped in src/apforms/web/static/govuk/ (committed, so
# that the web app needs no network and no Node.js at run time). Needs npm (registry access).
# apforms is not a GOV.UK service: GDS Transport (licensed for GOV.UK only) and the crown are
# left out, and the CSS is compiled with system fonts.
set -euo pipefail
VERSION=${1:-5.14.0}
out="$(cd "$(dirname "$0")/.." && pwd)/src/apforms/web/static/govuk"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund "govuk-frontend@$VERSION" sass@1
cat > in.scss <<'SCSS'
$govuk-font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
$govuk-include-default-font-face: false;
@import "node_modules/govuk-frontend/dist/govuk/index";
SCSS
npx sass --style=compressed --no-source-map --quiet-deps --silence-deprecation=import in.scss "$out/govuk-frontend.min.css"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$out/"
printf "GOV.UK Frontend %s, MIT licence, (c) Crown copyright (Government Digital Service).\nhttps://github.com/alphagov/govuk-frontend\n" "$VERSION" > "$out/LICENSE.txt"
echo "govuk-frontend $VERSION" > "$out/VERSION"
