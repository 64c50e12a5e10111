// posrig._posrig: the native part of the `posrig` Python package. Each area defines its part in
// its own file (posrig_py.h lists them); this file only calls them.
#include "bindings/posrig_py.h"

PYBIND11_MODULE(_posrig, m) {
  m.doc() =
      "Native part of posrig: the rig engine (benches, station sessions, scenarios, results)\n"
      "for Python. Use it through the `posrig` package.";
  m.attr("__version__") = POSRIG_VERSION_STRING;
  posrig_py::DefineErrors(m);
  posrig_py::DefineScenario(m);
  posrig_py::DefineBench(m);
  posrig_py::DefineStation(m);
  posrig_py::DefineFaults(m);
}
