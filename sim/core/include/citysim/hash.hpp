// FNV-1a 64, the identity hash of scenarios, data files and snapshot contents (not a
// cryptographic hash: it tells a changed input from an unchanged one)
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace citysim {

struct Fnv1a {
  uint64_t h = 0xcbf29ce484222325ull;
  void add(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  }
  void add(const std::string& s) { add(s.data(), s.size()); }
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
  }
};

}  // namespace citysim
