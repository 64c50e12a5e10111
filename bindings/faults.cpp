// The catalogue as data: every fault, step and expectation a scenario (or a Station call) may
// use, with parameters and one-line docs, and the fault family that applies each action.
#include <pybind11/stl.h>

#include "bindings/posrig_py.h"
#include "rig/engine/station.h"
#include "rig/scenario/catalogue.h"

namespace posrig_py {

namespace scenario = rig::scenario;

namespace {

const char* type_name(scenario::ValueType t) {
  switch (t) {
    case scenario::ValueType::text:
      return "text";
    case scenario::ValueType::amount:
      return "amount";
    case scenario::ValueType::signed_amount:
      return "signed_amount";
    case scenario::ValueType::integer:
      return "integer";
    case scenario::ValueType::number:
      return "number";
    case scenario::ValueType::boolean:
      return "boolean";
    case scenario::ValueType::choice:
      return "choice";
    case scenario::ValueType::card:
      return "card";
    case scenario::ValueType::event:
      return "event";
    case scenario::ValueType::event_or_result:
      return "event_or_result";
    case scenario::ValueType::mti:
      return "mti";
    case scenario::ValueType::response_code:
      return "response_code";
    case scenario::ValueType::currency:
      return "currency";
    case scenario::ValueType::transaction_id:
      return "transaction_id";
    case scenario::ValueType::iso_fields:
      return "iso_fields";
    case scenario::ValueType::duration:
      return "duration";
    case scenario::ValueType::count:
      return "count";
    case scenario::ValueType::pattern:
      return "pattern";
  }
  return "?";
}

py::dict param_dict(const scenario::Param& p) {
  py::dict d;
  d["name"] = p.name;
  d["type"] = type_name(p.type);
  d["required"] = p.required;
  d["doc"] = p.doc;
  d["choices"] = p.choices;
  d["min"] = p.min;
  d["max"] = p.max ? py::object(py::float_(*p.max)) : py::object(py::none());
  d["default"] = to_py(p.fallback);
  return d;
}

py::list params_list(const std::vector<scenario::Param>& params) {
  py::list out;
  for (const auto& p : params) out.append(param_dict(p));
  return out;
}

py::list named_list(const std::vector<scenario::NamedDoc>& list) {
  py::list out;
  for (const auto& n : list) {
    py::dict d;
    d["name"] = n.name;
    d["doc"] = n.doc;
    out.append(std::move(d));
  }
  return out;
}

}  // namespace

void DefineFaults(py::module_& m) {
  m.def(
      "faults",
      [] {
        py::list out;
        for (const auto& f : scenario::faults()) {
          py::dict d;
          d["name"] = f.name;
          d["family"] = f.family;
          d["doc"] = f.doc;
          d["params"] = params_list(f.params);
          d["one_of"] = f.one_of;
          out.append(std::move(d));
        }
        return out;
      },
      "Every fault Station.inject() and `fault:` steps accept: name, family (the bench entry\n"
      "that applies it), doc, params [{name, type, required, doc, choices, min, max,\n"
      "default}], one_of.");
  m.def(
      "steps",
      [] {
        py::list out;
        for (const auto& s : scenario::steps()) {
          py::dict d;
          d["name"] = s.name;
          d["family"] = s.family;
          d["transaction"] = s.transaction;
          d["bare"] = s.bare;
          d["form"] = s.form;
          d["doc"] = s.doc;
          d["params"] = params_list(s.params);
          out.append(std::move(d));
        }
        return out;
      },
      "Every step key with how it is written and its parameters.");
  m.def(
      "expectations",
      [] {
        py::list out;
        for (const auto& e : scenario::expectations()) {
          py::dict d;
          d["name"] = e.name;
          d["doc"] = e.doc;
          d["default_within_ms"] = e.default_within.count();
          d["value"] = e.value ? py::object(param_dict(*e.value)) : py::object(py::none());
          d["params"] = params_list(e.params);
          out.append(std::move(d));
        }
        return out;
      },
      "Every expectation kind (Station.expect keywords) with its parameters.");
  m.def(
      "trigger_kinds", [] { return named_list(scenario::trigger_kinds()); },
      "Keys of a fault's `when`.");
  m.def(
      "prompt_kinds", [] { return named_list(scenario::prompt_kinds()); },
      "Prompt kinds the terminal shows (PIN, RESCAN, …).");
  m.def(
      "card_damages", [] { return named_list(scenario::card_damages()); },
      "Damages a card may be inserted with.");
  m.def(
      "known_events", [] { return named_list(scenario::known_events()); },
      "Events the terminal reports (any capitalised name is accepted).");
  m.def("family_of", &rig::engine::family_of, py::arg("action"),
        "Bench fault family of a fault or fixture action: \"network.down\" -> \"network\".");
  m.def("needed_families", &scenario::needed_families, py::arg("scenario"),
        "Bench fault families a scenario drives.");
}

}  // namespace posrig_py
