// Typed event streams between modules (heat illness -> watch-over anomaly, watch-over
// report -> network session...). A module emits into a stream during its step; later
// phases of the same tick and every phase of the next tick can read it; then it is
// cleared. Emitters running in parallel emit into per-block buffers and merge them in
// block order so a stream's order never depends on the thread count.
#pragma once
#include <memory>
#include <typeindex>
#include <unordered_map>
#include <vector>

namespace citysim {

class EventBus {
 public:
  template <class T>
  void emit(const T& event) { stream<T>().next.push_back(event); }
  template <class T>
  void emit_all(const std::vector<T>& events) {
    auto& s = stream<T>().next;
    s.insert(s.end(), events.begin(), events.end());
  }
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

 private:
  struct StreamBase {
    virtual ~StreamBase() = default;
    virtual void rotate() = 0;
  };
  template <class T>
  struct Stream : StreamBase {
    std::vector<T> previous, next;
    void rotate() override {
      previous.swap(next);
      next.clear();
    }
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
