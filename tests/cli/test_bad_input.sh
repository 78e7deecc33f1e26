#!/bin/bash
# The bad-input catalogue: every case goes through both `validate` and `run`, which must
# refuse it the same way (exit 2, the same message naming file:line and key), before a
# results file exists. Then the cases accepted with a flag (--allow-empty,
# --allow-inactive-events) and the clamped --threads.
. "$(dirname "$0")/common.sh"

# a small base every case adds to: three central wards, 2% of the residents, 3 hours
base() {
  printf '[run]\nseed = 3\nstart = "2026-08-03T07:00"\nduration_hours = 3\n[city]\npopulation_scale = 0.02\nmunicipalities = ["Chiyoda", "Chuo", "Minato"]\n'
}

# refused NAME "expected message" -- extra run/validate arguments...
refused() {
  local name="$1" text="$2"; shift 2
  local file="$TMP/$name.toml" v_out r_out v_rc r_rc
  v_out=$("$CITYSIM" validate "$file" "$@" 2>&1); v_rc=$?
  r_out=$("$CITYSIM" run "$file" -o "$TMP/$name.h5" --quiet "$@" 2>&1); r_rc=$?
  [ "$v_rc" = 2 ] || fail "$name: validate exited $v_rc, expected 2: $v_out"
  [ "$r_rc" = 2 ] || fail "$name: run exited $r_rc, expected 2: $r_out"
  [ "$v_out" = "$r_out" ] || fail "$name: validate and run disagree: '$v_out' vs '$r_out'"
  [[ "$v_out" == *"$text"* ]] || fail "$name: message lacks '$text': $v_out"
  [[ "$v_out" == "error: $TMP/"* || "$text" == "error: "* ]] || fail "$name: message does not start with the file: $v_out"
  [ -e "$TMP/$name.h5" ] || [ -e "$TMP/$name.h5.partial" ] && fail "$name: a refused run left a results file"
}

# 1. values out of shape or range, checked across keys
{ base; printf '[heat]\nenabled = true\n[heat.weather]\ntmax_c = [30, 31]\ntmin_c = [26, 33]\n'; } > "$TMP/tmax_below_tmin.toml"
refused tmax_below_tmin "key 'heat.weather.tmax_c': day 2: the maximum is below the minimum"

{ base; printf '[residents]\nsmartphone_share_by_age = [0.5, 0.5]\n'; } > "$TMP/age_list.toml"
refused age_list "key 'residents.smartphone_share_by_age'"

{ base | sed 's/"Minato"/"Minatoo"/'; } > "$TMP/unknown_municipality.toml"
refused unknown_municipality "unknown municipality"

{ base; printf '[heat]\nenabled = true\n[heat.shelters]\nopen_hour = 18\nclose_hour = 9\n'; } > "$TMP/shelters_close_first.toml"
refused shelters_close_first "heat.shelters.close_hour"

printf 'lat,lon,capacity_people,open_hour,close_hour\n34.69,135.50,50,9,18\n' > "$TMP/osaka_shelter.csv"
{ base; printf '[heat]\nenabled = true\n[heat.shelters]\nfile = "osaka_shelter.csv"\n'; } > "$TMP/shelter_outside.toml"
refused shelter_outside "osaka_shelter.csv:2"

printf 'name,lat,lon,pads,gates,stands,chargers,charger_kw,checkin_counters,security_lanes,open_h,close_h\nUmeda,34.70,135.49,2,2,4,2,350,2,1,7,22\n' > "$TMP/osaka_sites.csv"
{ base; printf '[vertiport]\nenabled = true\nsites_file = "osaka_sites.csv"\n'; } > "$TMP/vertiport_in_osaka.toml"
refused vertiport_in_osaka "osaka_sites.csv:2: key 'vertiport.sites_file': site \"Umeda\": latitude/longitude outside Tokyo"

printf 'mesh_code,value\n53394611,abc\n' > "$TMP/layer_text.csv"
{ base; printf '[city.layers]\npopulation = "layer_text.csv"\n'; } > "$TMP/layer_not_a_number.toml"
refused layer_not_a_number "layer_text.csv:2"

# 2. events resolved before the first tick: their module, their area, their site, their key
{ base; printf '[[events]]\nkind = "heat_wave"\nat = "2026-08-03T08:00"\n'; } > "$TMP/heat_event_heat_off.toml"
refused heat_event_heat_off "key 'events.kind': an event of kind \"heat_wave\" is for the heat module, which is off (heat.enabled = false)"

{ base; printf '[network]\nenabled = true\n[[events]]\nkind = "power_cut"\nat = "2026-08-03T08:00"\nlat = 34.69\nlon = 135.50\nradius_km = 5\n'; } > "$TMP/power_cut_in_osaka.toml"
refused power_cut_in_osaka "key 'events.radius_km': the area of this \"power_cut\" holds no land cell of the city"

{ base; printf '[network]\nenabled = true\n[[events]]\nkind = "power_cut"\nat = "2026-08-03T08:00"\nmunicipalities = ["Atlantis"]\n'; } > "$TMP/power_cut_unknown_area.toml"
refused power_cut_unknown_area "unknown municipality \"Atlantis\""

for key in run.duration_hours city.population_scale heat.enabled; do
  { base; printf '[[events]]\nkind = "set"\nat = "2026-08-03T08:00"\nkey = "%s"\nvalue = "1"\n' "$key"; } > "$TMP/set_$key.toml"
  refused "set_$key" "key 'events.key': '$key' cannot change during a run"
done

printf '[run]\nduration_hours = 2\n[vertiport]\nenabled = true\n[[events]]\nkind = "vertiport_close"\nat = "2026-08-03T01:00"\nsite = "Narnia"\n' > "$TMP/unknown_site.toml"
refused unknown_site "key 'events.site': unknown vertiport site \"Narnia\""

# 3. a file that sets nothing would run every default (all of Tokyo)
printf '# nothing here yet\n' > "$TMP/empty.toml"
refused empty "the scenario file sets no key and has no events"

# ...unless asked for; and an inactive module's events are then ignored
out=$("$CITYSIM" validate "$TMP/heat_event_heat_off.toml" --allow-inactive-events 2>&1) ||
  fail "--allow-inactive-events still refuses: $out"

# 4. --threads beyond the cores is clamped with a warning, not a crash
base > "$TMP/ok.toml"
out=$("$CITYSIM" run "$TMP/ok.toml" -o "$TMP/threads.h5" --quiet --threads 100000 2>&1); rc=$?
[ "$rc" = 0 ] || fail "--threads 100000 exited $rc: $out"
[[ "$out" == *"warning: --threads 100000 is more than this machine's"* ]] || fail "no clamping warning: $out"

# 5. validate says what the file holds, with the right grammar
out=$("$CITYSIM" validate "$TMP/ok.toml" 2>&1)
[[ "$out" == *"ok: the file sets 5 keys and holds 0 events"* ]] || fail "validate's report: $out"
out=$("$CITYSIM" validate "$TMP/heat_event_heat_off.toml" --allow-inactive-events --set run.seed=4 2>&1)
[[ "$out" == *"holds 1 event; 1 override on the command line"* ]] || fail "validate's report (one event): $out"
[[ "$out" == *"memory estimate"* ]] || fail "validate gives no memory estimate: $out"

# 6. a scenario too large for this machine is refused before anything is built: Chiyoda
# with 100 billion residents (the estimate would be terabytes)
{ head -1 scenarios/data/tokyo_municipalities.csv
  grep '^13101,' scenarios/data/tokyo_municipalities.csv | awk -F, 'BEGIN{OFS=","} {$8 = 100000000000; print}'; } > "$TMP/huge.csv"
printf '[run]\nduration_hours = 1\n[city]\npopulation_scale = 1\nmunicipalities_file = "huge.csv"\nmunicipalities = ["Chiyoda"]\n' > "$TMP/huge.toml"
out=$("$CITYSIM" validate "$TMP/huge.toml" 2>&1); rc=$?
[ "$rc" = 2 ] || fail "a run larger than memory: validate exited $rc: $out"
[[ "$out" == *"100000000000 residents, set by city.population_scale = 1), more than this machine's"* ]] ||
  fail "the memory refusal does not name the estimate and its key: $out"

# a list with one bad element names that element (the message used to drop it)
printf '[run]\nduration_hours = 1\n[network]\nenabled = true\nsessions_per_hour_by_age = [1, -4, 3, 2, 1.2, 0.6]\n' > "$TMP/badlist.toml"
expect 2 "badlist.toml:5: key 'network.sessions_per_hour_by_age': expected an array of numbers in [0, inf), got an array containing -4" \
  "$CITYSIM" validate "$TMP/badlist.toml"

finish bad-input
