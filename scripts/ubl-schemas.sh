#!/usr/bin/env bash
# The official OASIS UBL 2.1 schema files, fetched once from Maven Central
# (inside com.helger.ubl:ph-ubl21, with the schemas UBL imports by namespace
# only: CCTS core component types, XML-DSig, XAdES 1.3.2/1.4.1 from
# com.helger.xsd:ph-xsds-*) into a cache outside the clone, and unpacked.
# Prints the directory that holds maindoc/, common/ and external/:
#   scripts/ubl-schemas.sh   ->  ~/.cache/crossdock/ubl21-9.0.3/ubl21
# Billing's tests validate every rendered invoice and credit note against
# maindoc/UBL-Invoice-2.1.xsd and maindoc/UBL-CreditNote-2.1.xsd with the
# JDK's validator (scripts/ubl/XsdValidate.java). Idempotent.
set -euo pipefail
LOG_TAG="ubl-schemas"
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

VERSION="$(sed -n 's:.*<ph-ubl.version>\(.*\)</ph-ubl.version>.*:\1:p' "$LIB_DIR/ubl/pom.xml")"
CACHE="${CROSSDOCK_UBL_CACHE:-$HOME/.cache/crossdock/ubl21-$VERSION}"
if [[ -f $CACHE/.complete ]]; then
  echo "$CACHE/ubl21"
  exit 0
fi
command -v mvn >/dev/null || apt_install maven
command -v java >/dev/null || die "java is needed to fetch and validate UBL schemas"
mkdir -p "$CACHE"
tmp="$CACHE/tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
log "fetching com.helger.ubl:ph-ubl21:$VERSION (the UBL 2.1 schemas) from Maven Central"
if ! mvn -B -Dstyle.color=never -f "$LIB_DIR/ubl/pom.xml" dependency:copy-dependencies \
  -DincludeGroupIds=com.helger.ubl,com.helger.xsd -DoutputDirectory="$tmp/jar" >"$CACHE/mvn.log" 2>&1; then
  tail -n 30 "$CACHE/mvn.log" >&2
  rm -rf "$tmp"
  die "maven could not fetch ph-ubl21 $VERSION (log: $CACHE/mvn.log)"
fi
python3 - "$tmp" <<'PY'
import glob, os, sys, zipfile
tmp = sys.argv[1]
for jar in glob.glob(os.path.join(tmp, "jar", "*.jar")):
    with zipfile.ZipFile(jar) as z:
        for n in z.namelist():
            if n.startswith("external/schemas/ubl21/") and not n.endswith("/"):
                z.extract(n, tmp)
            elif n.startswith("schemas/") and n.endswith(".xsd"):
                out = os.path.join(tmp, "external/schemas/ubl21/external", os.path.basename(n))
                os.makedirs(os.path.dirname(out), exist_ok=True)
                with open(out, "wb") as f:
                    f.write(z.read(n))
PY
[[ -f $tmp/external/schemas/ubl21/external/CCTS_CCT_SchemaModule.xsd ]] || die "the CCTS schema module is missing from the fetched jars"
rm -rf "$CACHE/ubl21"
mv "$tmp/external/schemas/ubl21" "$CACHE/ubl21"
rm -rf "$tmp"
date -u +%FT%TZ >"$CACHE/.complete"
echo "$CACHE/ubl21"
