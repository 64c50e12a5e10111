#include "rig/protocol/zvt.h"

#include <cctype>
#include <functional>
#include <type_traits>

namespace rig::protocol::zvt {

namespace {

std::uint8_t byte_at(std::string_view s, std::size_t i) { return static_cast<std::uint8_t>(s[i]); }

// Name of each message type, for errors and describe().
struct NameOf {
  const char* operator()(const Registration&) const { return "Registration"; }
  const char* operator()(const Authorization&) const { return "Authorization"; }
  const char* operator()(const Reversal&) const { return "Reversal"; }
  const char* operator()(const Refund&) const { return "Refund"; }
  const char* operator()(const RepeatReceipt&) const { return "Repeat receipt"; }
  const char* operator()(const AbortRequest&) const { return "Abort request"; }
  const char* operator()(const StatusEnquiry&) const { return "Status enquiry"; }
  const char* operator()(const Diagnosis&) const { return "Diagnosis"; }
  const char* operator()(const LogOff&) const { return "Log-off"; }
  const char* operator()(const EndOfDay&) const { return "End-of-day"; }
  const char* operator()(const Ack&) const { return "Acknowledgement"; }
  const char* operator()(const Nack&) const { return "Negative acknowledgement"; }
  const char* operator()(const IntermediateStatus&) const { return "Intermediate status"; }
  const char* operator()(const StatusInformation&) const { return "Status information"; }
  const char* operator()(const PrintLine&) const { return "Print line"; }
  const char* operator()(const PrintTextBlock&) const { return "Print text block"; }
  const char* operator()(const Completion&) const { return "Completion"; }
  const char* operator()(const Abort&) const { return "Abort"; }
};

struct CommandOf {
  std::uint16_t operator()(const Registration&) const { return 0x0600; }
  std::uint16_t operator()(const Authorization&) const { return 0x0601; }
  std::uint16_t operator()(const Reversal&) const { return 0x0630; }
  std::uint16_t operator()(const Refund&) const { return 0x0631; }
  std::uint16_t operator()(const RepeatReceipt&) const { return 0x0620; }
  std::uint16_t operator()(const AbortRequest&) const { return 0x06B0; }
  std::uint16_t operator()(const StatusEnquiry&) const { return 0x0501; }
  std::uint16_t operator()(const Diagnosis&) const { return 0x0670; }
  std::uint16_t operator()(const LogOff&) const { return 0x0602; }
  std::uint16_t operator()(const EndOfDay&) const { return 0x0650; }
  std::uint16_t operator()(const Ack&) const { return 0x8000; }
  std::uint16_t operator()(const Nack& n) const {
    return static_cast<std::uint16_t>(0x8400 | n.code);
  }
  std::uint16_t operator()(const IntermediateStatus&) const { return 0x04FF; }
  std::uint16_t operator()(const StatusInformation&) const { return 0x040F; }
  std::uint16_t operator()(const PrintLine&) const { return 0x06D1; }
  std::uint16_t operator()(const PrintTextBlock&) const { return 0x06D3; }
  std::uint16_t operator()(const Completion&) const { return 0x060F; }
  std::uint16_t operator()(const Abort&) const { return 0x061E; }
};

// ---------------------------------------------------------------------------------------------
// Decoding helpers: each sets `error` (prefixed by the caller) and returns false on a problem.

struct Reader {
  std::string error;

  bool fail(std::string what) {
    error = std::move(what);
    return false;
  }

  template <class T>
  bool bcd(const Bmp& b, std::optional<T>& out) {
    const auto v = bcd_value(b.value);
    if (!v) return fail("BMP " + hex(b.id) + " is not BCD");
    out = static_cast<T>(*v);
    return true;
  }
  bool digits(const Bmp& b, std::optional<std::string>& out) {
    auto d = decode_bcd(b.value);
    if (!d) return fail("BMP " + hex(b.id) + " is not BCD");
    out = std::move(*d);
    return true;
  }
  bool byte(const Bmp& b, std::optional<std::uint8_t>& out) {
    out = static_cast<std::uint8_t>(b.value[0]);
    return true;
  }
  bool text(const Bmp& b, std::optional<std::string>& out) {
    out = b.value;
    return true;
  }
  bool tlv(const Bmp& b, std::optional<std::vector<Tlv>>& out) {
    TlvDecoded t = decode_tlv(b.value);
    if (!t.ok()) return fail("TLV container: " + t.error);
    out = std::move(t.objects);
    return true;
  }
  bool password(std::string_view data, std::string& out) {
    auto d = decode_bcd(data.substr(0, 3));
    if (!d) return fail("password is not BCD");
    out = std::move(*d);
    return true;
  }

  // Decodes `data` as BMPs and hands each to `take`, which returns 1 when it took it, 0 when
  // it is not one it knows (then it goes to `extra`, or is refused when `extra` is null), -1
  // on an error it has set.
  bool bmps(std::string_view data, const std::function<int(const Bmp&)>& take,
            std::vector<Bmp>* extra) {
    BmpsDecoded d = decode_bmps(data);
    if (!d.ok()) return fail(d.error);
    for (const Bmp& b : d.bmps) {
      const int r = take(b);
      if (r < 0) return false;
      if (r == 0) {
        if (!extra) return fail("BMP " + hex(b.id) + " is not allowed here");
        extra->push_back(b);
      }
    }
    return true;
  }
};

// A `take` result from a reader call: 1 when it succeeded, -1 when it failed.
int took(bool ok) { return ok ? 1 : -1; }

// ---------------------------------------------------------------------------------------------
// Encoding helpers

struct Writer {
  std::vector<Bmp> bmps;
  std::string error;

  bool fail(std::string what) {
    if (error.empty()) error = std::move(what);
    return false;
  }

  template <class T>
  void bcd(std::uint8_t id, const std::optional<T>& v, std::size_t bytes, const char* what) {
    if (!v) return;
    auto b = bcd_bytes(static_cast<std::uint64_t>(*v), bytes);
    if (!b) {
      fail(std::string(what) + " " + std::to_string(static_cast<std::uint64_t>(*v)) +
           " does not fit " + std::to_string(bytes * 2) + " digits");
      return;
    }
    bmps.push_back(Bmp{id, std::move(*b)});
  }
  void digits(std::uint8_t id, const std::optional<std::string>& v, std::size_t bytes,
              const char* what) {
    if (!v) return;
    auto b = v->size() == bytes * 2 ? encode_bcd(*v, bytes) : std::nullopt;
    if (!b) {
      fail(std::string(what) + " must be " + std::to_string(bytes * 2) + " digits");
      return;
    }
    bmps.push_back(Bmp{id, std::move(*b)});
  }
  void byte(std::uint8_t id, const std::optional<std::uint8_t>& v) {
    if (v) bmps.push_back(Bmp{id, std::string(1, static_cast<char>(*v))});
  }
  void text(std::uint8_t id, const std::optional<std::string>& v) {
    if (v) bmps.push_back(Bmp{id, *v});
  }
  void extra(const std::vector<Bmp>& more) {
    for (const Bmp& b : more) {
      for (const Bmp& typed : bmps) {
        if (typed.id == b.id) {
          fail("BMP " + hex(b.id) + " in extra is typed; set its field instead");
          return;
        }
      }
      if (b.id == bmp::kTlv) {
        fail("BMP 0x06 in extra: set tlv instead");
        return;
      }
      bmps.push_back(b);
    }
  }
  void tlv(const std::optional<std::vector<Tlv>>& v) {
    if (!v) return;
    TlvEncoded t = encode_tlv(*v);
    if (!t.ok()) {
      fail(t.error);
      return;
    }
    bmps.push_back(Bmp{bmp::kTlv, std::move(t.bytes)});
  }
  // The BMPs' bytes appended to `head`; empty with `error` set on a problem.
  std::string finish(std::string head) {
    if (!error.empty()) return {};
    BmpsEncoded e = encode_bmps(bmps);
    if (!e.ok()) {
      fail(e.error);
      return {};
    }
    return head + e.bytes;
  }
};

bool password_bytes(const std::string& password, std::string& out, Writer& w) {
  auto b = password.size() == 6 ? encode_bcd(password, 3) : std::nullopt;
  if (!b) return w.fail("password must be 6 digits");
  out = std::move(*b);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Typed BMPs of a message: which member holds each and how, in the order encoding writes them.

enum class Form {
  byte,    // binary, 1 byte (std::optional<std::uint8_t>)
  number,  // BCD, `bytes` long (an optional unsigned integer)
  digits,  // BCD, `bytes` long, kept as its digits (std::optional<std::string>)
  text,    // as it is (std::optional<std::string>)
  pan,     // BMP 22: masked PAN; a BMP 22 that is no PAN is left to `extra`
};

template <class M>
struct Field {
  std::uint8_t id;
  Form form;
  std::size_t bytes;
  const char* what;
  std::variant<std::optional<std::uint8_t> M::*, std::optional<std::uint16_t> M::*,
               std::optional<std::uint32_t> M::*, std::optional<std::uint64_t> M::*,
               std::optional<std::string> M::*>
      member;
};

// Takes `b` into its field of `m`: 1 taken, 0 not one of `fields`, -1 error (in `r`).
template <class M, std::size_t N>
int take(const Field<M> (&fields)[N], const Bmp& b, M& m, Reader& r) {
  for (const Field<M>& f : fields) {
    if (f.id != b.id) continue;
    return std::visit(
        [&](auto member) -> int {
          auto& slot = m.*member;
          using T = typename std::decay_t<decltype(slot)>::value_type;
          if constexpr (std::is_same_v<T, std::string>) {
            if (f.form == Form::digits) return took(r.digits(b, slot));
            if (f.form == Form::pan) {
              auto pan = decode_pan(b.value);
              if (!pan) return 0;
              slot = std::move(*pan);
              return 1;
            }
            return took(r.text(b, slot));
          } else if constexpr (std::is_same_v<T, std::uint8_t>) {
            return took(r.byte(b, slot));
          } else {
            return took(r.bcd(b, slot));
          }
        },
        f.member);
  }
  return 0;
}

template <class M, std::size_t N>
void write(const Field<M> (&fields)[N], const M& m, Writer& w) {
  for (const Field<M>& f : fields) {
    std::visit(
        [&](auto member) {
          const auto& slot = m.*member;
          using T = typename std::decay_t<decltype(slot)>::value_type;
          if constexpr (std::is_same_v<T, std::string>) {
            if (!slot) return;
            if (f.form == Form::digits) return w.digits(f.id, slot, f.bytes, f.what);
            if (f.form == Form::pan) {
              auto pan = encode_pan(*slot);
              if (!pan) {
                w.fail("PAN of " + std::to_string(slot->size()) +
                       " characters must be digits and '*', 19 at most");
                return;
              }
              w.bmps.push_back(Bmp{f.id, std::move(*pan)});
              return;
            }
            w.text(f.id, slot);
          } else if constexpr (std::is_same_v<T, std::uint8_t>) {
            w.byte(f.id, slot);
          } else {
            w.bcd(f.id, slot, f.bytes, f.what);
          }
        },
        f.member);
  }
}

using SI = StatusInformation;
// The specification's order of the status information's BMPs.
const Field<SI> kStatusFields[] = {
    {bmp::kResultCode, Form::byte, 1, "result code", &SI::result_code},
    {bmp::kAmount, Form::number, 6, "amount", &SI::amount},
    {bmp::kTrace, Form::number, 3, "trace number", &SI::trace},
    {bmp::kTime, Form::digits, 3, "time", &SI::time},
    {bmp::kDate, Form::digits, 2, "date", &SI::date},
    {bmp::kExpiry, Form::digits, 2, "expiry date", &SI::expiry},
    {bmp::kCardSequence, Form::number, 2, "card sequence number", &SI::card_sequence},
    {bmp::kPaymentType, Form::byte, 1, "payment type", &SI::payment_type},
    {bmp::kPan, Form::pan, 0, "PAN", &SI::pan},
    {bmp::kTerminalId, Form::digits, 4, "terminal ID", &SI::terminal_id},
    {bmp::kVuNumber, Form::text, 0, "VU number", &SI::vu_number},
    {bmp::kAid, Form::text, 0, "AID", &SI::aid},
    {bmp::kAdditionalText, Form::text, 0, "additional text", &SI::additional_text},
    {bmp::kCurrency, Form::number, 2, "currency", &SI::currency},
    {bmp::kReceiptNr, Form::number, 2, "receipt number", &SI::receipt_nr},
    {bmp::kTurnoverNr, Form::number, 3, "turnover number", &SI::turnover_nr},
    {bmp::kCardType, Form::byte, 1, "card type", &SI::card_type},
    {bmp::kCardName, Form::text, 0, "card name", &SI::card_name},
    {bmp::kCardTypeId, Form::byte, 1, "card type ID", &SI::card_type_id},
};
const Field<Completion> kCompletionFields[] = {
    {bmp::kPaymentType, Form::byte, 1, "status byte", &Completion::status_byte},
    {bmp::kTerminalId, Form::digits, 4, "terminal ID", &Completion::terminal_id},
    {bmp::kCurrency, Form::number, 2, "currency", &Completion::currency},
};
// Authorization's amount is required and not optional; it is handled on its own.
const Field<Authorization> kAuthorizationFields[] = {
    {bmp::kCurrency, Form::number, 2, "currency", &Authorization::currency},
    {bmp::kPaymentType, Form::byte, 1, "payment type", &Authorization::payment_type},
    {bmp::kTimeout, Form::byte, 1, "timeout", &Authorization::timeout},
    {bmp::kMaxStatusInfos, Form::byte, 1, "max status infos", &Authorization::max_status_infos},
};
const Field<Reversal> kReversalFields[] = {
    {bmp::kReceiptNr, Form::number, 2, "receipt number", &Reversal::receipt_nr},
    {bmp::kAmount, Form::number, 6, "amount", &Reversal::amount},
    {bmp::kCurrency, Form::number, 2, "currency", &Reversal::currency},
};
const Field<Refund> kRefundFields[] = {
    {bmp::kCurrency, Form::number, 2, "currency", &Refund::currency},
    {bmp::kReceiptNr, Form::number, 2, "receipt number", &Refund::receipt_nr},
};

// ---------------------------------------------------------------------------------------------
// Decoders, one per command. `r.error` says what is wrong, without the message name.

std::optional<Message> decode_registration(std::string_view d, Reader& r) {
  Registration m;
  if (d.size() < 4) {
    r.fail("data of " + std::to_string(d.size()) + " bytes (password and config byte need 4)");
    return std::nullopt;
  }
  if (!r.password(d, m.password)) return std::nullopt;
  m.config = byte_at(d, 3);
  std::string_view rest = d.substr(4);
  if (rest.size() == 1) {
    r.fail("1 byte after the config byte (the currency code needs 2)");
    return std::nullopt;
  }
  if (rest.size() >= 2) {
    const auto cc = bcd_value(rest.substr(0, 2));
    if (!cc) {
      r.fail("currency code is not BCD");
      return std::nullopt;
    }
    m.currency = static_cast<std::uint16_t>(*cc);
    rest = rest.substr(2);
  }
  const bool ok = r.bmps(
      rest,
      [&](const Bmp& b) {
        if (b.id == bmp::kServiceByte) return took(r.byte(b, m.service_byte));
        if (b.id == bmp::kTlv) return took(r.tlv(b, m.tlv));
        return 0;
      },
      nullptr);
  if (!ok) return std::nullopt;
  return m;
}

std::optional<Message> decode_authorization(std::string_view d, Reader& r) {
  Authorization m;
  std::optional<std::uint64_t> amount;
  const bool ok = r.bmps(
      d,
      [&](const Bmp& b) {
        if (b.id == bmp::kAmount) return took(r.bcd(b, amount));
        if (b.id == bmp::kTlv) return took(r.tlv(b, m.tlv));
        return take(kAuthorizationFields, b, m, r);
      },
      &m.extra);
  if (!ok) return std::nullopt;
  if (!amount) {
    r.fail("no amount (BMP 04)");
    return std::nullopt;
  }
  m.amount = *amount;
  return m;
}

template <class T>
std::optional<Message> decode_with_password(std::string_view d, Reader& r,
                                            const std::function<int(const Bmp&, T&)>& take,
                                            bool allow_extra) {
  T m;
  if (d.size() < 3) {
    r.fail("data of " + std::to_string(d.size()) + " bytes (the password needs 3)");
    return std::nullopt;
  }
  if (!r.password(d, m.password)) return std::nullopt;
  std::vector<Bmp> extra;
  const bool ok = r.bmps(
      d.substr(3), [&](const Bmp& b) { return take(b, m); }, allow_extra ? &extra : nullptr);
  if (!ok) return std::nullopt;
  if constexpr (std::is_same_v<T, Reversal> || std::is_same_v<T, Refund>) m.extra = extra;
  return m;
}

std::optional<Message> decode_reversal(std::string_view d, Reader& r) {
  return decode_with_password<Reversal>(
      d, r,
      [&](const Bmp& b, Reversal& m) {
        return b.id == bmp::kTlv ? took(r.tlv(b, m.tlv)) : take(kReversalFields, b, m, r);
      },
      true);
}

std::optional<Message> decode_refund(std::string_view d, Reader& r) {
  std::optional<std::uint64_t> amount;
  auto m = decode_with_password<Refund>(
      d, r,
      [&](const Bmp& b, Refund& m) {
        if (b.id == bmp::kAmount) return took(r.bcd(b, amount));
        if (b.id == bmp::kTlv) return took(r.tlv(b, m.tlv));
        return take(kRefundFields, b, m, r);
      },
      true);
  if (!m) return std::nullopt;
  if (!amount) {
    r.fail("no amount (BMP 04)");
    return std::nullopt;
  }
  std::get<Refund>(*m).amount = *amount;
  return m;
}

std::optional<Message> decode_repeat_receipt(std::string_view d, Reader& r) {
  return decode_with_password<RepeatReceipt>(
      d, r,
      [&](const Bmp& b, RepeatReceipt& m) {
        if (b.id == bmp::kServiceByte) return took(r.byte(b, m.service_byte));
        if (b.id == bmp::kTlv) return took(r.tlv(b, m.tlv));
        return 0;
      },
      false);
}

std::optional<Message> decode_end_of_day(std::string_view d, Reader& r) {
  return decode_with_password<EndOfDay>(
      d, r,
      [&](const Bmp& b, EndOfDay& m) { return b.id == bmp::kTlv ? took(r.tlv(b, m.tlv)) : 0; },
      false);
}

// A message whose data is only an optional TLV container.
template <class T>
std::optional<Message> decode_tlv_only(std::string_view d, Reader& r) {
  T m;
  const bool ok = r.bmps(
      d, [&](const Bmp& b) { return b.id == bmp::kTlv ? took(r.tlv(b, m.tlv)) : 0; }, nullptr);
  if (!ok) return std::nullopt;
  return m;
}

std::optional<Message> decode_status_enquiry(std::string_view d, Reader& r) {
  StatusEnquiry m;
  if (!d.empty()) {
    if (d.size() < 3) {
      r.fail("data of " + std::to_string(d.size()) + " bytes (the password needs 3)");
      return std::nullopt;
    }
    m.password.emplace();
    if (!r.password(d, *m.password)) return std::nullopt;
    d = d.substr(3);
  }
  const bool ok = r.bmps(
      d,
      [&](const Bmp& b) {
        if (b.id == bmp::kServiceByte) return took(r.byte(b, m.service_byte));
        if (b.id == bmp::kTlv) return took(r.tlv(b, m.tlv));
        return 0;
      },
      nullptr);
  if (!ok) return std::nullopt;
  return m;
}

std::optional<Message> decode_intermediate_status(std::string_view d, Reader& r) {
  IntermediateStatus m;
  if (d.empty()) {
    r.fail("data is empty (status code missing)");
    return std::nullopt;
  }
  m.status = byte_at(d, 0);
  if (d.size() >= 2) m.timeout = byte_at(d, 1);
  const bool ok = r.bmps(
      d.size() > 2 ? d.substr(2) : std::string_view(),
      [&](const Bmp& b) { return b.id == bmp::kTlv ? took(r.tlv(b, m.tlv)) : 0; }, nullptr);
  if (!ok) return std::nullopt;
  return m;
}

std::optional<Message> decode_status_information(std::string_view d, Reader& r) {
  StatusInformation m;
  const bool ok = r.bmps(
      d,
      [&](const Bmp& b) {
        return b.id == bmp::kTlv ? took(r.tlv(b, m.tlv)) : take(kStatusFields, b, m, r);
      },
      &m.extra);
  if (!ok) return std::nullopt;
  return m;
}

std::optional<Message> decode_print_line(std::string_view d, Reader& r) {
  PrintLine m;
  if (d.empty()) {
    r.fail("data is empty (attribute missing)");
    return std::nullopt;
  }
  m.attribute = byte_at(d, 0);
  std::string_view rest = d.substr(1);
  // Text is printable; a byte 0x06 can only start the TLV container that may follow it.
  const std::size_t tlv_at = rest.find('\x06');
  m.text = std::string(rest.substr(0, tlv_at));
  if (tlv_at != std::string_view::npos) {
    const bool ok = r.bmps(
        rest.substr(tlv_at),
        [&](const Bmp& b) { return b.id == bmp::kTlv ? took(r.tlv(b, m.tlv)) : 0; }, nullptr);
    if (!ok) return std::nullopt;
  }
  return m;
}

std::optional<Message> decode_print_text_block(std::string_view d, Reader& r) {
  PrintTextBlock m;
  std::optional<std::vector<Tlv>> tlv;
  const bool ok = r.bmps(
      d, [&](const Bmp& b) { return b.id == bmp::kTlv ? took(r.tlv(b, tlv)) : 0; }, nullptr);
  if (!ok) return std::nullopt;
  if (!tlv) {
    r.fail("no TLV container (BMP 06)");
    return std::nullopt;
  }
  bool have_texts = false;
  for (Tlv& t : *tlv) {
    if (t.tag == tlv::kPrintTexts && !have_texts && !t.children.empty()) {
      have_texts = true;
      for (Tlv& c : t.children) {
        if (c.tag == tlv::kTextLines) {
          m.lines.push_back(std::move(c.value));
        } else {
          m.text_extra.push_back(std::move(c));
        }
      }
    } else if (t.tag == tlv::kReceiptType && !m.receipt_type) {
      if (t.value.size() != 1) {
        r.fail("receipt type (TLV 1F07) is not 1 byte");
        return std::nullopt;
      }
      m.receipt_type = byte_at(t.value, 0);
    } else {
      m.other.push_back(std::move(t));
    }
  }
  return m;
}

std::optional<Message> decode_completion(std::string_view d, Reader& r) {
  Completion m;
  // After a status enquiry the data starts with the software version (LLLVAR: three bytes
  // F0-F9) and the terminal status byte; no BMP a completion carries has an id F0-F9.
  const auto is_length_byte = [&](std::size_t i) {
    return (byte_at(d, i) & 0xF0) == 0xF0 && (byte_at(d, i) & 0x0F) <= 9;
  };
  if (d.size() >= 3 && is_length_byte(0) && is_length_byte(1) && is_length_byte(2)) {
    const std::size_t n =
        (byte_at(d, 0) & 0x0F) * 100u + (byte_at(d, 1) & 0x0F) * 10u + (byte_at(d, 2) & 0x0F);
    if (d.size() - 3 < n) {
      r.fail("software version: truncated: " + std::to_string(d.size() - 3) + " of " +
             std::to_string(n) + " bytes");
      return std::nullopt;
    }
    m.sw_version = std::string(d.substr(3, n));
    d = d.substr(3 + n);
    if (!d.empty()) {
      m.terminal_status = byte_at(d, 0);
      d = d.substr(1);
    }
  }
  const bool ok = r.bmps(
      d,
      [&](const Bmp& b) {
        return b.id == bmp::kTlv ? took(r.tlv(b, m.tlv)) : take(kCompletionFields, b, m, r);
      },
      &m.extra);
  if (!ok) return std::nullopt;
  return m;
}

std::optional<Message> decode_abort(std::string_view d, Reader& r) {
  Abort m;
  if (!d.empty()) {
    m.result_code = byte_at(d, 0);
    const bool ok = r.bmps(
        d.substr(1), [&](const Bmp& b) { return b.id == bmp::kTlv ? took(r.tlv(b, m.tlv)) : 0; },
        nullptr);
    if (!ok) return std::nullopt;
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Encoders: the APDU data of each message, or an error in `w`.

struct DataOf {
  Writer& w;

  std::string operator()(const Registration& m) const {
    std::string head;
    if (!password_bytes(m.password, head, w)) return {};
    head.push_back(static_cast<char>(m.config));
    if (m.currency) {
      auto cc = bcd_bytes(*m.currency, 2);
      if (!cc) {
        w.fail("currency " + std::to_string(*m.currency) + " does not fit 4 digits");
        return {};
      }
      head += *cc;
    } else if (m.service_byte || m.tlv) {
      w.fail("a service byte or TLV container needs the currency code before it");
      return {};
    }
    w.byte(bmp::kServiceByte, m.service_byte);
    w.tlv(m.tlv);
    return w.finish(head);
  }
  std::string operator()(const Authorization& m) const {
    w.bcd(bmp::kAmount, std::optional<std::uint64_t>(m.amount), 6, "amount");
    write(kAuthorizationFields, m, w);
    w.extra(m.extra);
    w.tlv(m.tlv);
    return w.finish({});
  }
  std::string operator()(const Reversal& m) const {
    std::string head;
    if (!password_bytes(m.password, head, w)) return {};
    write(kReversalFields, m, w);
    w.extra(m.extra);
    w.tlv(m.tlv);
    return w.finish(head);
  }
  std::string operator()(const Refund& m) const {
    std::string head;
    if (!password_bytes(m.password, head, w)) return {};
    w.bcd(bmp::kAmount, std::optional<std::uint64_t>(m.amount), 6, "amount");
    write(kRefundFields, m, w);
    w.extra(m.extra);
    w.tlv(m.tlv);
    return w.finish(head);
  }
  std::string operator()(const RepeatReceipt& m) const {
    std::string head;
    if (!password_bytes(m.password, head, w)) return {};
    w.byte(bmp::kServiceByte, m.service_byte);
    w.tlv(m.tlv);
    return w.finish(head);
  }
  std::string operator()(const AbortRequest& m) const {
    w.tlv(m.tlv);
    return w.finish({});
  }
  std::string operator()(const StatusEnquiry& m) const {
    std::string head;
    if (m.password) {
      if (!password_bytes(*m.password, head, w)) return {};
    } else if (m.service_byte || m.tlv) {
      w.fail("a service byte or TLV container needs the password before it");
      return {};
    }
    w.byte(bmp::kServiceByte, m.service_byte);
    w.tlv(m.tlv);
    return w.finish(head);
  }
  std::string operator()(const Diagnosis& m) const {
    w.tlv(m.tlv);
    return w.finish({});
  }
  std::string operator()(const LogOff&) const { return {}; }
  std::string operator()(const EndOfDay& m) const {
    std::string head;
    if (!password_bytes(m.password, head, w)) return {};
    w.tlv(m.tlv);
    return w.finish(head);
  }
  std::string operator()(const Ack&) const { return {}; }
  std::string operator()(const Nack&) const { return {}; }
  std::string operator()(const IntermediateStatus& m) const {
    std::string head(1, static_cast<char>(m.status));
    if (m.timeout) {
      head.push_back(static_cast<char>(*m.timeout));
    } else if (m.tlv) {
      w.fail("a TLV container needs a timeout before it");
      return {};
    }
    w.tlv(m.tlv);
    return w.finish(head);
  }
  std::string operator()(const StatusInformation& m) const {
    write(kStatusFields, m, w);
    w.extra(m.extra);
    w.tlv(m.tlv);
    return w.finish({});
  }
  std::string operator()(const PrintLine& m) const {
    if (m.text.find('\x06') != std::string::npos) {
      w.fail("text holds byte 0x06");
      return {};
    }
    w.tlv(m.tlv);
    return w.finish(std::string(1, static_cast<char>(m.attribute)) + m.text);
  }
  std::string operator()(const PrintTextBlock& m) const {
    std::vector<Tlv> container;
    if (m.receipt_type) {
      container.emplace_back(tlv::kReceiptType, std::string(1, static_cast<char>(*m.receipt_type)));
    }
    if (!m.lines.empty() || !m.text_extra.empty()) {
      Tlv texts = text_lines_tlv(tlv::kPrintTexts, m.lines);
      texts.children.insert(texts.children.end(), m.text_extra.begin(), m.text_extra.end());
      container.push_back(std::move(texts));
    }
    container.insert(container.end(), m.other.begin(), m.other.end());
    w.tlv(container);
    return w.finish({});
  }
  std::string operator()(const Completion& m) const {
    std::string head;
    if (m.sw_version) {
      if (m.sw_version->size() > 999) {
        w.fail("software version of " + std::to_string(m.sw_version->size()) +
               " bytes (at most 999)");
        return {};
      }
      const std::size_t n = m.sw_version->size();
      head.push_back(static_cast<char>(0xF0 | (n / 100)));
      head.push_back(static_cast<char>(0xF0 | (n / 10 % 10)));
      head.push_back(static_cast<char>(0xF0 | (n % 10)));
      head += *m.sw_version;
      if (m.terminal_status)
        head.push_back(static_cast<char>(*m.terminal_status));
      else if (m.status_byte || m.terminal_id || m.currency || !m.extra.empty() || m.tlv) {
        w.fail("BMPs after a software version need the terminal status before them");
        return {};
      }
    } else if (m.terminal_status) {
      w.fail("terminal status needs a software version");
      return {};
    }
    write(kCompletionFields, m, w);
    w.extra(m.extra);
    w.tlv(m.tlv);
    return w.finish(head);
  }
  std::string operator()(const Abort& m) const {
    std::string head;
    if (m.result_code) {
      head.push_back(static_cast<char>(*m.result_code));
    } else if (m.tlv) {
      w.fail("a TLV container needs the result code before it");
      return {};
    }
    w.tlv(m.tlv);
    return w.finish(head);
  }
};

struct CodeText {
  std::uint8_t code;
  const char* text;
};

template <std::size_t N>
const char* text_of(const CodeText (&table)[N], std::uint8_t code) {
  for (const CodeText& c : table) {
    if (c.code == code) return c.text;
  }
  return nullptr;
}

// Texts of the specification's result codes (13.x, chapter 10), in our words.
const CodeText kResultTexts[] = {
    {0x00, "no error"},
    {0x64, "card not readable (LRC/parity error)"},
    {0x65, "card data not present"},
    {0x66, "processing error"},
    {0x67, "function not permitted for ec and Maestro cards"},
    {0x68, "function not permitted for credit and tank cards"},
    {0x6A, "turnover file full"},
    {0x6B, "function deactivated (PT not registered)"},
    {0x6C, "abort via timeout or abort key"},
    {0x6E, "card in blocked list"},
    {0x6F, "wrong currency"},
    {0x71, "credit not sufficient (chip card)"},
    {0x72, "chip error"},
    {0x73, "card data incorrect"},
    {0x74, "DUKPT engine exhausted"},
    {0x75, "text not authentic"},
    {0x76, "PAN not in white list"},
    {0x77, "end-of-day batch not possible"},
    {0x78, "card expired"},
    {0x79, "card not yet valid"},
    {0x7A, "card unknown"},
    {0x7B, "fallback to magnetic stripe for girocard not possible"},
    {0x7C, "fallback to magnetic stripe not possible"},
    {0x7D, "communication error"},
    {0x7E, "fallback to magnetic stripe not possible, debit advice possible"},
    {0x83, "function not possible"},
    {0x85, "key missing"},
    {0x89, "PIN pad defective"},
    {0x9A, "ZVT protocol error"},
    {0x9B, "error from dial-up / communication fault"},
    {0x9C, "please wait"},
    {0xA0, "receiver not ready"},
    {0xA1, "remote station does not respond"},
    {0xA3, "no connection"},
    {0xA4, "submission of Geldkarte not possible"},
    {0xA5, "function not allowed due to PCI-DSS/P2PE rules"},
    {0xB1, "memory full"},
    {0xB2, "merchant journal full"},
    {0xB4, "already reversed"},
    {0xB5, "reversal not possible"},
    {0xB7, "pre-authorisation incorrect (amount too high) or amount wrong"},
    {0xB8, "error pre-authorisation"},
    {0xBF, "voltage supply too low"},
    {0xC0, "card locking mechanism defective"},
    {0xC1, "merchant card locked"},
    {0xC2, "diagnosis required"},
    {0xC3, "maximum amount exceeded"},
    {0xC4, "card profile invalid"},
    {0xC5, "payment method not supported"},
    {0xC6, "currency not applicable"},
    {0xC8, "amount too small"},
    {0xC9, "maximum transaction amount too small"},
    {0xCB, "function only allowed in EURO"},
    {0xCC, "printer not ready"},
    {0xCD, "cashback not possible"},
    {0xD2, "function not permitted for service cards"},
    {0xDC, "card inserted"},
    {0xDD, "error during card eject"},
    {0xDE, "error during card insertion"},
    {0xE0, "remote maintenance activated"},
    {0xE2, "card reader does not answer"},
    {0xE3, "shutter closed"},
    {0xE4, "terminal activation required"},
    {0xE7, "at least one goods group not found"},
    {0xE8, "no goods groups table loaded"},
    {0xE9, "restriction code not permitted"},
    {0xEA, "card code not permitted"},
    {0xEB, "function not executable (PIN algorithm unknown)"},
    {0xEC, "PIN processing not possible"},
    {0xED, "PIN pad defective"},
    {0xF0, "open end-of-day batch present"},
    {0xF1, "ec-cash/Maestro offline error"},
    {0xF5, "OPT error"},
    {0xF6, "OPT data not available"},
    {0xFA, "error transmitting offline transactions"},
    {0xFB, "turnover data set defective"},
    {0xFC, "necessary device not present or defective"},
    {0xFD, "baud rate not supported"},
    {0xFE, "register unknown"},
    {0xFF, "system error"},
};

// Texts of the specification's intermediate status codes (13.x, chapter 11), in our words.
const CodeText kStatusTexts[] = {
    {0x00, "waiting for amount confirmation"},
    {0x01, "please watch PIN pad"},
    {0x02, "please watch PIN pad"},
    {0x03, "not accepted"},
    {0x04, "waiting for response from host"},
    {0x05, "sending auto-reversal"},
    {0x06, "sending post-bookings"},
    {0x07, "card not admitted"},
    {0x08, "card unknown"},
    {0x09, "expired card"},
    {0x0A, "insert card"},
    {0x0B, "please remove card"},
    {0x0C, "card not readable"},
    {0x0D, "processing error"},
    {0x0E, "please wait"},
    {0x0F, "starting automatic end-of-day batch"},
    {0x10, "invalid card"},
    {0x11, "balance display"},
    {0x12, "system malfunction"},
    {0x13, "payment not possible"},
    {0x14, "credit not sufficient"},
    {0x15, "incorrect PIN"},
    {0x16, "limit not sufficient"},
    {0x17, "please wait"},
    {0x18, "PIN try limit exceeded"},
    {0x19, "card data incorrect"},
    {0x1A, "service mode"},
    {0x1B, "approved, please fill up"},
    {0x1C, "approved, please take goods"},
    {0x1D, "declined"},
    {0x26, "waiting for mobile number"},
    {0x27, "waiting for repeat of mobile number"},
    {0x28, "currency selection"},
    {0x29, "language selection"},
    {0x2A, "for loading please insert card"},
    {0x2B, "emergency transaction"},
    {0x2C, "application selection"},
    {0x68, "customer card insertion detected"},
    {0x69, "please select DCC"},
    {0xC7, "waiting for input of the mileage"},
    {0xC8, "waiting for cashier"},
    {0xC9, "starting automatic diagnosis"},
    {0xCA, "starting automatic initialisation"},
    {0xCB, "merchant journal full"},
    {0xCC, "debit advice not possible, PIN required"},
    {0xD2, "connecting dial-up"},
    {0xD3, "dial-up connection made"},
    {0xE0, "waiting for application selection"},
    {0xE1, "waiting for language selection"},
    {0xE2, "cleaning card requested"},
    {0xF1, "offline"},
    {0xF2, "online"},
    {0xF3, "offline transaction"},
    {0xFF, "see display texts"},
};

void append_optional(std::string& out, const char* key, const std::optional<std::string>& v) {
  if (v) out.append(" ").append(key).append("=").append(*v);
}

template <class T>
void append_number(std::string& out, const char* key, const std::optional<T>& v) {
  if (v) out.append(" ").append(key).append("=").append(std::to_string(*v));
}

void append_byte(std::string& out, const char* key, const std::optional<std::uint8_t>& v) {
  if (v) out.append(" ").append(key).append("=").append(hex(*v));
}

// Text shown in one line: control characters and bytes above 0x7E as '?', NULs dropped.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b == 0) continue;
    out.push_back(b < 0x20 || b > 0x7E ? '?' : c);
  }
  return out;
}

struct Describe {
  std::string operator()(const Registration& m) const {
    std::string s = " config=" + hex(m.config);
    append_number(s, "currency", m.currency);
    append_byte(s, "service", m.service_byte);
    return s;
  }
  std::string operator()(const Authorization& m) const {
    std::string s = " amount=" + std::to_string(m.amount);
    append_number(s, "currency", m.currency);
    append_byte(s, "payment_type", m.payment_type);
    return s;
  }
  std::string operator()(const Reversal& m) const {
    std::string s;
    append_number(s, "receipt", m.receipt_nr);
    append_number(s, "amount", m.amount);
    return s;
  }
  std::string operator()(const Refund& m) const {
    std::string s = " amount=" + std::to_string(m.amount);
    append_number(s, "currency", m.currency);
    append_number(s, "receipt", m.receipt_nr);
    return s;
  }
  std::string operator()(const RepeatReceipt&) const { return {}; }
  std::string operator()(const AbortRequest&) const { return {}; }
  std::string operator()(const StatusEnquiry&) const { return {}; }
  std::string operator()(const Diagnosis&) const { return {}; }
  std::string operator()(const LogOff&) const { return {}; }
  std::string operator()(const EndOfDay&) const { return {}; }
  std::string operator()(const Ack&) const { return {}; }
  std::string operator()(const Nack& m) const { return " code=" + hex(m.code); }
  std::string operator()(const IntermediateStatus& m) const {
    std::string s = " status=" + hex(m.status) + " (" + status_text(m.status) + ")";
    if (m.tlv) {
      if (const Tlv* texts = find(*m.tlv, tlv::kDisplayTexts)) {
        std::string joined;
        for (const std::string& line : text_lines(texts->children)) {
          joined += (joined.empty() ? "" : "|") + printable(line);
        }
        s += " text=" + joined;
      }
    }
    return s;
  }
  std::string operator()(const StatusInformation& m) const {
    std::string s;
    append_byte(s, "result", m.result_code);
    append_number(s, "amount", m.amount);
    append_number(s, "trace", m.trace);
    append_optional(s, "pan", m.pan);
    append_optional(s, "tid", m.terminal_id);
    if (m.aid) s += " aid=" + printable(*m.aid);
    append_number(s, "currency", m.currency);
    append_number(s, "receipt", m.receipt_nr);
    append_byte(s, "card_type", m.card_type);
    if (m.card_name) s += " card=" + printable(*m.card_name);
    return s;
  }
  std::string operator()(const PrintLine& m) const {
    return " attribute=" + hex(m.attribute) + " text=" + printable(m.text);
  }
  std::string operator()(const PrintTextBlock& m) const {
    std::string s = " lines=" + std::to_string(m.lines.size());
    append_byte(s, "type", m.receipt_type);
    return s;
  }
  std::string operator()(const Completion& m) const {
    std::string s;
    if (m.sw_version) s += " version=" + printable(*m.sw_version);
    append_byte(s, "terminal_status", m.terminal_status);
    append_byte(s, "status_byte", m.status_byte);
    append_optional(s, "tid", m.terminal_id);
    return s;
  }
  std::string operator()(const Abort& m) const {
    std::string s;
    if (m.result_code)
      s += " result=" + hex(*m.result_code) + " (" + result_text(*m.result_code) + ")";
    return s;
  }
};

}  // namespace

// --- APDU -------------------------------------------------------------------------------------

std::optional<std::string> encode_apdu(const Apdu& apdu) {
  const std::size_t n = apdu.data.size();
  if (n > kMaxApduData) return std::nullopt;
  std::string out;
  out.reserve(n + 5);
  out.push_back(static_cast<char>(apdu.cls));
  out.push_back(static_cast<char>(apdu.ins));
  if (n < 0xFF) {
    out.push_back(static_cast<char>(n));
  } else {
    out.push_back('\xFF');
    out.push_back(static_cast<char>(n & 0xFF));
    out.push_back(static_cast<char>(n >> 8));
  }
  out += apdu.data;
  return out;
}

ApduParsed parse_apdu(std::string_view bytes) {
  ApduParsed out;
  if (bytes.size() < 3) return out;
  std::size_t header = 3;
  std::size_t n = byte_at(bytes, 2);
  if (n == 0xFF) {
    if (bytes.size() < 5) return out;
    header = 5;
    n = byte_at(bytes, 3) | static_cast<std::size_t>(byte_at(bytes, 4)) << 8;
  }
  out.needed = header + n;
  if (bytes.size() < header + n) return out;
  out.status = ApduParsed::Status::ok;
  out.apdu = Apdu(byte_at(bytes, 0), byte_at(bytes, 1), std::string(bytes.substr(header, n)));
  out.consumed = header + n;
  return out;
}

ApduDecoded decode_apdu(std::string_view bytes) {
  ApduDecoded out;
  if (bytes.size() < 3) {
    out.error =
        "APDU of " + std::to_string(bytes.size()) + " bytes is shorter than its 3-byte header";
    return out;
  }
  if (byte_at(bytes, 2) == 0xFF && bytes.size() < 5) {
    out.error = "APDU extended length needs 2 more bytes";
    return out;
  }
  const std::size_t header = byte_at(bytes, 2) == 0xFF ? 5 : 3;
  const std::size_t n =
      header == 3 ? byte_at(bytes, 2)
                  : (byte_at(bytes, 3) | static_cast<std::size_t>(byte_at(bytes, 4)) << 8);
  if (bytes.size() - header != n) {
    out.error = "APDU length field says " + std::to_string(n) + " bytes of data, " +
                std::to_string(bytes.size() - header) + " follow";
    return out;
  }
  out.apdu = Apdu(byte_at(bytes, 0), byte_at(bytes, 1), std::string(bytes.substr(header)));
  return out;
}

std::string command_name(std::uint8_t cls, std::uint8_t ins) {
  if (cls == 0x84) return "Negative acknowledgement";
  switch (cls << 8 | ins) {
    case 0x8000:
      return "Acknowledgement";
    case 0x0600:
      return "Registration";
    case 0x0601:
      return "Authorization";
    case 0x0602:
      return "Log-off";
    case 0x060F:
      return "Completion";
    case 0x061E:
      return "Abort";
    case 0x0620:
      return "Repeat receipt";
    case 0x0630:
      return "Reversal";
    case 0x0631:
      return "Refund";
    case 0x0650:
      return "End-of-day";
    case 0x0670:
      return "Diagnosis";
    case 0x06B0:
      return "Abort request";
    case 0x06D1:
      return "Print line";
    case 0x06D3:
      return "Print text block";
    case 0x0501:
      return "Status enquiry";
    case 0x040F:
      return "Status information";
    case 0x04FF:
      return "Intermediate status";
    // Known to the specification, outside posrig's subset:
    case 0x0603:
      return "Account balance request";
    case 0x0612:
      return "Reprint receipts";
    case 0x0618:
      return "Reset terminal";
    case 0x0622:
      return "Pre-authorisation";
    case 0x0693:
      return "Initialisation";
    case 0x06C0:
      return "Read card";
    case 0x06E0:
      return "Display text";
    case 0x0813:
      return "Change PT configuration";
    default:
      return "unknown command " + hex(static_cast<std::uint32_t>(cls << 8 | ins), 4);
  }
}

std::string hex_bytes(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    const auto b = static_cast<std::uint8_t>(c);
    if (!out.empty()) out.push_back(' ');
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view text) {
  std::string out;
  int pending = -1;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    if (pending < 0) {
      pending = v;
    } else {
      out.push_back(static_cast<char>(pending << 4 | v));
      pending = -1;
    }
  }
  if (pending >= 0) return std::nullopt;
  return out;
}

// --- Tables -----------------------------------------------------------------------------------

std::string result_text(std::uint8_t code) {
  if (code >= 0x01 && code <= 0x63) return "error code from the authorisation host";
  const char* t = text_of(kResultTexts, code);
  return t ? t : "unknown result code";
}

std::string status_text(std::uint8_t code) {
  if (const char* t = text_of(kStatusTexts, code)) return t;
  // 0x41-0x5D: the status of 0x01-0x1D, and the card is to be removed.
  if (code >= 0x41 && code <= 0x5D) {
    if (code == 0x4B) return "please remove card";
    if (const char* base = text_of(kStatusTexts, static_cast<std::uint8_t>(code - 0x40))) {
      return std::string(base) + ", please remove card";
    }
  }
  return "unknown status";
}

// --- Rig results -----------------------------------------------------------------------------

RigResult rig_result(std::uint8_t code) {
  if (code == 0x00) return {"APPROVED", "00"};
  if (code <= 0x63) {
    const std::string host = std::to_string(code);
    return {"DECLINED", host.size() == 1 ? "0" + host : host};
  }
  switch (code) {
    case 0x78:
      return {"DECLINED", "54"};
    case 0x6C:
      return {"CANCELLED", "CX"};
    case 0x64:
    case 0x65:
    case 0x72:
    case 0x73:
      return {"FAILED", "CE"};
    case 0xA1:
      return {"FAILED", "TO"};
    case 0xA3:
    case 0x7D:
      return {"FAILED", "NC"};
    case 0x9B:
      return {"FAILED", "RV"};
    case 0xBF:
      return {"FAILED", "PW"};
    case 0x9C:
      return {"FAILED", "BZ"};
    case 0xC1:
      return {"FAILED", "LK"};
    case 0x83:
    case 0x9A:
      return {"FAILED", "IV"};
    case 0xC5:
      return {"FAILED", "NS"};
    case 0xB4:
    case 0xB5:
      return {"FAILED", "NF"};
    default: {
      std::string h = hex(code).substr(2);
      for (char& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return {"FAILED", h};
    }
  }
}

std::uint8_t zvt_result(std::string_view rc) {
  if (rc.size() == 2 && std::isdigit(static_cast<unsigned char>(rc[0])) &&
      std::isdigit(static_cast<unsigned char>(rc[1]))) {
    return static_cast<std::uint8_t>((rc[0] - '0') * 10 + (rc[1] - '0'));  // "00" -> 0
  }
  static const std::pair<const char*, std::uint8_t> kLocal[] = {
      {"TO", 0xA1}, {"NC", 0xA3}, {"RV", 0x9B}, {"PW", 0xBF}, {"CE", 0x64},
      {"QC", 0x65}, {"CX", 0x6C}, {"NT", 0x6C}, {"IP", 0x9C}, {"BZ", 0x9C},
      {"LK", 0xC1}, {"IV", 0x83}, {"OP", 0x83}, {"NF", 0x83}, {"NS", 0xC5}};
  for (const auto& [name, code] : kLocal) {
    if (rc == name) return code;
  }
  return result::kSystemError;
}

// --- Messages ---------------------------------------------------------------------------------

std::uint16_t command_of(const Message& message) { return std::visit(CommandOf{}, message); }

Decoded decode(const Apdu& apdu) {
  Decoded out;
  Reader r;
  const std::string_view d = apdu.data;
  std::optional<Message> m;
  std::string name = command_name(apdu.cls, apdu.ins);
  if (apdu.cls == 0x80) {
    if (apdu.ins != 0x00) {
      out.error = "Acknowledgement: 80 " + hex_bytes(std::string(1, static_cast<char>(apdu.ins))) +
                  " is not 80 00";
      return out;
    }
    name = "Acknowledgement";
    if (d.empty())
      m = Ack{};
    else
      r.fail("unexpected data of " + std::to_string(d.size()) + " bytes");
  } else if (apdu.cls == 0x84) {
    if (d.empty())
      m = Nack{apdu.ins};
    else
      r.fail("unexpected data of " + std::to_string(d.size()) + " bytes");
  } else {
    switch (apdu.command()) {
      case 0x0600:
        m = decode_registration(d, r);
        break;
      case 0x0601:
        m = decode_authorization(d, r);
        break;
      case 0x0630:
        m = decode_reversal(d, r);
        break;
      case 0x0631:
        m = decode_refund(d, r);
        break;
      case 0x0620:
        m = decode_repeat_receipt(d, r);
        break;
      case 0x06B0:
        m = decode_tlv_only<AbortRequest>(d, r);
        break;
      case 0x0501:
        m = decode_status_enquiry(d, r);
        break;
      case 0x0670:
        m = decode_tlv_only<Diagnosis>(d, r);
        break;
      case 0x0602:
        if (d.empty())
          m = LogOff{};
        else
          r.fail("unexpected data of " + std::to_string(d.size()) + " bytes");
        break;
      case 0x0650:
        m = decode_end_of_day(d, r);
        break;
      case 0x04FF:
        m = decode_intermediate_status(d, r);
        break;
      case 0x040F:
        m = decode_status_information(d, r);
        break;
      case 0x06D1:
        m = decode_print_line(d, r);
        break;
      case 0x06D3:
        m = decode_print_text_block(d, r);
        break;
      case 0x060F:
        m = decode_completion(d, r);
        break;
      case 0x061E:
        m = decode_abort(d, r);
        break;
      default: {
        const std::string code = hex(apdu.command(), 4);
        out.error = name.rfind("unknown", 0) == 0
                        ? "unknown command " + code
                        : "unsupported command " + code + " (" + name + ")";
        return out;
      }
    }
  }
  if (!m) {
    out.error = name + ": " + r.error;
    return out;
  }
  out.message = std::move(*m);
  return out;
}

Encoded encode(const Message& message) {
  Encoded out;
  Writer w;
  std::string data = std::visit(DataOf{w}, message);
  const std::string name = std::visit(NameOf{}, message);
  if (!w.error.empty()) {
    out.error = name + ": " + w.error;
    return out;
  }
  if (data.size() > kMaxApduData) {
    out.error = name + ": data of " + std::to_string(data.size()) + " bytes (at most 65535)";
    return out;
  }
  const std::uint16_t command = command_of(message);
  out.apdu = Apdu(static_cast<std::uint8_t>(command >> 8), static_cast<std::uint8_t>(command),
                  std::move(data));
  return out;
}

Tlv text_lines_tlv(std::uint32_t container, const std::vector<std::string>& lines) {
  std::vector<Tlv> children;
  children.reserve(lines.size());
  for (const std::string& line : lines) children.emplace_back(tlv::kTextLines, line);
  return Tlv(container, std::move(children));
}

std::vector<std::string> text_lines(const std::vector<Tlv>& container_content) {
  std::vector<std::string> out;
  for (const Tlv& t : container_content) {
    if (t.tag == tlv::kTextLines) out.push_back(t.value);
  }
  return out;
}

std::string describe(const Message& message) {
  return std::visit(NameOf{}, message) + std::visit(Describe{}, message);
}

}  // namespace rig::protocol::zvt
