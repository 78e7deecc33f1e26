// Value <-> Python conversion and the ScenarioError exception type.
#include "common.hpp"

namespace citysim::py_ext {

namespace {

std::string type_name(py::handle h) { return py::str(py::type::handle_of(h).attr("__name__")); }

bool is_bool(py::handle h) { return PyBool_Check(h.ptr()) || type_name(h) == "bool_"; }
bool is_str(py::handle h) { return PyUnicode_Check(h.ptr()); }
bool is_int(py::handle h) { return !is_bool(h) && !PyFloat_Check(h.ptr()) && PyIndex_Check(h.ptr()); }
bool is_float(py::handle h) { return !is_bool(h) && !is_str(h) && (PyFloat_Check(h.ptr()) || py::hasattr(h, "__float__")); }

py::object& error_type() {
  static py::object type;  // set once by register_scenario_error, lives as long as the module
  return type;
}

}  // namespace

Value to_value(py::handle h, const std::string& key, const SourceLoc& loc) {
  if (is_bool(h)) return h.cast<bool>();
  if (is_str(h)) return h.cast<std::string>();
  if (is_int(h)) {
    int overflow = 0;
    const long long x = PyLong_AsLongLongAndOverflow(py::int_(py::reinterpret_borrow<py::object>(h)).ptr(), &overflow);
    if (overflow) throw ScenarioError(loc, key, "expected an integer within 64 bits, got " + std::string(py::str(h)));
    return int64_t(x);
  }
  if (is_float(h)) return py::float_(py::reinterpret_borrow<py::object>(h)).cast<double>();
  if (py::hasattr(h, "isoformat") && !py::isinstance<py::sequence>(h)) return py::str(h.attr("isoformat")()).cast<std::string>();
  if (py::isinstance<py::sequence>(h) || py::hasattr(h, "tolist")) {
    py::object seq = py::hasattr(h, "tolist") ? h.attr("tolist")() : py::reinterpret_borrow<py::object>(h);
    if (!py::isinstance<py::sequence>(seq)) return to_value(seq, key, loc);  // a numpy 0-d array
    const auto items = seq.cast<py::sequence>();
    if (items.size() == 0) return std::vector<std::string>{};  // like an empty TOML array
    bool all_str = true, all_num = true;
    for (py::handle x : items) {
      all_str = all_str && is_str(x);
      all_num = all_num && !is_bool(x) && (is_int(x) || is_float(x));
    }
    if (all_str) return items.cast<std::vector<std::string>>();
    if (all_num) {
      std::vector<double> xs;
      for (py::handle x : items) xs.push_back(py::float_(py::reinterpret_borrow<py::object>(x)).cast<double>());
      return xs;
    }
    throw ScenarioError(loc, key, "expected an array of numbers or of strings");
  }
  throw ScenarioError(loc, key, "expected a value (number, string, boolean or array), got " + type_name(h));
}

py::object from_value(const Value& value) {
  return std::visit([](const auto& x) -> py::object { return py::cast(x); }, value);
}

void register_scenario_error(py::module_& m) {
  error_type() = py::reinterpret_steal<py::object>(
      PyErr_NewExceptionWithDoc("citysim._citysim.ScenarioError",
                                "bad scenario input; .key, .reason, .file and .line say where and why",
                                PyExc_ValueError, nullptr));
  m.attr("ScenarioError") = error_type();
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ScenarioError& e) {
      py::object err = error_type()(py::str(e.what()));
      err.attr("key") = e.key();
      err.attr("reason") = e.reason();
      err.attr("file") = e.loc().file;
      err.attr("line") = e.loc().line;
      PyErr_SetObject(error_type().ptr(), err.ptr());
    }
  });
}

}  // namespace citysim::py_ext
