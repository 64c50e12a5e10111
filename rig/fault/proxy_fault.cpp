#include "rig/fault/proxy_fault.h"

#include <fmt/format.h>

#include <utility>

namespace rig::fault {

namespace {

// An enum value with its text; one table per enum serves both to_string() and parse_...().
template <typename E>
struct Named {
  E value;
  const char* text;
};

constexpr Named<Framing> kFramings[] = {
    {Framing::raw, "raw"}, {Framing::iso8583, "iso8583"}, {Framing::http, "http"}};

constexpr Named<Direction> kDirections[] = {{Direction::to_upstream, "to_upstream"},
                                            {Direction::to_client, "to_client"},
                                            {Direction::both, "both"}};

constexpr Named<FaultKind> kFaultKinds[] = {
    {FaultKind::down, "down"},       {FaultKind::blackhole, "blackhole"},
    {FaultKind::latency, "latency"}, {FaultKind::bandwidth, "bandwidth"},
    {FaultKind::reset, "reset"},     {FaultKind::slice, "slice"},
    {FaultKind::corrupt, "corrupt"}, {FaultKind::limit, "limit"}};

// "?" for a value the table does not name.
template <typename E, std::size_t N>
const char* text_of(const Named<E> (&table)[N], E value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.text;
  }
  return "?";
}

template <typename E, std::size_t N>
std::optional<E> value_of(const Named<E> (&table)[N], std::string_view text) {
  for (const auto& entry : table) {
    if (text == entry.text) return entry.value;
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(Framing framing) { return text_of(kFramings, framing); }
const char* to_string(Direction direction) { return text_of(kDirections, direction); }
const char* to_string(FaultKind kind) { return text_of(kFaultKinds, kind); }

std::optional<Framing> parse_framing(std::string_view text) { return value_of(kFramings, text); }
std::optional<Direction> parse_direction(std::string_view text) {
  return value_of(kDirections, text);
}
std::optional<FaultKind> parse_fault_kind(std::string_view text) {
  return value_of(kFaultKinds, text);
}

bool covers(Direction scope, Direction direction) {
  return scope == Direction::both || scope == direction;
}

namespace {

FaultSpec of_kind(FaultKind kind) {
  FaultSpec spec;
  spec.kind = kind;
  return spec;
}

// A spec of `kind` with its parameter set.
template <typename T>
FaultSpec of_kind(FaultKind kind, T FaultSpec::*parameter, T value) {
  FaultSpec spec = of_kind(kind);
  spec.*parameter = value;
  return spec;
}

// A trigger on every message in `direction`; on_mti() and on_path() narrow it.
Trigger on_any(Direction direction, int occurrence) {
  Trigger trigger;
  trigger.direction = direction;
  trigger.occurrence = occurrence;
  return trigger;
}

}  // namespace

FaultSpec FaultSpec::down() { return of_kind(FaultKind::down); }
FaultSpec FaultSpec::blackhole() { return of_kind(FaultKind::blackhole); }
FaultSpec FaultSpec::reset() { return of_kind(FaultKind::reset); }

FaultSpec FaultSpec::latency_of(Millis latency, Millis jitter) {
  FaultSpec spec = of_kind(FaultKind::latency, &FaultSpec::latency, latency);
  spec.jitter = jitter;
  return spec;
}

FaultSpec FaultSpec::bandwidth_of(std::uint64_t bytes_per_second) {
  return of_kind(FaultKind::bandwidth, &FaultSpec::bytes_per_second, bytes_per_second);
}

FaultSpec FaultSpec::slice_into(std::size_t bytes, Millis gap) {
  FaultSpec spec = of_kind(FaultKind::slice, &FaultSpec::slice_bytes, bytes);
  spec.slice_gap = gap;
  return spec;
}

FaultSpec FaultSpec::corrupt_count(std::size_t bytes) {
  return of_kind(FaultKind::corrupt, &FaultSpec::corrupt_bytes, bytes);
}

FaultSpec FaultSpec::corrupt_rate(double byte_probability) {
  return of_kind(FaultKind::corrupt, &FaultSpec::corrupt_byte_probability, byte_probability);
}

FaultSpec FaultSpec::limit_to(std::uint64_t bytes) {
  return of_kind(FaultKind::limit, &FaultSpec::limit_bytes, bytes);
}

bool FaultSpec::delivers_trigger() const {
  if (deliver_trigger) return *deliver_trigger;
  return kind != FaultKind::down && kind != FaultKind::reset && kind != FaultKind::blackhole;
}

Trigger on_mti(std::string mti, Direction direction, int occurrence) {
  Trigger trigger = on_any(direction, occurrence);
  trigger.mti = std::move(mti);
  return trigger;
}

Trigger on_path(std::string path, Direction direction, int occurrence) {
  Trigger trigger = on_any(direction, occurrence);
  trigger.path = std::move(path);
  return trigger;
}

std::optional<std::string> validate(const FaultSpec& spec, Framing framing) {
  const std::string kind = to_string(spec.kind);
  auto error = [&](const std::string& text) {
    return std::optional<std::string>(kind + ": " + text);
  };
  // probability is checked first: every kind has one.
  if (!(spec.probability > 0.0 && spec.probability <= 1.0)) {
    return error(fmt::format("probability must be in (0, 1], got {}", spec.probability));
  }
  const bool whole_only = spec.kind == FaultKind::bandwidth || spec.kind == FaultKind::limit ||
                          (spec.kind == FaultKind::down && spec.trigger);
  if (whole_only && spec.probability < 1.0) return error("probability below 1 is not supported");
  if (spec.duration.count() < 0 || spec.latency.count() < 0 || spec.jitter.count() < 0 ||
      spec.slice_gap.count() < 0) {
    return error("negative duration");
  }
  switch (spec.kind) {
    case FaultKind::latency:
      if (spec.latency.count() == 0 && spec.jitter.count() == 0) {
        return error("needs latency or jitter above 0 ms");
      }
      break;
    case FaultKind::bandwidth:
      if (spec.bytes_per_second == 0) return error("needs bytes_per_second above 0");
      break;
    case FaultKind::slice:
      if (spec.slice_bytes == 0) return error("needs slice_bytes above 0");
      break;
    case FaultKind::corrupt:
      if (spec.corrupt_bytes == 0 && spec.corrupt_byte_probability == 0.0) {
        return error("needs corrupt_bytes or corrupt_byte_probability");
      }
      if (spec.corrupt_byte_probability != 0.0 &&
          !(spec.corrupt_byte_probability > 0.0 && spec.corrupt_byte_probability <= 1.0)) {
        return error(fmt::format("corrupt_byte_probability must be in (0, 1], got {}",
                                 spec.corrupt_byte_probability));
      }
      break;
    case FaultKind::down:
    case FaultKind::blackhole:
    case FaultKind::reset:
    case FaultKind::limit:
      break;
  }
  if (spec.trigger) {
    const Trigger& trigger = *spec.trigger;
    if (!trigger.mti.empty() && !trigger.path.empty())
      return error("trigger has both mti and path");
    if (!trigger.mti.empty()) {
      bool digits = trigger.mti.size() == 4;
      for (char c : trigger.mti) digits = digits && c >= '0' && c <= '9';
      if (!digits) return error(fmt::format("trigger mti \"{}\" is not 4 digits", trigger.mti));
    }
    if (!trigger.path.empty() && trigger.path.front() != '/') {
      return error(fmt::format("trigger path \"{}\" does not start with '/'", trigger.path));
    }
    if (trigger.occurrence < 1) {
      return error(
          fmt::format("trigger occurrence must be at least 1, got {}", trigger.occurrence));
    }
    if (!trigger.mti.empty() && framing != Framing::iso8583) {
      return error(fmt::format("an MTI trigger needs iso8583 framing; this proxy frames {}",
                               to_string(framing)));
    }
    if (!trigger.path.empty() && framing != Framing::http) {
      return error(fmt::format("a path trigger needs http framing; this proxy frames {}",
                               to_string(framing)));
    }
  }
  return std::nullopt;
}

std::string describe(const FaultSpec& spec) {
  std::string text = to_string(spec.kind);
  switch (spec.kind) {
    case FaultKind::latency:
      text += fmt::format(" {}ms", spec.latency.count());
      if (spec.jitter.count() > 0) text += fmt::format("+{}ms", spec.jitter.count());
      break;
    case FaultKind::bandwidth:
      text += fmt::format(" {} B/s", spec.bytes_per_second);
      break;
    case FaultKind::slice:
      text += fmt::format(" {} bytes every {}ms", spec.slice_bytes, spec.slice_gap.count());
      break;
    case FaultKind::corrupt:
      if (spec.corrupt_bytes > 0) text += fmt::format(" {} bytes", spec.corrupt_bytes);
      if (spec.corrupt_byte_probability > 0) {
        text += fmt::format(" each byte p={}", spec.corrupt_byte_probability);
      }
      break;
    case FaultKind::limit:
      text += fmt::format(" {} bytes", spec.limit_bytes);
      break;
    case FaultKind::down:
    case FaultKind::blackhole:
    case FaultKind::reset:
      break;
  }
  if (spec.kind != FaultKind::down) text += fmt::format(" {}", to_string(spec.direction));
  if (spec.trigger) {
    const Trigger& trigger = *spec.trigger;
    text += " when ";
    if (trigger.occurrence > 1) text += fmt::format("#{} ", trigger.occurrence);
    if (!trigger.mti.empty()) {
      text += trigger.mti;
    } else if (!trigger.path.empty()) {
      text += trigger.path;
    } else {
      text += "any message";
    }
    text += fmt::format(" {}", to_string(trigger.direction));
    if (spec.deliver_trigger) text += *spec.deliver_trigger ? " delivered" : " dropped";
  }
  if (spec.probability < 1.0) text += fmt::format(" p={} seed={}", spec.probability, spec.seed);
  if (spec.duration.count() > 0) text += fmt::format(" for {}ms", spec.duration.count());
  return text;
}

}  // namespace rig::fault
