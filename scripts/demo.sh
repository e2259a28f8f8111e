#!/usr/bin/env bash
# The README's walkthrough as a script, waiting on each step the way a client
# should (services learn of each other's changes through Kafka, a moment later):
# a product, stock at a location, a channel, an order from that channel, then
# the warehouse picks, packs and ships it and the channel's feed carries the
# tracking number. `make demo`; also part of `make test`, so it cannot rot.
#
# Starts what is missing (stack, services) like `make run`, and leaves it
# running if it was running before (else stops the services it started).
# Safe to run again: each run uses its own SKU and order number.
set -euo pipefail
LOG_TAG="demo"
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
cd "$REPO_ROOT"

mapfile -t STARTED < <(services_not_running)
cleanup() {
  local rc=$?
  if [[ ${#STARTED[@]} -gt 0 && ${CROSSDOCK_DEMO_KEEP:-0} != 1 ]]; then services_stop "${STARTED[@]}"; fi
  if [[ $rc -ne 0 ]]; then log "FAILED (exit $rc)"; fi
  exit "$rc"
}
trap cleanup EXIT

scripts/run.sh up >/dev/null

CATALOG="$(service_url catalog)"
ORDERS="$(service_url orders)"
INVENTORY="$(service_url inventory)"
WAREHOUSE="$(service_url warehouse)"
TOKEN="$(mint_token --role ops --subject demo --hours 1)"
PICKER="$(mint_token --role warehouse --subject demo-picker --hours 1)"
CHANNEL_TOKEN="$(mint_token --channel web-eu --subject demo-connector --hours 1)"
RUN="$(date +%s)"
SKU="TEE-RED-M-$RUN"
ORDER_NO="WEB-$RUN"
# A valid GTIN-13 per run: 12 digits and their GS1 check digit.
body12="400638$(printf '%06d' $((RUN % 1000000)))"
sum=0
for i in {0..11}; do
  d=${body12:$i:1}
  if ((i % 2)); then sum=$((sum + 3 * d)); else sum=$((sum + d)); fi
done
BARCODE="$body12$(((10 - sum % 10) % 10))"

step() { printf '\n==> %s\n' "$*" >&2; }

# api METHOD URL BEARER [JSON] -> prints the body; fails on a status outside 2xx.
api() {
  local method=$1 url=$2 bearer=$3 body=${4:-} out status
  out="$(mktemp)"
  local args=(-s -o "$out" -w '%{http_code}' -X "$method" "$url" -H "Authorization: Bearer $bearer")
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' -d "$body")
  status="$(curl "${args[@]}")"
  if [[ $status != 2* ]]; then
    log "$method $url answered $status: $(cat "$out")"
    rm -f "$out"
    return 1
  fi
  cat "$out"
  rm -f "$out"
}

# wait_until WHAT SECONDS COMMAND...: retries COMMAND (quietly) until it succeeds.
wait_until() {
  local what=$1 timeout=$2 t0=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - t0 >= timeout)); then
      log "gave up after ${timeout}s waiting for: $what"
      "$@" || true
      return 1
    fi
    sleep 0.3
  done
  log "$what (after $((SECONDS - t0))s)"
}

json_is() { # json_is URL BEARER JQ-FILTER: the filter is true for the body
  local body
  body="$(api GET "$1" "$2")" || return 1
  jq -e "$3" <<<"$body" >/dev/null
}

# Walks web-eu's updates feed from the start, page by page, as a connector
# polls it, until an update carries the tracking number.
feed_has_tracking() {
  local cursor=0 page
  while :; do
    page="$(api GET "$ORDERS/v1/channels/web-eu/updates?limit=500&cursor=$cursor" "$CHANNEL_TOKEN")" || return 1
    jq -e --arg t "$1" '[.items[].shipment.parcels[]?.tracking_number] | index($t) != null' <<<"$page" >/dev/null && return 0
    [[ $(jq '.items | length' <<<"$page") -eq 0 ]] && return 1
    cursor="$(jq -r .next_cursor <<<"$page")"
  done
}

step "a product with one variant, listed on web-eu at 29.90 EUR"
api POST "$CATALOG/v1/products" "$TOKEN" "$(jq -nc --arg sku "$SKU" --arg gtin "$BARCODE" '{
  title: "Merino tee", status: "active",
  variants: [{sku: $sku, barcode: $gtin,
    listings: [{channel_id: "web-eu", price: {amount: "29.90", currency: "EUR"}}]}]}')" |
  jq -c '{id, sku: .variants[0].sku}'

step "inventory and the warehouse learn of the SKU from catalog's event"
wait_until "inventory knows $SKU" 30 api GET "$INVENTORY/v1/stock/$SKU" "$TOKEN"

step "a location with 25 units"
api PUT "$INVENTORY/v1/locations/WH-PRIMARY" "$TOKEN" \
  '{"name":"Primary","kind":"warehouse","priority":10}' | jq -c '{code, priority}'
api POST "$INVENTORY/v1/adjustments" "$TOKEN" \
  "$(jq -nc --arg sku "$SKU" '{sku: $sku, location: "WH-PRIMARY", reason: "receipt", quantity_delta: 25}')" |
  jq -c '{sku, location, before: .on_hand_before, after: .on_hand_after}'

step "the channel web-eu (orders keeps the registry; inventory learns its rules)"
api PUT "$ORDERS/v1/channels/web-eu" "$TOKEN" \
  '{"kind":"web","name":"Web store","currency":"EUR","backorder_policy":"backorder"}' | jq -c '{id, kind}'

step "an order from web-eu for 2 units, placed with the channel's token"
ORDER_BODY="$(jq -nc --arg sku "$SKU" --arg no "$ORDER_NO" '{
  external_order_id: $no,
  customer: {email: "ada@example.com", name: "Ada"},
  shipping_address: {name: "Ada", line1: "Unter den Linden 1", city: "Berlin", postal_code: "10117", country: "DE"},
  lines: [{sku: $sku, quantity: 2, unit_price: {amount: "29.90", currency: "EUR"}}],
  shipping_total: {amount: "4.90", currency: "EUR"}, tax_total: {amount: "0", currency: "EUR"},
  discount_total: {amount: "0", currency: "EUR"}, total: {amount: "64.70", currency: "EUR"},
  payment_status: "paid", placed_at: (now | todate)}')"
# Orders, too, learns of the listing from catalog's event. Intake is idempotent
# on (channel, external order id), so a connector may simply send the order
# again while it answers "SKU ... may not have reached orders yet".
wait_until "orders accepted $ORDER_NO" 30 api POST "$ORDERS/v1/orders" "$CHANNEL_TOKEN" "$ORDER_BODY"
ORDER="$(api POST "$ORDERS/v1/orders" "$CHANNEL_TOKEN" "$ORDER_BODY")"
ORDER_ID="$(jq -r .id <<<"$ORDER")"
jq -c '{id, status}' <<<"$ORDER"
wait_until "order $ORDER_NO confirmed, reserved at WH-PRIMARY" 30 \
  json_is "$ORDERS/v1/orders/$ORDER_ID" "$TOKEN" '.status == "confirmed"'

step "the warehouse: a bin for the SKU, the order's fulfillment, a single-order wave"
# The warehouse learns of the SKU from catalog's event too; a PUT is
# idempotent, so it is simply sent again until the SKU has arrived.
BIN="$(jq -nc --arg sku "$SKU" '{zone: "A", aisle: "01", shelf: "01", level: "1", walk_sequence: 10, skus: [$sku]}')"
wait_until "bin A-01-01 stocks $SKU" 30 api PUT "$WAREHOUSE/v1/locations/WH-PRIMARY/bins/A-01-01" "$TOKEN" "$BIN"
wait_until "the warehouse has a fulfillment for $ORDER_NO" 30 \
  json_is "$WAREHOUSE/v1/fulfillments?order_id=$ORDER_ID" "$TOKEN" '.items | length == 1'
FULFILLMENT_ID="$(api GET "$WAREHOUSE/v1/fulfillments?order_id=$ORDER_ID" "$TOKEN" | jq -r '.items[0].id')"
WAVE="$(api POST "$WAREHOUSE/v1/fulfillments/$FULFILLMENT_ID/pick" "$TOKEN" '{}')"
TASK_ID="$(jq -r '.pick_lists[0].tasks[0].id' <<<"$WAVE")"

step "pick by scanning the bin, then the item; pack; ship with the label's tracking number"
api POST "$WAREHOUSE/v1/pick-tasks/$TASK_ID/scans" "$PICKER" \
  "$(jq -nc --arg gtin "$BARCODE" '{bin: "A-01-01", item: $gtin, quantity: 2}')" | jq -c '{status}'
PACKAGE_ID="$(api POST "$WAREHOUSE/v1/fulfillments/$FULFILLMENT_ID/packages" "$PICKER" '{}' | jq -r .id)"
api POST "$WAREHOUSE/v1/packages/$PACKAGE_ID/items" "$PICKER" \
  "$(jq -nc --arg gtin "$BARCODE" '{item: $gtin, quantity: 2}')" >/dev/null
CLOSED="$(api POST "$WAREHOUSE/v1/packages/$PACKAGE_ID/close" "$PICKER" \
  '{"weight_grams":400,"length_mm":300,"width_mm":200,"height_mm":40}')"
if [[ $(jq -r .qc_status <<<"$CLOSED") == pending ]]; then
  api POST "$WAREHOUSE/v1/packages/$PACKAGE_ID/quality-check" "$PICKER" '{"result":"passed"}' >/dev/null
fi
TRACKING="JJD$RUN"
api POST "$WAREHOUSE/v1/packages/$PACKAGE_ID/ship" "$PICKER" \
  "$(jq -nc --arg t "$TRACKING" '{tracking_number: $t}')" | jq -c '{status, tracking_number}'

step "the order is shipped, and the channel's feed carries the tracking number"
wait_until "order $ORDER_NO shipped" 30 json_is "$ORDERS/v1/orders/$ORDER_ID" "$TOKEN" '.status == "shipped"'
wait_until "web-eu's feed has tracking number $TRACKING" 30 feed_has_tracking "$TRACKING"
wait_until "inventory consumed the shipped units (23 on hand)" 30 \
  json_is "$INVENTORY/v1/stock/$SKU" "$TOKEN" '.on_hand == 23 and .reserved == 0'
log "demo complete: order $ORDER_NO placed, reserved, picked, packed and shipped ($TRACKING)"
