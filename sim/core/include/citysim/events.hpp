// Typed event streams between modules (heat illness -> watch-over anomaly, watch-over
// report -> network session...). A module emits into a stream during its step; later
// phases of the same tick and every phase of the next tick can read it; then it is
// cleared. Emitters running in parallel emit into per-block buffers and merge them in
// block order so a stream's order never depends on the thread count.
#pragma once
#include <algorithm>
#include <memory>
#include <string>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "citysim/archive.hpp"

namespace citysim {

class EventBus {
 public:
  template <class T>
  void emit(const T& event) { stream<T>().next.push_back(event); }
  // events of type T emitted in the previous tick and so far in this one, in order
  template <class T>
  std::vector<T> read() {
    auto& s = stream<T>();
    std::vector<T> all = s.previous;
    all.insert(all.end(), s.next.begin(), s.next.end());
    return all;
  }
  // events of type T emitted in the previous tick only (each is seen once per reader)
  template <class T>
  const std::vector<T>& previous_tick() { return stream<T>().previous; }
  // start of a tick: last tick's events become "previous", older ones are dropped
  void rotate() {
    for (auto& [type, s] : streams_) s->rotate();
  }
  // make a stream exist before anything is emitted, so a snapshot taken before the
  // first emit can be loaded (modules declare the streams they emit in init)
  template <class T>
  void declare() { stream<T>(); }
  // every stream's events, in the order of the types' names (never the map's order)
  void archive(StateArchive& ar) {
    std::vector<std::pair<std::string, StreamBase*>> named;
    for (auto& [type, s] : streams_) named.emplace_back(type.name(), s.get());
    std::sort(named.begin(), named.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> names;
    for (const auto& n : named) names.push_back(n.first);
    ar.check(names, "event stream types");
    for (auto& n : named) n.second->archive(ar);
  }

 private:
  struct StreamBase {
    virtual ~StreamBase() = default;
    virtual void rotate() = 0;
    virtual void archive(StateArchive& ar) = 0;
  };
  template <class T>
  struct Stream : StreamBase {
    std::vector<T> previous, next;
    void rotate() override {
      previous.swap(next);
      next.clear();
    }
    void archive(StateArchive& ar) override { ar(previous, next); }
  };
  template <class T>
  Stream<T>& stream() {
    auto& slot = streams_[std::type_index(typeid(T))];
    if (!slot) slot = std::make_unique<Stream<T>>();
    return static_cast<Stream<T>&>(*slot);
  }
  std::unordered_map<std::type_index, std::unique_ptr<StreamBase>> streams_;
};

}  // namespace citysim
