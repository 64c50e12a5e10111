// The exception hierarchy of posrig and the translation of the engine's C++ errors into it:
//
//   posrig.Error
//     ConfigError          rig::ConfigError (bench, scenario, card files; a step's arguments)
//     LinkError            a port or link could not be used
//     Timeout              a wait of the bindings ran out of time
//     InfrastructureError  rig::engine::InfrastructureError (station, fixture, simulator trouble)
//     CheckFailed          a check of a station session did not hold (also an AssertionError)
#include <Python.h>
#include <pybind11/stl.h>

#include "bindings/posrig_py.h"
#include "rig/bench/config_error.h"
#include "rig/engine/runner.h"

namespace posrig_py {

namespace {

// Created once by DefineErrors and kept for the life of the interpreter (never freed: the
// translator may run during shutdown).
PyObject* error_class = nullptr;
PyObject* config_error_class = nullptr;
PyObject* link_error_class = nullptr;
PyObject* timeout_class = nullptr;
PyObject* infrastructure_error_class = nullptr;
PyObject* check_failed_class = nullptr;

PyObject* new_class(py::module_& m, const char* name, PyObject* bases, const char* doc) {
  std::string qualified = std::string("posrig.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
  if (!cls) throw py::error_already_set();
  m.add_object(name, py::reinterpret_borrow<py::object>(cls));
  return cls;
}

// Sets the Python error: an instance of `cls` made from `text`, with attributes from `fill`.
template <typename Fill>
void raise(PyObject* cls, const std::string& text, Fill fill) {
  py::object exc = py::reinterpret_borrow<py::object>(cls)(text);
  fill(exc);
  PyErr_SetObject(cls, exc.ptr());
}

void raise_plain(PyObject* cls, const std::string& text) {
  raise(cls, text, [](py::object&) {});
}

}  // namespace

void DefineErrors(py::module_& m) {
  py::class_<rig::ConfigIssue>(m, "ConfigIssue",
                               "One mistake in a configuration file or a step: where and what.")
      .def_readonly("file", &rig::ConfigIssue::file)
      .def_readonly("line", &rig::ConfigIssue::line, "1-based; 0 when unknown")
      .def_readonly("column", &rig::ConfigIssue::column, "1-based; 0 when unknown")
      .def_readonly("message", &rig::ConfigIssue::message)
      .def("__str__", &rig::ConfigIssue::to_string, "\"file:line:col: message\"")
      .def("__repr__",
           [](const rig::ConfigIssue& i) { return "<ConfigIssue " + i.to_string() + ">"; });

  error_class = new_class(m, "Error", PyExc_Exception, "Base class of every posrig error.");
  config_error_class = new_class(
      m, "ConfigError", error_class,
      "A mistake in a bench, scenario or card file, or in a step's arguments.\n\n"
      "str() lists every issue as \"file:line:col: message\", one per line. Attributes: file,\n"
      "line, column and message of the first issue; issues: every ConfigIssue.");
  link_error_class = new_class(m, "LinkError", error_class, "A port or link could not be used.");
  timeout_class = new_class(m, "Timeout", error_class,
                            "A wait ran out of time (Station.wait_for). Attribute timeline: the "
                            "station's recent entries.");
  infrastructure_error_class = new_class(
      m, "InfrastructureError", error_class,
      "Trouble with the bench rather than the terminal's behaviour: a fixture, simulator,\n"
      "service or link that could not be used, a station that did not come up.");
  py::tuple check_bases = py::make_tuple(py::handle(error_class), py::handle(PyExc_AssertionError));
  check_failed_class = new_class(
      m, "CheckFailed", check_bases.ptr(),
      "A check (Station.expect) did not hold. str() shows the expected and the actual text and\n"
      "the station's recent timeline. Attributes: where (\"file:line:col\" of the check), what,\n"
      "expected, actual, timeline (recent entries as dicts, like results.json), check.");

  // pybind11 takes a void (*)(std::exception_ptr): the pointer is passed by value.
  py::register_exception_translator([](std::exception_ptr p) {  // NOLINT(performance-*)
    try {
      if (p) std::rethrow_exception(p);
    } catch (const rig::ConfigError& e) {
      raise(config_error_class, e.what(), [&e](py::object& exc) {
        const rig::ConfigIssue first = e.issues().empty() ? rig::ConfigIssue{} : e.issues()[0];
        exc.attr("file") = first.file;
        exc.attr("line") = first.line;
        exc.attr("column") = first.column;
        exc.attr("message") = first.message;
        exc.attr("issues") = py::cast(e.issues());
      });
    } catch (const rig::engine::InfrastructureError& e) {
      raise_plain(infrastructure_error_class, e.what());
    } catch (const CheckFailedError& e) {
      raise(check_failed_class, e.what(), [&e](py::object& exc) {
        exc.attr("where") = e.check().where;
        exc.attr("what") = e.check().what;
        exc.attr("expected") = e.check().expected;
        exc.attr("actual") = e.check().actual;
        exc.attr("timeline") = to_py(e.timeline());
        exc.attr("check") = py::cast(e.check());
      });
    } catch (const TimeoutError& e) {
      raise(timeout_class, e.what(),
            [&e](py::object& exc) { exc.attr("timeline") = to_py(e.timeline()); });
    } catch (const LinkError& e) {
      raise_plain(link_error_class, e.what());
    } catch (const UsageError& e) {
      raise_plain(error_class, e.what());
    }
  });
}

}  // namespace posrig_py
