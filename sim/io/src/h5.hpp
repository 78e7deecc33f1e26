// Small RAII and helper layer over the HDF5 C API, shared by the results writer and
// reader. Every failure becomes a std::runtime_error saying what we tried and what
// HDF5 answered; `guarded` prefixes the file name and keeps HDF5 from printing its
// error stack to stderr (the exception carries the message instead).
#pragma once
#include <hdf5.h>
#include <hdf5_hl.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cctype>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace citysim::io::h5 {

// an HDF5 identifier closed by its own close function when it goes out of scope
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      close_ = other.close_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  void reset() {
    if (id_ >= 0) close_(id_);
    id_ = H5I_INVALID_HID;
  }
  operator hid_t() const { return id_; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

// the innermost message on HDF5's error stack ("file signature not found"...)
inline std::string last_error() {
  std::string message;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* err, void* data) -> herr_t {
        if (err->desc && *err->desc) *static_cast<std::string*>(data) = err->desc;
        return 0;
      },
      &message);
  // a failed write's description is a long record ("file write failed: time = ..., errno
  // = 28, error message = 'No space left on device', ..."): keep the system's message
  const std::string marker = "error message = '";
  if (const size_t at = message.find(marker); at != std::string::npos) {
    const size_t from = at + marker.size(), to = message.find('\'', from);
    std::string cause = message.substr(from, to == std::string::npos ? std::string::npos : to - from);
    if (!cause.empty()) cause[0] = char(std::tolower(static_cast<unsigned char>(cause[0])));
    return cause;
  }
  return message;
}

[[noreturn]] inline void fail(const std::string& what) {
  const std::string detail = last_error();
  throw std::runtime_error(detail.empty() ? what : what + " (" + detail + ")");
}
inline hid_t check(hid_t id, const std::string& what) {
  if (id < 0) fail(what);
  return id;
}
inline void check(herr_t status, const std::string& what) {
  if (status < 0) fail(what);
}

// runs f with HDF5's automatic error printing off; errors name the file
template <class F>
auto guarded(const std::string& file, F&& f) -> decltype(f()) {
  H5E_auto2_t saved_func = nullptr;
  void* saved_data = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &saved_func, &saved_data);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  struct Restore {
    H5E_auto2_t func;
    void* data;
    ~Restore() { H5Eset_auto2(H5E_DEFAULT, func, data); }
  } restore{saved_func, saved_data};
  try {
    return f();
  } catch (const std::exception& e) {
    throw std::runtime_error(file + ": " + e.what());
  }
}

// ---- types ------------------------------------------------------------------------

// the HDF5 memory type of a C++ number type
template <class T>
hid_t native() {
  if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
  else if constexpr (std::is_same_v<T, float>) return H5T_NATIVE_FLOAT;
  else if constexpr (std::is_same_v<T, int32_t>) return H5T_NATIVE_INT32;
  else if constexpr (std::is_same_v<T, int64_t>) return H5T_NATIVE_INT64;
  else if constexpr (std::is_same_v<T, uint64_t>) return H5T_NATIVE_UINT64;
  else if constexpr (std::is_same_v<T, uint8_t>) return H5T_NATIVE_UINT8;
  else static_assert(sizeof(T) == 0, "no HDF5 type for this number type");
}

// UTF-8 strings of any length (h5py and xarray read them as str)
inline Handle vlen_string_type() {
  Handle type(check(H5Tcopy(H5T_C_S1), "copy string type"), H5Tclose);
  check(H5Tset_size(type, H5T_VARIABLE), "set string size");
  check(H5Tset_cset(type, H5T_CSET_UTF8), "set string charset");
  return type;
}

// UTF-8 strings of `bytes` bytes, zero-padded (for compound records)
inline Handle fixed_string_type(size_t bytes) {
  Handle type(check(H5Tcopy(H5T_C_S1), "copy string type"), H5Tclose);
  check(H5Tset_size(type, bytes), "set string size");
  check(H5Tset_strpad(type, H5T_STR_NULLPAD), "set string padding");
  check(H5Tset_cset(type, H5T_CSET_UTF8), "set string charset");
  return type;
}

// a packed compound type built member by member, and records laid out to match it
class Compound {
 public:
  void add(const std::string& name, hid_t type) {
    members_.push_back({name, check(H5Tcopy(type), "copy member type"), size_});
    size_ += H5Tget_size(type);
  }
  Handle type() const {
    Handle type(check(H5Tcreate(H5T_COMPOUND, size_), "create compound type"), H5Tclose);
    for (const auto& m : members_) check(H5Tinsert(type, m.name.c_str(), m.offset, m.type), "insert member " + m.name);
    return type;
  }
  size_t size() const { return size_; }
  size_t offset(size_t member) const { return members_[member].offset; }

 private:
  struct Member {
    std::string name;
    Handle type;
    size_t offset;
    Member(std::string n, hid_t t, size_t o) : name(std::move(n)), type(t, H5Tclose), offset(o) {}
  };
  std::vector<Member> members_;
  size_t size_ = 0;
};

// stores a value at a member's place in a packed record
template <class T>
void put(char* at, T value) {
  std::memcpy(at, &value, sizeof value);
}

// copies text into a fixed field of `bytes` bytes, cut at a UTF-8 character boundary
inline void put_text(char* field, const std::string& text, size_t bytes) {
  size_t n = std::min(text.size(), bytes);
  if (n < text.size())
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;  // don't split a character
  std::copy_n(text.data(), n, field);
  std::fill(field + n, field + bytes, '\0');
}

// ---- groups, attributes -----------------------------------------------------------

inline Handle open_group(hid_t parent, const std::string& name) {
  return Handle(check(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), "cannot open group " + name), H5Gclose);
}

// creates a group whose members keep their creation order (the reader lists them so)
inline Handle create_group(hid_t parent, const std::string& name) {
  Handle gcpl(check(H5Pcreate(H5P_GROUP_CREATE), "group properties"), H5Pclose);
  check(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "creation order");
  return Handle(check(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT), "cannot create group " + name),
                H5Gclose);
}

inline bool exists(hid_t parent, const std::string& name) { return H5Lexists(parent, name.c_str(), H5P_DEFAULT) > 0; }

// names of a group's members in creation order
inline std::vector<std::string> members(hid_t group) {
  H5G_info_t info;
  check(H5Gget_info(group, &info), "cannot list group");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len = H5Lget_name_by_idx(group, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) fail("cannot read member name");
    std::string name(size_t(len), '\0');
    H5Lget_name_by_idx(group, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, name.data(), name.size() + 1, H5P_DEFAULT);
    names.push_back(std::move(name));
  }
  return names;
}

// names of an object's attributes
inline std::vector<std::string> attr_names(hid_t obj) {
  std::vector<std::string> names;
  check(H5Aiterate2(
            obj, H5_INDEX_NAME, H5_ITER_INC, nullptr,
            [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
              static_cast<std::vector<std::string>*>(data)->emplace_back(name);
              return 0;
            },
            &names),
        "cannot list attributes");
  return names;
}

inline Handle open_or_create_attr(hid_t obj, const char* name, hid_t type, hid_t space) {
  const hid_t id = H5Aexists(obj, name) > 0 ? H5Aopen(obj, name, H5P_DEFAULT)
                                            : H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  return Handle(check(id, std::string("cannot create attribute ") + name), H5Aclose);
}

// scalar attributes; writing one that exists overwrites it
inline void set_attr(hid_t obj, const char* name, const std::string& text) {
  Handle type = vlen_string_type();
  Handle space(check(H5Screate(H5S_SCALAR), "scalar space"), H5Sclose);
  Handle attr = open_or_create_attr(obj, name, type, space);
  const char* data = text.c_str();
  check(H5Awrite(attr, type, &data), std::string("cannot write attribute ") + name);
}
template <class T>
requires std::is_arithmetic_v<T>
void set_attr(hid_t obj, const char* name, T value) {
  Handle space(check(H5Screate(H5S_SCALAR), "scalar space"), H5Sclose);
  Handle attr = open_or_create_attr(obj, name, native<T>(), space);
  check(H5Awrite(attr, native<T>(), &value), std::string("cannot write attribute ") + name);
}

// reads every (variable-length) string of a dataset or attribute; read(type, buffer)
template <class Read>
std::vector<std::string> read_strings(hid_t space, Read read) {
  std::vector<char*> ptrs(size_t(H5Sget_simple_extent_npoints(space)), nullptr);
  if (ptrs.empty()) return {};
  Handle type = vlen_string_type();
  check(read(hid_t(type), ptrs.data()), "cannot read strings");
  std::vector<std::string> out;
  for (char* p : ptrs) out.emplace_back(p ? p : "");
  H5Dvlen_reclaim(type, space, H5P_DEFAULT, ptrs.data());
  return out;
}

inline std::string format_number(double value) {
  char buf[32];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
}

// a string, integer or float attribute as text
inline std::string attr_text(hid_t obj, const char* name) {
  Handle attr(check(H5Aopen(obj, name, H5P_DEFAULT), std::string("no attribute ") + name), H5Aclose);
  Handle type(check(H5Aget_type(attr), "attribute type"), H5Tclose);
  Handle space(check(H5Aget_space(attr), "attribute space"), H5Sclose);
  switch (H5Tget_class(type)) {
    case H5T_STRING: return read_strings(space, [&](hid_t t, void* buf) { return H5Aread(attr, t, buf); }).at(0);
    case H5T_INTEGER: {
      int64_t value = 0;
      check(H5Aread(attr, H5T_NATIVE_INT64, &value), std::string("cannot read attribute ") + name);
      return std::to_string(value);
    }
    default: {
      double value = 0;
      check(H5Aread(attr, H5T_NATIVE_DOUBLE, &value), std::string("cannot read attribute ") + name);
      return format_number(value);
    }
  }
}

// ---- datasets ---------------------------------------------------------------------

inline Handle open_dataset(hid_t parent, const std::string& name) {
  return Handle(check(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), "cannot open dataset " + name), H5Dclose);
}

inline std::vector<hsize_t> shape(hid_t dataset) {
  Handle space(check(H5Dget_space(dataset), "dataset space"), H5Sclose);
  std::vector<hsize_t> dims(size_t(H5Sget_simple_extent_ndims(space)));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return dims;
}

// a dataset of fixed shape (scalar when dims is empty), written whole
inline Handle write_dataset(hid_t parent, const std::string& name, hid_t type, const std::vector<hsize_t>& dims,
                            const void* data) {
  Handle space(check(dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(int(dims.size()), dims.data(), nullptr),
                     "dataspace"),
               H5Sclose);
  Handle ds(check(H5Dcreate2(parent, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                  "cannot create dataset " + name),
            H5Dclose);
  if (H5Sget_simple_extent_npoints(space) > 0)
    check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "cannot write dataset " + name);
  return ds;
}
template <class T>
Handle write_dataset(hid_t parent, const std::string& name, const std::vector<T>& data,
                     const std::vector<hsize_t>& dims) {
  return write_dataset(parent, name, native<T>(), dims, data.data());
}

// a 1-D dataset of variable-length strings, written whole
inline Handle write_strings(hid_t parent, const std::string& name, const std::vector<std::string>& texts) {
  std::vector<const char*> ptrs;
  for (const auto& t : texts) ptrs.push_back(t.c_str());
  return write_dataset(parent, name, vlen_string_type(), {hsize_t(texts.size())}, ptrs.data());
}

// an empty dataset that grows along its first dimension; `tail` is the shape of one row
inline Handle create_growing(hid_t parent, const std::string& name, hid_t type, const std::vector<hsize_t>& tail,
                             hsize_t chunk_rows, bool compress = false) {
  std::vector<hsize_t> dims{0}, max{H5S_UNLIMITED}, chunk{chunk_rows};
  for (hsize_t n : tail) dims.push_back(n), max.push_back(n), chunk.push_back(n);
  Handle space(check(H5Screate_simple(int(dims.size()), dims.data(), max.data()), "dataspace"), H5Sclose);
  Handle dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "dataset properties"), H5Pclose);
  check(H5Pset_chunk(dcpl, int(chunk.size()), chunk.data()), "chunking of " + name);
  if (compress) {
    check(H5Pset_shuffle(dcpl), "shuffle filter");
    check(H5Pset_deflate(dcpl, 4), "gzip filter");
  }
  return Handle(check(H5Dcreate2(parent, name.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                      "cannot create dataset " + name),
                H5Dclose);
}

// file and memory dataspaces selecting rows [first, first + rows) along the first dimension
struct RowSelection {
  Handle file_space, mem_space;
};
inline RowSelection select_rows(hid_t dataset, hsize_t first, hsize_t rows) {
  Handle file_space(check(H5Dget_space(dataset), "dataset space"), H5Sclose);
  std::vector<hsize_t> count(size_t(H5Sget_simple_extent_ndims(file_space)));
  H5Sget_simple_extent_dims(file_space, count.data(), nullptr);
  std::vector<hsize_t> start(count.size(), 0);
  start[0] = first;
  count[0] = rows;
  check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr), "select rows");
  Handle mem_space(check(H5Screate_simple(int(count.size()), count.data(), nullptr), "dataspace"), H5Sclose);
  return {std::move(file_space), std::move(mem_space)};
}

// appends `rows` rows (laid out as `mem_type`) to a dataset made by create_growing
inline void append_rows(hid_t dataset, hid_t mem_type, const void* data, hsize_t rows) {
  if (rows == 0) return;
  std::vector<hsize_t> dims = shape(dataset);
  const hsize_t first = dims[0];
  dims[0] += rows;
  check(H5Dset_extent(dataset, dims.data()), "cannot extend dataset");
  const RowSelection sel = select_rows(dataset, first, rows);
  check(H5Dwrite(dataset, mem_type, sel.mem_space, sel.file_space, H5P_DEFAULT, data), "cannot append rows");
}

// cut (or grow) a growing dataset to `rows` along its first dimension
inline void set_rows(hid_t dataset, hsize_t rows) {
  std::vector<hsize_t> dims = shape(dataset);
  dims[0] = rows;
  check(H5Dset_extent(dataset, dims.data()), "cannot resize dataset");
}

template <class T>
std::vector<T> read_all(hid_t dataset) {
  Handle space(check(H5Dget_space(dataset), "dataset space"), H5Sclose);
  std::vector<T> values(size_t(H5Sget_simple_extent_npoints(space)));
  if (!values.empty())
    check(H5Dread(dataset, native<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "cannot read dataset");
  return values;
}

inline std::vector<std::string> read_all_strings(hid_t dataset) {
  Handle space(check(H5Dget_space(dataset), "dataset space"), H5Sclose);
  return read_strings(space,
                      [&](hid_t t, void* buf) { return H5Dread(dataset, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf); });
}

}  // namespace citysim::io::h5
