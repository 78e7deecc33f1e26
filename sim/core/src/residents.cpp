// Residents: population synthesis, daily plans and the event-indexed step.
//
// [SECTION] names, params   enums and the [residents] keys
// [SECTION] synthesis      households per municipality from census shares
// [SECTION] plans          one DayPlan per resident per day; expand_plan -> segments
// [SECTION] module         minute buckets, the step, metrics
#include "citysim/residents.hpp"

#include "citysim/city.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>

namespace citysim {

// ---- [SECTION] names, params --------------------------------------------------------

const char* role_name(Role r) {
  static const char* names[] = {"child", "student", "worker", "retiree", "other"};
  return names[int(r)];
}
const char* activity_name(Activity a) {
  static const char* names[] = {"home", "work", "school", "errand", "travel"};
  return names[int(a)];
}
const char* mode_name(Mode m) {
  static const char* names[] = {"none", "walk", "bicycle", "rail", "car"};
  return names[int(m)];
}

size_t Residents::bytes() const {
  return age.capacity() + role.capacity() + flags.capacity() + activity.capacity() + mode.capacity() +
         4 * (household.capacity() + home_cell.capacity() + day_cell.capacity() + cell.capacity()) +
         sizeof(DayPlan) * plan.capacity() + 4 * (present.capacity() + outdoors.capacity());
}

void ResidentsParams::keys(ParamKeys& k) {
  k.section("residents", "People living in the city: who they are and how they spend the day.");
  auto prob = [&](const char* key, double& v, const char* doc) -> KeySpec& { return k.key(key, v, doc).range(0, 1); };
  k.key("residents.enabled", enabled, "simulate residents (off for housing-only runs)");
  k.key("residents.day_type", day_type,
        "weekday or holiday plans; auto = Saturday and Sunday are holidays")
      .one_of({"auto", "weekday", "holiday"});
  k.key("residents.subset", subset,
        "who is simulated: everyone, or only people aged 65+ living alone (a month of watch-over at full scale "
        "without stepping everyone else; counts of other people are then absent)")
      .one_of({"all", "65plus_alone"}).structural();
  prob("residents.employment_rate_15_64", employment_rate_15_64, "share of people aged 15-64 (not in school) in work (Tokyo, Labour Force Survey: about 0.78)").structural();
  prob("residents.employment_rate_65plus", employment_rate_65plus, "share of people aged 65+ in work (Japan 2023: 25.2%)").structural();
  prob("residents.university_share_19_22", university_share_19_22, "share of 19-22 year olds at university or college").structural();
  prob("residents.nursery_share_1_5", nursery_share_1_5, "share of children aged 1-5 at a nursery or kindergarten on weekdays");
  k.key("residents.work_arrival_mean_h", work_arrival_mean_h, "mean arrival time at work").units("h").range(4, 14);
  k.key("residents.work_arrival_sd_min", work_arrival_sd_min, "spread of arrival times at work").units("min").range(0, 180);
  k.key("residents.work_hours_mean", work_hours_mean, "mean time at work including breaks (full time)").units("h").range(1, 14);
  k.key("residents.work_hours_sd", work_hours_sd, "spread of time at work").units("h").range(0, 4);
  prob("residents.part_time_share", part_time_share, "share of workers part time (4-6 h, arriving around 10:00)");
  prob("residents.weekend_work_share", weekend_work_share, "share of workers who work on a holiday");
  prob("residents.after_work_errand_prob", after_work_errand_prob, "probability a worker stops for an errand near home on the way back");
  prob("residents.outdoor_errand_share", outdoor_errand_share, "share of errands and leisure spent outdoors (parks, shopping streets)");
  prob("residents.go_out_prob_65_74", go_out_prob_65_74, "probability a person aged 65-74 not in work goes out on a given day");
  prob("residents.go_out_prob_75plus", go_out_prob_75plus, "probability a person aged 75+ not in work goes out on a given day");
  prob("residents.go_out_prob_other", go_out_prob_other, "probability another adult not in work or study goes out");
  prob("residents.alert_stay_home_65plus", alert_stay_home_65plus,
       "on a heat-stroke alert day (heat module), share of the outings of people aged 65+ not in work that are called off "
       "(the alert's advice: avoid going out); 0 = alerts change nothing");
  prob("residents.alert_indoor_share", alert_indoor_share,
       "on a heat-stroke alert day, share of outdoor errands and leisure moved indoors (malls, libraries)");
  k.key("residents.commute_decay_km", commute_decay_km, "distance decay of the commute gravity model (weight exp(-d/decay))").units("km").above(0);
  k.key("residents.walk_max_km", walk_max_km, "trips shorter than this are walked").units("km").at_least(0);
  k.key("residents.bicycle_max_km", bicycle_max_km, "longest trip anyone cycles").units("km").at_least(0);
  prob("residents.bicycle_share", bicycle_share, "share of residents who cycle trips between walk_max_km and bicycle_max_km");
  prob("residents.rail_share_ku", rail_share_ku, "share of longer trips from the 23 wards made by rail (else car)");
  prob("residents.rail_share_tama", rail_share_tama, "share of longer trips from Tama made by rail (else car); islands have no rail");
  k.key("residents.walk_kmh", walk_kmh, "walking speed").units("km/h").above(0);
  k.key("residents.bicycle_kmh", bicycle_kmh, "cycling speed").units("km/h").above(0);
  k.key("residents.rail_kmh", rail_kmh, "rail speed including stops").units("km/h").above(0);
  k.key("residents.car_kmh", car_kmh, "car speed in city traffic").units("km/h").above(0);
  k.key("residents.detour_factor", detour_factor, "network distance / straight-line distance").range(1, 3);
  k.key("residents.rail_access_min", rail_access_min, "walk to the station (outdoors)").units("min").range(0, 60);
  k.key("residents.rail_wait_min", rail_wait_min, "wait on the platform").units("min").range(0, 60);
  k.key("residents.rail_egress_min", rail_egress_min, "walk from the station (outdoors)").units("min").range(0, 60);
  k.key("residents.smartphone_share_by_age", smartphone_share_by_age,
        "smartphone ownership for ages 0-12, 13-19, 20-59, 60-69, 70-79, 80+ (MIC Communications Usage Trend Survey 2023)")
      .range(0, 1);
  prob("residents.aircon_share", aircon_share, "share of homes with air conditioning (Cabinet Office consumer survey: about 0.91)");
  k.key("residents.in_commuters", in_commuters,
        "workers and students living outside the city who enter on a weekday, for the whole table of municipalities "
        "(a subset draws its share of the day places); 2010 census: about 2.9 million into Tokyo; 0 = none")
      .units("people")
      .at_least(0).structural();
  k.path("residents.commuter_corridors_file", commuter_corridors_file,
         "CSV of where in-commuters enter (name,prefecture,lat,lon,share); empty = the bundled Tokyo rail corridors").structural();
}

void ResidentsParams::describe(Schema& s) {
  describe_keys<ResidentsParams>(s);
}

ResidentsParams ResidentsParams::from(const Scenario& sc) {
  ResidentsParams p = read_keys<ResidentsParams>(sc);
  if (p.commuter_corridors_file.empty()) p.commuter_corridors_file = data_dir() + "/commuter_corridors.csv";
  if (p.smartphone_share_by_age.size() != 6)
    throw ScenarioError(sc.loc_of("residents.smartphone_share_by_age"), "residents.smartphone_share_by_age",
                        "expected 6 shares (ages 0-12, 13-19, 20-59, 60-69, 70-79, 80+), got " +
                            std::to_string(p.smartphone_share_by_age.size()));
  return p;
}

double travel_minutes(const ResidentsParams& p, double distance_km, Mode mode) {
  const double km = distance_km * p.detour_factor;
  switch (mode) {
    case Mode::Walk: return std::max(3.0, km / p.walk_kmh * 60);
    case Mode::Bicycle: return 2 + km / p.bicycle_kmh * 60;
    case Mode::Rail: return p.rail_access_min + p.rail_wait_min + km / p.rail_kmh * 60 + p.rail_egress_min;
    case Mode::Car: return 5 + km / p.car_kmh * 60;
    case Mode::None: return 0;
  }
  return 0;
}

// ---- [SECTION] synthesis ------------------------------------------------------------

namespace {

// household kinds, generated per municipality in this order
enum HouseholdKind : int { ElderAlone = 0, AdultAlone, ElderCouple, Family, AdultPair, kHouseholdKinds };

// a cell near `home` (within radius cells, same block, on land): schools, errands
uint32_t nearby_cell(const Grid& g, uint32_t home, int radius, Draws& d) {
  const int r0 = g.row_of(home), c0 = g.col_of(home);
  for (int attempt = 0; attempt < 4; ++attempt) {
    const int r = r0 + int(d.below(uint32_t(2 * radius + 1))) - radius;
    const int c = c0 + int(d.below(uint32_t(2 * radius + 1))) - radius;
    if (r < 0 || c < 0 || r >= g.rows || c >= g.cols) continue;
    const size_t cell = size_t(r) * size_t(g.cols) + size_t(c);
    if (g.is_land(cell) && !g.water[cell]) return uint32_t(cell);
  }
  return home;
}

double smartphone_share(const ResidentsParams& p, int age) {
  const auto& s = p.smartphone_share_by_age;
  return age < 13 ? s[0] : age < 20 ? s[1] : age < 60 ? s[2] : age < 70 ? s[3] : age < 80 ? s[4] : s[5];
}

struct MunicipalityMix {
  std::vector<uint32_t> cells;
  std::vector<double> home_cdf, job_cdf;  // cumulative weights over cells
  double population = 0;
  double share_65 = 0, share_75_of_65 = 0, share_0_14 = 0;
  double counts[kHouseholdKinds] = {};   // households of each kind (full city)
  double elder_in_family = 0;            // expected elderly members per family household
  int64_t first_household = 0;           // global number of its first household
};

// drop every resident `keep` rejects, keeping the others in order (one-person
// households stay whole, so household ids still mean something)
template <class Keep>
void keep_only(Residents& R, Keep keep) {
  size_t k = 0;
  for (size_t i = 0; i < R.count; ++i) {
    if (!keep(i)) continue;
    R.age[k] = R.age[i]; R.role[k] = R.role[i]; R.flags[k] = R.flags[i]; R.household[k] = R.household[i];
    R.home_cell[k] = R.home_cell[i]; R.day_cell[k] = R.day_cell[i]; R.cell[k] = R.cell[i];
    ++k;
  }
  R.count = k;
  for (auto* v : {&R.age, &R.role, &R.flags, &R.activity, &R.mode}) v->resize(k), v->shrink_to_fit();
  for (auto* v : {&R.household, &R.home_cell, &R.day_cell, &R.cell}) v->resize(k), v->shrink_to_fit();
  R.plan.resize(k);
  R.plan.shrink_to_fit();
  R.households = k;
}

// where in-commuters enter: a cell outside the city (land, not water) nearest each
// corridor's station, with the corridor's share; corridors with no such cell are dropped
struct Entry { uint32_t cell; double share; };
std::vector<Entry> entry_cells(const Grid& g, const std::string& path) {
  const std::string key = "residents.commuter_corridors_file";
  const CsvTable t = read_csv(path, key);
  const int c_lat = t.column("lat", key), c_lon = t.column("lon", key), c_share = t.column("share", key);
  std::vector<Entry> out;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const double lat = t.number(r, c_lat, key), lon = t.number(r, c_lon, key), share = t.number(r, c_share, key);
    if (!(share >= 0)) throw ScenarioError({path, t.lines[r]}, key, "expected a share >= 0, got " + format_number(share));
    int64_t best = -1;
    double best_km = 1e18;
    for (size_t c = 0; c < g.size(); ++c)
      if (g.mesh_code[c] != 0 && !g.is_land(c) && !g.water[c])
        if (const double km = haversine_km(lat, lon, g.lat[c], g.lon[c]); km < best_km) best = int64_t(c), best_km = km;
    if (best >= 0 && share > 0) out.push_back({uint32_t(best), share});
  }
  return out;
}

// in-commuters: a fixed number (the city's share of them, times the population scale),
// each with a corridor of entry and a day place drawn by jobs on the mainland
void add_in_commuters(Residents& R, const Grid& g, const ResidentsParams& p, double scale, uint64_t seed) {
  const size_t n = size_t(std::llround(p.in_commuters * g.day_place_share * scale));
  if (n == 0) return;
  const std::vector<Entry> entries = entry_cells(g, p.commuter_corridors_file);
  std::vector<double> entry_cdf, job_cdf;
  for (const Entry& e : entries) entry_cdf.push_back((entry_cdf.empty() ? 0 : entry_cdf.back()) + e.share);
  std::vector<uint32_t> job_cells;
  for (size_t c = 0; c < g.size(); ++c) {
    const int mi = g.municipality_index[c];
    if (mi < 0 || g.municipalities[size_t(mi)].area == "islands" || g.day_places[c] <= 0) continue;
    job_cells.push_back(uint32_t(c));
    job_cdf.push_back((job_cdf.empty() ? 0 : job_cdf.back()) + g.day_places[c]);
  }
  if (entries.empty() || job_cells.empty()) return;
  const size_t first = R.count;
  R.count += n;
  // exact sizes: growing 14 million residents by resize alone would double the capacity
  const auto grow = [&](auto& v, auto value) {
    v.reserve(R.count);
    v.resize(R.count, value);
  };
  grow(R.age, uint8_t(0)), grow(R.role, uint8_t(Role::Worker)), grow(R.flags, uint8_t(Commuter));
  grow(R.household, uint32_t(0xFFFFFFFFu)), grow(R.home_cell, 0u), grow(R.day_cell, 0u), grow(R.cell, 0u);
  grow(R.activity, uint8_t(Activity::Home)), grow(R.mode, uint8_t(Mode::None)), grow(R.plan, DayPlan{});
  const Rng rng(seed, Stream::Commuters);
  tbb::parallel_for(tbb::blocked_range<size_t>(first, R.count, 1 << 14), [&](const auto& range) {
    for (size_t r = range.begin(); r < range.end(); ++r) {
      Draws d(rng, r - first, 0);
      const int age = 20 + int(d.below(45));  // working age, 20-64
      R.age[r] = uint8_t(age);
      if (d.bernoulli(smartphone_share(p, age))) R.flags[r] |= Smartphone;
      R.home_cell[r] = R.cell[r] = entries[sample_cdf(entry_cdf, d.uniform())].cell;
      R.day_cell[r] = job_cells[sample_cdf(job_cdf, d.uniform())];
    }
  });
}

}  // namespace

Residents synthesize_residents(const Grid& g, const ResidentsParams& p, double scale, uint64_t seed) {
  const size_t M = g.municipalities.size();
  std::vector<MunicipalityMix> mix(M);
  for (size_t cell = 0; cell < g.size(); ++cell) {
    const int mi = g.municipality_index[cell];
    if (mi < 0) continue;
    auto& x = mix[size_t(mi)];
    x.cells.push_back(uint32_t(cell));
    x.home_cdf.push_back((x.home_cdf.empty() ? 0 : x.home_cdf.back()) + g.population[cell]);
    x.job_cdf.push_back((x.job_cdf.empty() ? 0 : x.job_cdf.back()) + g.day_places[cell] + 1e-6);
    x.population += g.population[cell];
  }
  // household counts from the 2020 census shares, scaled to the layer's population
  int64_t households_total = 0;
  for (size_t m = 0; m < M; ++m) {
    const Municipality& mu = g.municipalities[m];
    auto& x = mix[m];
    const double known = std::max(1.0, mu.census_0_14 + mu.census_15_64 + mu.census_65plus);
    const double P = x.population;
    x.share_65 = mu.census_65plus / known;
    x.share_0_14 = mu.census_0_14 / known;
    x.share_75_of_65 = mu.census_65plus > 0 ? mu.census_75plus / mu.census_65plus : 0.5;
    const double f = P / std::max(1.0, mu.census_pop);
    const double elder_alone = mu.census_one_person_65plus * f;
    const double adult_alone = std::max(0.0, (mu.census_one_person - mu.census_one_person_65plus) * f);
    const double elders_rest = std::max(0.0, P * x.share_65 - elder_alone);
    const double kids = P * x.share_0_14 * 18.0 / 15.0;  // children 0-17 live with parents
    const double families = kids / 1.7;                  // 1.7 children per family (mean of 1-3)
    const double adults_rest = std::max(0.0, P * (1 - x.share_65 - x.share_0_14 * 18.0 / 15.0) - adult_alone - families * 1.88);
    x.counts[ElderAlone] = elder_alone;
    x.counts[AdultAlone] = adult_alone;
    x.counts[ElderCouple] = elders_rest * 0.7 / 2;  // 30% of other elderly live with their children's family
    x.counts[Family] = families;
    x.elder_in_family = families > 0 ? elders_rest * 0.3 / families : 0;
    x.counts[AdultPair] = adults_rest / 2;
    double people = elder_alone + adult_alone + 2 * x.counts[ElderCouple] + families * (1.88 + 1.7 + x.elder_in_family) +
                    adults_rest;
    const double fix = people > 0 ? P / people : 0;  // match the layer's population exactly in expectation
    x.first_household = households_total;
    for (double& c : x.counts) {
      c = std::round(c * fix);
      households_total += int64_t(c);
    }
  }
  // commute destinations: gravity over municipalities, islands keep to themselves
  std::vector<std::vector<double>> dest_cdf(M, std::vector<double>(M, 0.0));
  for (size_t h = 0; h < M; ++h) {
    double acc = 0;
    for (size_t d = 0; d < M; ++d) {
      const auto& a = g.municipalities[h];
      const auto& b = g.municipalities[d];
      double w = 0;
      if ((a.area == "islands" || b.area == "islands") ? h == d : true) {
        const double km = haversine_km(a.lat, a.lon, b.lat, b.lon);
        w = (mix[d].job_cdf.empty() ? 0 : mix[d].job_cdf.back()) * std::exp(-km / p.commute_decay_km) * (h == d ? 2.0 : 1.0);
      }
      acc += w;
      dest_cdf[h][d] = acc;
    }
  }

  // pass 1: which households are simulated and their sizes
  const Rng rng_h(seed, Stream::PopulationHouseholds), rng_p(seed, Stream::PopulationPeople);
  std::vector<uint8_t> size(size_t(households_total), 0);
  std::vector<uint16_t> muni_of(static_cast<size_t>(households_total));
  std::vector<uint8_t> kind_of(static_cast<size_t>(households_total));
  for (size_t m = 0; m < M; ++m) {
    int64_t h = mix[m].first_household;
    for (int k = 0; k < kHouseholdKinds; ++k)
      for (int64_t i = 0; i < int64_t(mix[m].counts[k]); ++i, ++h) {
        muni_of[size_t(h)] = uint16_t(m);
        kind_of[size_t(h)] = uint8_t(k);
      }
  }
  struct Composition { int parents = 0, kids = 0, elders = 0, adults = 0; int size() const { return parents + kids + elders + adults; } };
  const auto compose = [&](int64_t h, Draws& d) {
    Composition c;
    switch (kind_of[size_t(h)]) {
      case ElderAlone: c.elders = 1; break;
      case AdultAlone: c.adults = 1; break;
      case ElderCouple: c.elders = 2; break;
      case AdultPair: c.adults = 2; break;
      default: {
        c.parents = d.bernoulli(0.12) ? 1 : 2;
        const double u = d.uniform();
        c.kids = u < 0.4 ? 1 : u < 0.9 ? 2 : 3;
        c.elders = d.bernoulli(std::min(1.0, mix[muni_of[size_t(h)]].elder_in_family)) ? 1 : 0;
      }
    }
    return c;
  };
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, households_total, 1 << 14), [&](const auto& range) {
    for (int64_t h = range.begin(); h < range.end(); ++h) {
      Draws d(rng_h, uint64_t(h), 0);
      if (d.uniform() >= scale) continue;
      size[size_t(h)] = uint8_t(compose(h, d).size());
    }
  });
  std::vector<uint32_t> offset(size_t(households_total) + 1, 0);
  for (size_t h = 0; h < size_t(households_total); ++h) offset[h + 1] = offset[h] + size[h];

  Residents R;
  const size_t n = offset.back();
  R.count = n;
  R.weight = 1.0 / scale;
  R.age.resize(n); R.role.resize(n); R.flags.resize(n); R.household.resize(n);
  R.home_cell.resize(n); R.day_cell.resize(n); R.cell.resize(n); R.activity.assign(n, uint8_t(Activity::Home));
  R.mode.assign(n, uint8_t(Mode::None)); R.plan.resize(n);
  R.present.assign(g.size(), 0); R.outdoors.assign(g.size(), 0);

  // pass 2: members, ages, roles, places
  const auto elder_age = [](const MunicipalityMix& x, Draws& d) {
    return d.bernoulli(x.share_75_of_65) ? 75 + int(std::min(29.0, d.exponential(7.0))) : 65 + int(d.below(10));
  };
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, households_total, 1 << 12), [&](const auto& range) {
    for (int64_t h = range.begin(); h < range.end(); ++h) {
      if (size[size_t(h)] == 0) continue;
      Draws d(rng_h, uint64_t(h), 0);
      d.uniform();  // the sampling draw
      const Composition comp = compose(h, d);
      const int hs = comp.size();
      const auto& x = mix[muni_of[size_t(h)]];
      const uint32_t home = x.cells[sample_cdf(x.home_cdf, d.uniform())];
      const bool aircon = d.bernoulli(p.aircon_share);
      int ages[8];
      int i = 0;
      if (comp.parents > 0) {  // a family: parents 28-52, children younger than the parent by 20+ years
        const int parent = 28 + int(d.below(25));
        ages[i++] = parent;
        if (comp.parents == 2) ages[i++] = std::clamp(parent - 3 + int(d.below(7)), 20, 64);
        for (int k = 0; k < comp.kids; ++k) ages[i++] = int(d.below(uint32_t(std::min(18, parent - 20))));
      }
      if (comp.adults == 1) ages[i++] = d.bernoulli(0.6) ? 20 + int(d.below(20)) : 40 + int(d.below(25));
      if (comp.adults == 2) {
        ages[i] = 20 + int(d.below(45));
        ages[i + 1] = std::clamp(ages[i] - 5 + int(d.below(11)), 18, 64);
        i += 2;
      }
      for (int k = 0; k < comp.elders; ++k) {
        const int age = k == 0 ? elder_age(x, d) : std::max(65, ages[i - 1] - 3 + int(d.below(7)));  // a couple
        ages[i++] = age;
      }
      for (int j = 0; j < hs; ++j) {
        const size_t r = offset[size_t(h)] + size_t(j);
        Draws pd(rng_p, uint64_t(h) * 8 + uint64_t(j), 0);
        const int age = std::clamp(ages[j], 0, 104);
        Role role;
        if (age < 6) role = Role::Child;
        else if (age < 19) role = Role::Student;
        else if (age < 23 && pd.bernoulli(p.university_share_19_22)) role = Role::Student;
        else if (age < 65) role = pd.bernoulli(p.employment_rate_15_64) ? Role::Worker : Role::Other;
        else role = pd.bernoulli(p.employment_rate_65plus) ? Role::Worker : Role::Retiree;
        uint32_t day = home;
        if (role == Role::Worker || (role == Role::Student && age >= 19)) {
          const size_t dm = sample_cdf(dest_cdf[muni_of[size_t(h)]], pd.uniform());
          day = mix[dm].cells[sample_cdf(mix[dm].job_cdf, pd.uniform())];
        } else if (role == Role::Student) {
          day = nearby_cell(g, home, age < 16 ? 1 : 3, pd);  // local schools; high schools a little farther
        } else if (role == Role::Child && age >= 1 && pd.bernoulli(p.nursery_share_1_5)) {
          day = nearby_cell(g, home, 1, pd);
        }
        uint8_t flags = 0;
        if (hs == 1) flags |= LivesAlone;
        if (pd.bernoulli(smartphone_share(p, age))) flags |= Smartphone;
        if (aircon) flags |= AirConditioning;
        R.age[r] = uint8_t(age);
        R.role[r] = uint8_t(role);
        R.flags[r] = flags;
        R.household[r] = uint32_t(h);
        R.home_cell[r] = home;
        R.day_cell[r] = day;
        R.cell[r] = home;
      }
    }
  });
  R.households = size_t(std::count_if(size.begin(), size.end(), [](uint8_t s) { return s > 0; }));
  if (p.subset == "65plus_alone") keep_only(R, [&](size_t i) { return R.age[i] >= 65 && R.has(i, LivesAlone); });
  R.first_commuter = R.count;
  if (p.subset == "all") add_in_commuters(R, g, p, scale, seed);
  for (size_t r = 0; r < R.count; ++r) ++R.present[R.home_cell[r]];
  R.by_activity[size_t(Activity::Home)] = int64_t(R.count);
  return R;
}

// ---- [SECTION] plans ----------------------------------------------------------------

namespace {

constexpr int kLastMinute = 1439;
constexpr uint32_t kStableTick = 0xFFFFFFFFu;  // draws that stay the same every day (commute mode)
constexpr uint32_t kAlertTick = 0x40000000u;  // | day: reactions to a heat alert (apart from the day's other draws)

uint8_t clamp_minutes(double x) { return uint8_t(std::clamp(std::lround(x), 1L, 240L)); }

// the draws of resident r that stay the same every day
struct StableDraws { double u_bike, u_rail, u_part; };
StableDraws stable_draws(const Rng& rng, size_t r) {
  Draws stable(rng, r, kStableTick);
  const double u_bike = stable.uniform(), u_rail = stable.uniform(), u_part = stable.uniform();
  return {u_bike, u_rail, u_part};
}

const std::string& home_area(const Grid& g, const Residents& R, size_t r) {
  static const std::string ku = "ku";
  const int mi = g.municipality_index[R.home_cell[r]];
  return mi >= 0 ? g.municipalities[size_t(mi)].area : ku;
}

}  // namespace

Mode choose_mode(const ResidentsParams& p, const std::string& area, double km, double u_bike, double u_rail) {
  if (km < p.walk_max_km) return Mode::Walk;
  if (km < p.bicycle_max_km && u_bike < p.bicycle_share) return Mode::Bicycle;
  if (area == "islands") return km < 2 * p.walk_max_km ? Mode::Walk : Mode::Car;
  if (u_rail < (area == "ku" ? p.rail_share_ku : p.rail_share_tama)) return Mode::Rail;
  return km < 2 * p.walk_max_km ? Mode::Walk : Mode::Car;
}

Mode resident_mode(const ResidentsParams& p, const Grid& g, const Residents& R, uint64_t seed, size_t r, double km) {
  const StableDraws u = stable_draws(Rng(seed, Stream::DayPlans), r);
  return choose_mode(p, home_area(g, R, r), km, u.u_bike, u.u_rail);
}

int trip_minutes(const ResidentsParams& p, double distance_km, Mode mode) {
  return clamp_minutes(travel_minutes(p, distance_km, mode));
}

int expand_leg(int depart, uint32_t from, uint32_t to, Mode mode, int minutes, Activity arrive, bool arrive_outdoors,
               Segment* out) {
  int n = 0;
  const bool open_air = mode == Mode::Walk || mode == Mode::Bicycle;
  out[n++] = {uint16_t(depart), from, Activity::Travel, mode, open_air || mode == Mode::Rail, true};
  if (mode == Mode::Rail) {
    const int access = std::max(1, minutes / 5), egress = std::max(1, minutes * 3 / 20);
    const int ride = std::max(2, minutes - access - egress);
    out[n++] = {uint16_t(depart + access), from, Activity::Travel, mode, false, false};
    out[n++] = {uint16_t(depart + access + ride / 2), to, Activity::Travel, mode, false, false};
    out[n++] = {uint16_t(depart + minutes - egress), to, Activity::Travel, mode, true, false};
  } else {
    out[n++] = {uint16_t(depart + minutes / 2), to, Activity::Travel, mode, open_air, false};
  }
  out[n++] = {uint16_t(depart + minutes), to, arrive, Mode::None, arrive_outdoors, false};
  return n;
}

int expand_plan(const DayPlan& plan, uint32_t home, uint32_t day_cell, Role role, Segment* out, int last) {
  if (plan.pattern == uint8_t(DayPattern::StayHome)) return 0;
  int n = 0;
  // one trip: travel segments, then the arrival
  const auto leg = [&](int depart, uint32_t from, uint32_t to, Mode mode, int minutes, Activity arrive,
                       bool arrive_outdoors) {
    if (n > last) return depart + minutes;  // the caller needs no more
    n += expand_leg(depart, from, to, mode, minutes, arrive, arrive_outdoors, out + n);
    return depart + minutes;
  };
  const Mode out_mode = Mode(plan.mode_out), back_mode = Mode(plan.mode_back);
  if (plan.pattern == uint8_t(DayPattern::DayPlace)) {
    const Activity at = role == Role::Worker ? Activity::Work : Activity::School;
    leg(plan.leave_min, home, day_cell, out_mode, plan.travel_out_min, at, false);
    if (plan.errand_min > 0) {
      const int arrive = leg(plan.main_end_min, day_cell, plan.errand_cell, back_mode, plan.travel_back_min,
                             Activity::Errand, plan.errand_outdoors != 0);
      leg(arrive + plan.errand_min, plan.errand_cell, home, Mode::Walk, plan.travel_errand_min, Activity::Home, false);
    } else {
      leg(plan.main_end_min, day_cell, home, back_mode, plan.travel_back_min, Activity::Home, false);
    }
  } else {
    leg(plan.leave_min, home, plan.errand_cell, out_mode, plan.travel_out_min, Activity::Errand, plan.errand_outdoors != 0);
    leg(plan.main_end_min, plan.errand_cell, home, back_mode, plan.travel_back_min, Activity::Home, false);
  }
  // every segment starts at least a minute after the one before (plans leave room)
  for (int i = 1; i < n; ++i)
    if (out[i].minute <= out[i - 1].minute) out[i].minute = uint16_t(out[i - 1].minute + 1);
  return n;
}

namespace {

// today's plan for resident r
DayPlan make_plan(const Grid& g, const ResidentsParams& p, const Residents& R, const Rng& rng, size_t r,
                  int64_t day, bool holiday, bool alert) {
  DayPlan plan;
  Draws d(rng, r, uint32_t(day));
  // reactions to an alert draw apart, so the rest of the plan is the same with or without them
  Draws on_alert(rng, r, kAlertTick | uint32_t(day));
  const auto moved_indoors = [&] { return alert && p.alert_indoor_share > 0 && on_alert.bernoulli(p.alert_indoor_share); };
  const StableDraws stable = stable_draws(rng, r);
  const double u_bike = stable.u_bike, u_rail = stable.u_rail, u_part = stable.u_part;
  const Role role = Role(R.role[r]);
  const int age = R.age[r];
  const uint32_t home = R.home_cell[r];
  const std::string& area = home_area(g, R, r);
  const auto minutes_to = [&](uint32_t to, Mode mode) { return uint8_t(trip_minutes(p, g.distance_km(home, to), mode)); };
  const auto mode_to = [&](uint32_t to) { return choose_mode(p, area, g.distance_km(home, to), u_bike, u_rail); };

  const bool has_day_place = R.day_cell[r] != home || role == Role::Worker || role == Role::Student ||
                             (role == Role::Child && R.day_cell[r] != home);
  bool goes_to_day_place = false;
  double arrive_h = 0, hours = 0;
  if (role == Role::Worker && (!holiday || d.bernoulli(p.weekend_work_share))) {
    goes_to_day_place = true;
    if (u_part < p.part_time_share) {
      arrive_h = d.normal(10.0, 1.5);
      hours = d.uniform(4, 6);
    } else {
      arrive_h = d.normal(p.work_arrival_mean_h, p.work_arrival_sd_min / 60);
      hours = d.normal(p.work_hours_mean, p.work_hours_sd);
    }
  } else if ((role == Role::Student || role == Role::Child) && !holiday && has_day_place) {
    goes_to_day_place = true;
    if (role == Role::Child) { arrive_h = d.normal(8.5, 0.5); hours = d.normal(8.5, 1.0); }
    else if (age < 16) { arrive_h = d.normal(8.1, 0.15); hours = d.normal(age < 12 ? 6.8 : 8.0, 0.7); }
    else if (age < 19) { arrive_h = d.normal(8.4, 0.25); hours = d.normal(8.0, 1.0); }
    else { arrive_h = d.normal(10.0, 1.0); hours = d.normal(6.0, 1.5); }
  }
  if (goes_to_day_place) {
    const uint32_t day_cell = R.day_cell[r];
    const Mode out = mode_to(day_cell);
    const int t_out = minutes_to(day_cell, out);
    plan.pattern = uint8_t(DayPattern::DayPlace);
    plan.mode_out = plan.mode_back = uint8_t(out);
    plan.travel_out_min = plan.travel_back_min = uint8_t(t_out);
    const int arrive = std::clamp(int(std::lround(arrive_h * 60)), 300, 14 * 60);
    plan.leave_min = uint16_t(std::max(240, arrive - t_out));
    int end = plan.leave_min + t_out + std::clamp(int(std::lround(hours * 60)), 60, 14 * 60);
    if (role == Role::Worker && d.bernoulli(p.after_work_errand_prob)) {
      plan.errand_cell = nearby_cell(g, home, 1, d);
      plan.errand_min = uint8_t(20 + d.below(60));
      plan.errand_outdoors = d.bernoulli(p.outdoor_errand_share) && !moved_indoors();
      plan.travel_back_min = uint8_t(minutes_to(plan.errand_cell, out) > t_out ? minutes_to(plan.errand_cell, out) : t_out);
      plan.travel_errand_min = minutes_to(plan.errand_cell, Mode::Walk);
    }
    // leave room to be home by midnight (segments need a minute each)
    const int tail = plan.travel_back_min + plan.errand_min + plan.travel_errand_min + 15;
    plan.main_end_min = uint16_t(std::min(std::max(end, plan.leave_min + t_out + 30), kLastMinute - tail));
    return plan;
  }
  // no work or school today: maybe an outing near home
  const double go_out = role == Role::Retiree || age >= 65 ? (age >= 75 ? p.go_out_prob_75plus : p.go_out_prob_65_74)
                      : role == Role::Child ? 0.5 : p.go_out_prob_other;
  if (!d.bernoulli(go_out)) return plan;
  if (alert && age >= 65 && p.alert_stay_home_65plus > 0 && on_alert.bernoulli(p.alert_stay_home_65plus)) return plan;
  plan.pattern = uint8_t(DayPattern::Errand);
  plan.errand_cell = nearby_cell(g, home, holiday ? 3 : 2, d);
  const Mode m = mode_to(plan.errand_cell);
  const int t = minutes_to(plan.errand_cell, m);
  plan.mode_out = plan.mode_back = uint8_t(m);
  plan.travel_out_min = plan.travel_back_min = uint8_t(t);
  plan.errand_outdoors = d.bernoulli(p.outdoor_errand_share) && !moved_indoors();
  plan.leave_min = uint16_t(std::clamp(int(std::lround(d.normal(10.5, 1.5) * 60)), 7 * 60, 18 * 60));
  const int stay = 45 + int(d.below(136));
  plan.main_end_min = uint16_t(std::min(plan.leave_min + t + stay, kLastMinute - t - 15));
  return plan;
}

}  // namespace

// ---- [SECTION] module ---------------------------------------------------------------

namespace {

class ResidentsModule final : public Module {
 public:
  ResidentsModule(const Scenario& sc, const Grid& g) : params_(ResidentsParams::from(sc)), grid_(g) {
    day_type_ = params_.day_type;
  }
  const char* name() const override { return "residents"; }

  void init(World& w) override {
    residents_ = &w.residents;
    auto& m = w.metrics;
    f_present_ = m.add_field({"residents/present", "people", "residents present in the cell (at home, work, errands or passing through)"});
    f_outdoors_ = m.add_field({"residents/outdoors", "people", "residents outdoors in the cell (walking, cycling, waiting, outdoor errands)"});
    s_home_ = m.add_series({"residents/at_home", "people", "residents at home (in-commuters at home outside the city too)"});
    s_day_ = m.add_series({"residents/at_day_place", "people", "residents at work, school or nursery"});
    s_errand_ = m.add_series({"residents/at_errand", "people", "residents on errands or leisure outings"});
    s_travel_ = m.add_series({"residents/travelling", "people", "residents on a trip"});
    s_outdoors_ = m.add_series({"residents/outdoors_total", "people", "residents outdoors in the city"});
    s_commuters_ = m.add_series({"residents/commuters_in_city", "people",
                                 "in-commuters (living outside the city) now in the city, travelling or at their day place"});
    std::vector<std::string> modes;
    for (int i = 1; i < kModes; ++i) modes.push_back(mode_name(Mode(i)));
    s_trips_ = m.add_series({"residents/trips", "trips", "trips started since the previous sample, by mode"}, {"mode", modes});
    const std::vector<std::string> munis = grid_.municipality_labels();
    s_by_muni_ = m.add_series({"residents/present_by_municipality", "people", "residents present in each municipality"},
                              {"municipality", munis});
  }

  void start(World& w) override {
    // bring everyone from local midnight to the start time without counting trips (the
    // first day's plans see the heat alert in force, set in the heat module's init)
    const int64_t start_minute = w.clock.minute_of_day();
    minute_done_ = -start_minute - 1;  // absolute minutes since the start; -start is local midnight
    advance(w, 0);
    w.residents.trips_started.fill(0);
  }

  void step(World& w) override { advance(w, w.clock.elapsed_minutes()); }

  // today's plans are a pure function of what they were drawn from (the day, its calendar and
  // alert, the seed, the parameters): a snapshot keeps those and draws the plans again on a
  // load, and keeps the plans themselves only when a parameter changed since they were drawn
  void archive(StateArchive& ar) override {
    CITYSIM_ARCHIVE_COVERS(ResidentsModule, 616);
    ar(day_type_, day_, minute_done_, planned_, params_changed_);
    Residents& R = *residents_;
    std::vector<DayPlan> plans;
    if (!ar.loading() && params_changed_) plans = R.plan;
    ar(plans);
    if (!ar.loading() || day_ == -2) return;
    if (params_changed_) R.plan = std::move(plans);
    else draw_plans(R);
    build_buckets(R);
  }

  void publish(World& w) override {
    const Residents& R = w.residents;
    const double wt = R.weight;
    auto present = w.metrics.field(f_present_), outdoors = w.metrics.field(f_outdoors_);
    // cells outside the city hold only in-commuters at home there, at their corridor's cell
    for (size_t c = 0; c < grid_.size(); ++c) {
      present[c] = grid_.is_land(c) ? float(R.present[c] * wt) : 0.0f;
      outdoors[c] = grid_.is_land(c) ? float(R.outdoors[c] * wt) : 0.0f;
    }
    w.metrics.set(s_home_, double(R.by_activity[size_t(Activity::Home)]) * wt);
    w.metrics.set(s_day_, double(R.by_activity[size_t(Activity::Work)] + R.by_activity[size_t(Activity::School)]) * wt);
    w.metrics.set(s_errand_, double(R.by_activity[size_t(Activity::Errand)]) * wt);
    w.metrics.set(s_travel_, double(R.by_activity[size_t(Activity::Travel)]) * wt);
    int64_t out_total = 0;
    std::vector<int64_t> by_muni(grid_.municipalities.size(), 0);
    for (size_t c = 0; c < grid_.size(); ++c) {
      if (!grid_.is_land(c)) continue;
      out_total += R.outdoors[c];
      if (grid_.municipality_index[c] >= 0) by_muni[size_t(grid_.municipality_index[c])] += R.present[c];
    }
    w.metrics.set(s_outdoors_, double(out_total) * wt);
    int64_t commuters_in = 0;
    for (size_t r = R.first_commuter; r < R.count; ++r) commuters_in += grid_.is_land(R.cell[r]);
    w.metrics.set(s_commuters_, double(commuters_in) * wt);
    auto trips = w.metrics.values(s_trips_);
    for (int i = 1; i < kModes; ++i) trips[size_t(i - 1)] = double(R.trips_started[size_t(i)]) * wt;
    w.residents.trips_started.fill(0);
    auto muni = w.metrics.values(s_by_muni_);
    for (size_t i = 0; i < by_muni.size(); ++i) muni[i] = double(by_muni[i]) * wt;
  }

  void update_params(const Scenario& sc) override {
    params_ = ResidentsParams::from(sc);
    params_changed_ = true;  // today's plans were drawn with the previous ones
  }

 private:
  // apply every segment that starts up to `until` (minutes since the run start)
  void advance(World& w, int64_t until) {
    const int64_t start_minute = w.clock.start / 60 % 1440;
    while (minute_done_ < until) {
      ++minute_done_;
      const int64_t abs_min = start_minute + minute_done_;  // minutes since the start day's midnight
      const int64_t day = abs_min >= 0 ? abs_min / 1440 : -1;
      if (day != day_) plan_day(w, day);
      apply_bucket(w, int(abs_min - day * 1440));
    }
  }

  bool is_holiday(const World& w, int64_t day) const {
    if (day_type_ == "weekday") return false;
    if (day_type_ == "holiday") return true;
    const LocalSeconds midnight = midnight_of(w.clock.start) + day * kSecondsPerDay;
    return civil(midnight).weekday >= 5;
  }

  // plans for a new day, and their buckets
  void plan_day(World& w, int64_t day) {
    day_ = day;
    // the alert was announced the evening before
    planned_ = {w.seed, is_holiday(w, day), w.couplings.heat_alert_on(day) >= 1};
    params_changed_ = false;
    Residents& R = w.residents;
    const Rng rng(planned_.seed, Stream::DayPlans);
    fill_buckets(R, count_segments(R, [&](size_t r) {
                   R.plan[r] = make_plan(grid_, params_, R, rng, r, day, planned_.holiday, planned_.alert);
                 }));
  }

  // today's plans again, as plan_day drew them (a snapshot's load)
  void draw_plans(Residents& R) const {
    const Rng rng(planned_.seed, Stream::DayPlans);
    const size_t n = R.count, blocks = (n + kBlock - 1) / kBlock;
    tbb::parallel_for(size_t(0), blocks, [&](size_t b) {
      for (size_t r = b * kBlock; r < std::min(n, (b + 1) * kBlock); ++r)
        R.plan[r] = make_plan(grid_, params_, R, rng, r, day_, planned_.holiday, planned_.alert);
    });
  }

  // the per-minute buckets of the plans' segments (a deterministic counting sort: by minute,
  // then by resident); a pure function of the plans, so a snapshot's load rebuilds them
  void build_buckets(const Residents& R) {
    fill_buckets(R, count_segments(R, [](size_t) {}));
  }

  // segments starting in each minute, per block of residents; `before(r)` runs first for each
  // resident (a new day's plan: planning and counting in one pass over the residents)
  template <class Before>
  std::vector<uint32_t> count_segments(const Residents& R, Before&& before) {
    const size_t n = R.count, blocks = (n + kBlock - 1) / kBlock;
    std::vector<uint32_t> counts(blocks * 1440, 0);
    tbb::parallel_for(size_t(0), blocks, [&](size_t b) {
      Segment seg[kMaxSegments];
      uint32_t* cnt = &counts[b * 1440];
      for (size_t r = b * kBlock; r < std::min(n, (b + 1) * kBlock); ++r) {
        before(r);
        const int k = expand_plan(R.plan[r], R.home_cell[r], R.day_cell[r], Role(R.role[r]), seg);
        for (int i = 0; i < k; ++i) ++cnt[seg[i].minute];
      }
    });
    return counts;
  }

  // segments by minute then resident, from the per-block counts of each minute
  void fill_buckets(const Residents& R, const std::vector<uint32_t>& counts) {
    const size_t n = R.count, blocks = (n + kBlock - 1) / kBlock;
    // offsets: minute-major, block-minor
    bucket_start_.assign(1441, 0);
    std::vector<uint32_t> cursor(blocks * 1440);
    uint32_t total = 0;
    for (int m = 0; m < 1440; ++m) {
      bucket_start_[size_t(m)] = total;
      for (size_t b = 0; b < blocks; ++b) {
        cursor[b * 1440 + size_t(m)] = total;
        total += counts[b * 1440 + size_t(m)];
      }
    }
    bucket_start_[1440] = total;
    bucket_.resize(total);
    tbb::parallel_for(size_t(0), blocks, [&](size_t b) {
      Segment seg[kMaxSegments];
      uint32_t* cur = &cursor[b * 1440];
      for (size_t r = b * kBlock; r < std::min(n, (b + 1) * kBlock); ++r) {
        const int k = expand_plan(R.plan[r], R.home_cell[r], R.day_cell[r], Role(R.role[r]), seg);
        for (int i = 0; i < k; ++i) bucket_[cur[seg[i].minute]++] = uint32_t(r) << 4 | uint32_t(i);
      }
    });
  }

  // residents whose next segment starts this minute change cell, activity, outdoors;
  // occupancy counts change by integer atomics, so the result is order-independent (a
  // resident Away keeps the state another module gives it)
  void apply_bucket(World& w, int minute) {
    Residents& R = w.residents;
    const uint32_t begin = bucket_start_[size_t(minute)], end = bucket_start_[size_t(minute) + 1];
    if (begin == end) return;
    struct Delta { std::array<int64_t, kActivities> activity{}; std::array<int64_t, kModes> trips{}; };
    tbb::enumerable_thread_specific<Delta> deltas;
    // a minute's bucket holds a few thousand moves in the demo (about 250 ns each, mostly
    // cache misses): chunks of 256 keep 16 cores busy
    tbb::parallel_for(tbb::blocked_range<uint32_t>(begin, end, 256), [&](const auto& range) {
      Delta& delta = deltas.local();
      Segment seg[kMaxSegments];
      for (uint32_t e = range.begin(); e < range.end(); ++e) {
        const uint32_t r = bucket_[e] >> 4, k = bucket_[e] & 15;
        if (R.flags[r] & Away) continue;  // another module moves it (a vertiport journey)
        expand_plan(R.plan[r], R.home_cell[r], R.day_cell[r], Role(R.role[r]), seg, int(k));
        const Segment& s = seg[k];
        --delta.activity[size_t(R.enter(r, s))];
        ++delta.activity[size_t(s.activity)];
        if (s.trip_start) ++delta.trips[size_t(s.mode)];
      }
    });
    for (const Delta& d : deltas) {
      for (int i = 0; i < kActivities; ++i) R.by_activity[size_t(i)] += d.activity[size_t(i)];
      for (int i = 0; i < kModes; ++i) R.trips_started[size_t(i)] += d.trips[size_t(i)];
    }
  }

  static constexpr size_t kBlock = 1 << 14;
  ResidentsParams params_;
  const Grid& grid_;
  std::string day_type_;
  int64_t day_ = -2;
  int64_t minute_done_ = 0;
  std::vector<uint32_t> bucket_start_;  // first entry of each minute (1441)
  std::vector<uint32_t> bucket_;        // resident << 4 | segment index, by minute then resident
  Residents* residents_ = nullptr;  // the population (its plans and buckets are redrawn on a load)
  // what today's plans were drawn from
  struct Planned {
    uint64_t seed = 0;
    bool holiday = false, alert = false;
  } planned_;
  bool params_changed_ = false;  // a parameter changed since today's plans were drawn
  FieldId f_present_ = 0, f_outdoors_ = 0;
  SeriesId s_home_ = 0, s_day_ = 0, s_errand_ = 0, s_travel_ = 0, s_outdoors_ = 0, s_trips_ = 0, s_by_muni_ = 0, s_commuters_ = 0;
};

}  // namespace

std::unique_ptr<Module> make_residents_module(const Scenario& sc, const Grid& g) {
  return std::make_unique<ResidentsModule>(sc, g);
}

}  // namespace citysim
