// Queueing formulas the modules are checked against (and use for capacity rules).
#pragma once

namespace citysim {

// Erlang B blocking probability for A erlangs offered to c channels (blocked calls cleared)
double erlang_b(double offered_erlangs, int channels);
// Erlang C probability of waiting (blocked calls wait); 1 when A >= c
double erlang_c(double offered_erlangs, int channels);
// M/M/c mean wait in queue, minutes, for an arrival rate per minute and a mean service
// time in minutes: Wq = C(A, c) s / (c - A); infinite when A >= c
double erlang_c_wait_min(int servers, double arrivals_per_min, double service_min);

}  // namespace citysim
