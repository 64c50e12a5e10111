// ${name} expansion in bench values (see bench.h for the variables a bench has).
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace rig::bench {

class Variables {
 public:
  void set(const std::string& name, std::string value) { values_[name] = std::move(value); }
  // Adds KEY=VALUE words of a ready line ("READY iso=127.0.0.1:4000 wallet=…") as PREFIX.KEY.
  void add_ready_line(const std::string& prefix, const std::string& line);
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  const std::string& get(const std::string& name) const;

  // Replaces every ${name}; "$$" stands for a literal '$'. An unknown name throws
  // std::invalid_argument: "unknown variable ${x} in '…' (known: …)".
  std::string expand(const std::string& text) const;
  std::vector<std::string> expand(const std::vector<std::string>& texts) const;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace rig::bench
