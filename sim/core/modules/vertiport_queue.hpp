// Discrete-event building blocks for the vertiport module: a time-ordered event queue
// with deterministic tie-breaking, and a first-come-first-served multi-server queue.
#pragma once
#include "citysim/archive.hpp"
#include <cstdint>
#include <deque>
#include <queue>
#include <vector>

namespace citysim {

enum class VertiportEvent : uint8_t {
  PassengerArrive,   // a: passenger
  CheckinDone,       // a: passenger
  SecurityDone,      // a: passenger
  AtGate,            // a: passenger
  Patience,          // a: passenger
  CloseFlight,       // a: flight (hold time over)
  BoardingDone,      // a: flight
  PadDeparture,      // a: flight (departure pad occupancy begins)
  Airborne,          // a: flight (climb and cruise begin)
  PadArrival,        // a: flight (arrival pad occupancy begins)
  Landed,            // a: flight (taxi to a gate)
  DeboardDone,       // a: flight
  ChargeDone,        // a: aircraft
  TripStart,         // a: passenger (a resident's trip leaves its origin cell)
  LegMove,           // a: passenger << 5 | leg << 3 | segment (the resident in sample moves)
  TripEnd,           // a: passenger (at the destination cell)
  Release,           // a: passenger (the resident in sample follows its own plan again)
};

struct TimedEvent {
  double t_s;      // seconds since the run start
  uint64_t seq;    // creation order: ties at the same time keep it
  VertiportEvent kind;
  uint32_t a;
};

// min-heap on (time, creation order): the same inputs give the same order on any machine
class EventQueue {
 public:
  void push(double t_s, VertiportEvent kind, uint32_t a) { heap_.push({t_s, next_seq_++, kind, a}); }
  bool due_before(double t_s) const { return !heap_.empty() && heap_.top().t_s < t_s; }
  TimedEvent pop() {
    const TimedEvent e = heap_.top();
    heap_.pop();
    return e;
  }

 private:
  struct Later {
    bool operator()(const TimedEvent& x, const TimedEvent& y) const {
      return x.t_s != y.t_s ? x.t_s > y.t_s : x.seq > y.seq;
    }
  };
  friend void archive(StateArchive& ar, EventQueue& q) { ar(q.heap_, q.next_seq_); }
  std::priority_queue<TimedEvent, std::vector<TimedEvent>, Later> heap_;
  uint64_t next_seq_ = 0;
};

// a resource counted in units (servers, gates, stands, chargers, pads): busy units
// integrated over time for utilisation
struct BusyMeter {
  int busy = 0;
  double since_s = 0, area_s = 0;  // area: unit-seconds busy since the last take()
  void change(double t_s, int delta) { area_s += busy * (t_s - since_s); since_s = t_s; busy += delta; }
  double take(double t_s) { change(t_s, 0); const double a = area_s; area_s = 0; return a; }
};

// c identical servers, one first-come-first-served line
struct ServerPool {
  int servers = 1;
  BusyMeter meter;
  std::deque<uint32_t> line;  // waiting customers in arrival order

  // a customer arrives: true when a server takes it now, else it joins the line
  bool arrive(double t_s, uint32_t who) {
    if (meter.busy < servers) { meter.change(t_s, +1); return true; }
    line.push_back(who);
    return false;
  }
  // a service ends: the next customer in line takes the server (returned), or -1
  int64_t release(double t_s) {
    if (!line.empty()) {
      const uint32_t next = line.front();
      line.pop_front();
      return next;
    }
    meter.change(t_s, -1);
    return -1;
  }
};

}  // namespace citysim
