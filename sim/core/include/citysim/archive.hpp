// The state of a run as bytes: one function per state type lists its fields, and the same
// list both saves and loads (snapshots, Simulation::fork). Trivially copyable values are
// copied whole; vectors, strings, deques, arrays and priority queues field by field; any
// other struct through an `archive(StateArchive&, T&)` overload found by lookup.
//
//   void archive(StateArchive& ar, Shelter& s) { ar(s.cell, s.capacity_people, ...); }
//
// A state type that gains a field must list it: CITYSIM_ARCHIVE_COVERS(T, bytes) next to the
// list stops the build when sizeof(T) changes, naming the list to update.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <queue>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

namespace citysim {

// a snapshot that cannot be used: another version or layout, truncated, corrupted
struct SnapshotError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

#define CITYSIM_ARCHIVE_COVERS(T, bytes)                                                                   \
  static_assert(sizeof(T) == (bytes), #T " changed size: list its new fields in its archive() function " \
                                         "and update the size here (snapshots must cover every field)")

class StateArchive {
 public:
  // an archive to save into
  StateArchive() = default;
  // an archive to load from (the bytes must outlive it)
  StateArchive(const uint8_t* data, size_t size) : in_(data), in_size_(size), loading_(true) {}
  // an archive that copies nothing and only describes the lists: the type of every field
  // outside a container, whatever the data (a snapshot's layout, compared before a load)
  static StateArchive layout() {
    StateArchive a;
    a.layout_ = true;
    return a;
  }

  bool loading() const { return loading_; }
  const std::string& shape() const { return shape_; }
  const std::vector<uint8_t>& bytes() const { return out_; }
  std::vector<uint8_t> take() { return std::move(out_); }
  size_t remaining() const { return in_size_ - pos_; }
  // a loaded archive must have been read to its end (a shorter list reads the wrong fields)
  void expect_end(const std::string& what) const {
    if (loading_ && pos_ != in_size_)
      throw SnapshotError(what + ": " + std::to_string(in_size_ - pos_) + " bytes left over: the state layout differs");
  }

  template <class... T>
  StateArchive& operator()(T&... items) {
    (item(items), ...);
    return *this;
  }

  // a field kept in the archive only as a check: loading compares it with the value rebuilt
  // from the scenario (sizes of static structures), so a mismatch is refused, not misread
  template <class T>
  void check(const T& value, const char* what) {
    T stored = value;
    item(stored);
    if (loading_ && stored != value)
      throw SnapshotError(std::string("the snapshot's ") + what + " differs from the one this scenario builds");
  }

  // a vector the scenario rebuilds identically (a population's ages, homes): kept as a hash
  // only, and on a load compared with the rebuilt contents, so a mismatch is refused
  template <class T>
  void rebuilt(const std::vector<T>& v, const char* what) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (in_container_ == 0) (shape_ += typeid(v).name()) += "=;";
    if (layout_) return;
    if (counting_) {
      counted_ += sizeof(uint64_t);
      return;
    }
    uint64_t h = hash(v.data(), v.size() * sizeof(T)) ^ v.size();
    const uint64_t mine = h;
    raw(&h, sizeof h);
    if (loading_ && h != mine)
      throw SnapshotError(std::string("the ") + what + " this scenario builds differ from the snapshot's");
  }

  // FNV-1a over 8-byte words (fast enough for a population's arrays)
  static uint64_t hash(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    uint64_t h = 1469598103934665603ull, w = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::memcpy(&w, p + i, 8);
      h = (h ^ w) * 1099511628211ull;
    }
    for (; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    return h;
  }

  // an archive that copies nothing and counts the bytes a save would write (to reserve them)
  static StateArchive counter() {
    StateArchive a;
    a.counting_ = true;
    return a;
  }
  size_t counted() const { return counted_; }
  void reserve(size_t n) { out_.reserve(n); }

  void raw(void* data, size_t n) {
    if (counting_) {
      counted_ += n;
      return;
    }
    if (n == 0 || layout_) return;
    if (loading_) {
      if (n > in_size_ - pos_) throw SnapshotError("the snapshot's state ends early (truncated or another layout)");
      std::memcpy(data, in_ + pos_, n);
      pos_ += n;
    } else {
      const auto* p = static_cast<const uint8_t*>(data);
      out_.insert(out_.end(), p, p + n);
    }
  }

 private:
  template <class T>
  struct is_vector : std::false_type {};
  template <class T, class A>
  struct is_vector<std::vector<T, A>> : std::true_type {};
  template <class T>
  struct is_deque : std::false_type {};
  template <class T, class A>
  struct is_deque<std::deque<T, A>> : std::true_type {};
  template <class T>
  struct is_array : std::false_type {};
  template <class T, size_t N>
  struct is_array<std::array<T, N>> : std::true_type {};
  template <class T>
  struct is_pair : std::false_type {};
  template <class A, class B>
  struct is_pair<std::pair<A, B>> : std::true_type {};
  template <class T>
  struct is_variant : std::false_type {};
  template <class... A>
  struct is_variant<std::variant<A...>> : std::true_type {};
  template <class T>
  struct is_pqueue : std::false_type {};
  template <class T, class C, class L>
  struct is_pqueue<std::priority_queue<T, C, L>> : std::true_type {};

  // a count, checked against what is left so a corrupted one cannot allocate without bound
  size_t count(size_t n, size_t min_bytes_each) {
    if (layout_) return 0;
    uint64_t v = n;
    raw(&v, sizeof v);
    if (loading_ && min_bytes_each > 0 && v > remaining() / min_bytes_each)
      throw SnapshotError("the snapshot's state holds an impossible count (corrupted or another layout)");
    return size_t(v);
  }

  template <class V, size_t... I>
  static void emplace_index(V& v, size_t index, std::index_sequence<I...>) {
    ((index == I ? (void)v.template emplace<I>() : void()), ...);
  }

  // each element of a container (not part of the layout: it depends on the data)
  template <class C>
  void elements(C& c) {
    ++in_container_;
    for (auto& e : c) item(e);
    --in_container_;
  }

  template <class T>
  void item(T& x) {
    if (in_container_ == 0) (shape_ += typeid(T).name()) += ';';
    if constexpr (std::is_trivially_copyable_v<T> && !is_array<T>::value) {
      raw(&x, sizeof(T));
    } else if constexpr (std::is_same_v<T, std::string>) {
      const size_t n = count(x.size(), 1);
      if (loading_) x.resize(n);
      raw(x.data(), n);
    } else if constexpr (is_vector<T>::value) {
      using E = typename T::value_type;
      if constexpr (std::is_same_v<E, bool>) {
        const size_t n = count(x.size(), 1);
        if (loading_) x.assign(n, false);
        for (size_t i = 0; i < n; ++i) {
          uint8_t b = x[i];
          raw(&b, 1);
          x[i] = b != 0;
        }
      } else if constexpr (std::is_trivially_copyable_v<E>) {
        const size_t n = count(x.size(), sizeof(E));
        if (loading_) x.resize(n);
        raw(x.data(), n * sizeof(E));
      } else {
        const size_t n = count(x.size(), 8);
        if (loading_) x.resize(n);
        if (!layout_) elements(x);
      }
    } else if constexpr (is_deque<T>::value) {
      const size_t n = count(x.size(), 1);
      if (loading_) x.resize(n);
      if (!layout_) elements(x);
    } else if constexpr (is_array<T>::value) {
      elements(x);
    } else if constexpr (is_variant<T>::value) {
      uint32_t index = uint32_t(x.index());
      raw(&index, sizeof index);
      if (loading_) {
        if (index >= std::variant_size_v<T>) throw SnapshotError("the snapshot's state holds an impossible value");
        emplace_index(x, index, std::make_index_sequence<std::variant_size_v<T>>{});
      }
      if (!layout_) std::visit([&](auto& v) { item(v); }, x);
    } else if constexpr (is_pqueue<T>::value) {
      // the heap's array in its own order, so pops after a load come in the same order
      struct Access : T {
        static auto& of(T& q) { return q.*(&Access::c); }
      };
      item(Access::of(x));
    } else if constexpr (is_pair<T>::value) {
      item(x.first), item(x.second);
    } else {
      archive(*this, x);
    }
  }

  std::vector<uint8_t> out_;
  const uint8_t* in_ = nullptr;
  size_t in_size_ = 0, pos_ = 0;
  bool loading_ = false, layout_ = false, counting_ = false;
  size_t counted_ = 0;
  int in_container_ = 0;
  std::string shape_;
};

}  // namespace citysim
