// ZVT (the German ECR <-> payment terminal protocol, specification 13.x): APDUs and the typed
// messages of the subset posrig speaks. Pure functions over bytes: no I/O, no clocks, no
// exceptions from malformed input (errors are values). Shared by the controller's zvt terminal
// driver, vterm's ZVT front end and the fuzzer. The data elements (BMPs, TLV, BCD) are in
// rig/protocol/zvt_bmp.h, the serial and TCP transports in rig/protocol/zvt_transport.h;
// docs/zvt.md describes the subset for people.
//
// APDU = CLASS INSTR LENGTH DATA
//   LENGTH  one byte 00-FE, or FF followed by the length as two bytes, little-endian (extended
//           length, used from 255 bytes of data on)
// Commands go ECR -> PT (Registration 06 00, Authorization 06 01, ...); the PT answers each with
// 80 00 00 (positive acknowledgement) or 84 XX 00 (negative, XX a result code), then sends its
// own messages (Intermediate status 04 FF, Status information 04 0F, Print line 06 D1, Print
// text block 06 D3, Completion 06 0F, Abort 06 1E), each of which the ECR acknowledges 80 00 00.
//
// Amounts are minor units (BCD on the wire, BMP 04), currencies ISO 4217 numeric codes (978),
// passwords six digits (three BCD bytes). A PAN is only ever carried masked (digits and '*').
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rig/protocol/zvt_bmp.h"

namespace rig::protocol::zvt {

// ---------------------------------------------------------------------------------------------
// APDU

inline constexpr std::size_t kMaxApduData = 0xFFFF;

struct Apdu {
  std::uint8_t cls = 0;
  std::uint8_t ins = 0;
  std::string data;

  Apdu() = default;
  Apdu(std::uint8_t c, std::uint8_t i, std::string d = {}) : cls(c), ins(i), data(std::move(d)) {}
  // CLASS << 8 | INSTR: 0x0601.
  std::uint16_t command() const { return static_cast<std::uint16_t>(cls << 8 | ins); }
  bool operator==(const Apdu& o) const { return cls == o.cls && ins == o.ins && data == o.data; }
  bool operator!=(const Apdu& o) const { return !(*this == o); }
};

// The wire bytes of `apdu` (short length below 255 bytes of data, extended from 255 on), or
// nullopt when the data is longer than 65535 bytes.
std::optional<std::string> encode_apdu(const Apdu& apdu);

// One APDU taken from the front of a byte stream (TCP).
struct ApduParsed {
  enum class Status { ok, incomplete };
  Status status = Status::incomplete;
  Apdu apdu;                 // when ok
  std::size_t consumed = 0;  // bytes the APDU took, when ok
  std::size_t needed = 0;    // when incomplete: total bytes the APDU needs, 0 while unknown
};
// Any bytes form an APDU header, so the only failure is "not enough bytes yet".
ApduParsed parse_apdu(std::string_view bytes);

struct ApduDecoded {
  Apdu apdu;
  std::string error;
  bool ok() const { return error.empty(); }
};
// Exactly one APDU (a serial frame's content). Errors:
//   "APDU of 2 bytes is shorter than its 3-byte header"
//   "APDU extended length needs 2 more bytes"
//   "APDU length field says 12 bytes of data, 10 follow"  (also when more follow)
ApduDecoded decode_apdu(std::string_view bytes);

// "Authorization", "Status information", "Acknowledgement", ...: the name of a command (by CLASS
// and INSTR; 84 xx is any negative acknowledgement), or "unknown command 0x0a0b".
std::string command_name(std::uint8_t cls, std::uint8_t ins);

// Lower-case hex with spaces, "06 01 07 04 00 00 00 01 00 00": for transcripts and tests.
std::string hex_bytes(std::string_view bytes);
// "06 01 07 ..." (any white space, any case) -> bytes; nullopt for anything else.
std::optional<std::string> from_hex(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Result codes (BMP 27, Abort 06 1E, negative acknowledgement 84 XX) and intermediate status
// codes (04 FF). 0x01-0x63 are the authorisation host's own response codes, carried as their
// decimal value (host "51" -> 0x33).

namespace result {
inline constexpr std::uint8_t kSuccess = 0x00;
inline constexpr std::uint8_t kCardNotReadable = 0x64;
inline constexpr std::uint8_t kCardDataNotPresent = 0x65;
inline constexpr std::uint8_t kProcessingError = 0x66;
inline constexpr std::uint8_t kFunctionDeactivated = 0x6B;  // PT not registered
inline constexpr std::uint8_t kAbortTimeoutOrKey = 0x6C;
inline constexpr std::uint8_t kWrongCurrency = 0x6F;
inline constexpr std::uint8_t kChipError = 0x72;
inline constexpr std::uint8_t kCardExpired = 0x78;
inline constexpr std::uint8_t kCardUnknown = 0x7A;
inline constexpr std::uint8_t kFallbackNotPossible = 0x7C;
inline constexpr std::uint8_t kCommunicationError = 0x7D;
inline constexpr std::uint8_t kFunctionNotPossible = 0x83;
inline constexpr std::uint8_t kProtocolError = 0x9A;
inline constexpr std::uint8_t kDialUpError = 0x9B;
inline constexpr std::uint8_t kPleaseWait = 0x9C;  // busy
inline constexpr std::uint8_t kReceiverNotReady = 0xA0;
inline constexpr std::uint8_t kRemoteNoResponse = 0xA1;
inline constexpr std::uint8_t kNoConnection = 0xA3;
inline constexpr std::uint8_t kAlreadyReversed = 0xB4;
inline constexpr std::uint8_t kReversalNotPossible = 0xB5;
inline constexpr std::uint8_t kAmountWrong = 0xB7;
inline constexpr std::uint8_t kMerchantCardLocked = 0xC1;
inline constexpr std::uint8_t kPrinterNotReady = 0xCC;
inline constexpr std::uint8_t kPinProcessingNotPossible = 0xEC;
inline constexpr std::uint8_t kSystemError = 0xFF;
}  // namespace result

// The specification's meaning of a result code ("card expired"); "error code from the
// authorisation host" for 0x01-0x63; "unknown result code" otherwise.
std::string result_text(std::uint8_t code);

namespace status {
inline constexpr std::uint8_t kWatchPinPad = 0x01;
inline constexpr std::uint8_t kNotAccepted = 0x03;
inline constexpr std::uint8_t kWaitingForHost = 0x04;
inline constexpr std::uint8_t kSendingReversal = 0x05;
inline constexpr std::uint8_t kInsertCard = 0x0A;
inline constexpr std::uint8_t kRemoveCard = 0x0B;
inline constexpr std::uint8_t kCardNotReadable = 0x0C;
inline constexpr std::uint8_t kProcessingError = 0x0D;
inline constexpr std::uint8_t kPleaseWait = 0x0E;
inline constexpr std::uint8_t kIncorrectPin = 0x15;
inline constexpr std::uint8_t kPinTryLimitExceeded = 0x18;
inline constexpr std::uint8_t kDeclined = 0x1D;
inline constexpr std::uint8_t kWaitingForCashier = 0xC8;
inline constexpr std::uint8_t kOffline = 0xF1;
inline constexpr std::uint8_t kOnline = 0xF2;
inline constexpr std::uint8_t kSeeTexts = 0xFF;  // no code fits: see TLV display texts (24/07)
}  // namespace status

// The specification's meaning of an intermediate status code ("insert card"), or "unknown
// status". Codes 0x41-0x5D are those of 0x01-0x1D with "please remove card" added.
std::string status_text(std::uint8_t code);

// Registration config byte (06 00).
namespace config {
inline constexpr std::uint8_t kEcrPrintsPayment = 0x02;    // receipts of payments go to the ECR
inline constexpr std::uint8_t kEcrPrintsAdmin = 0x04;      // ... and of administration
inline constexpr std::uint8_t kIntermediateStatus = 0x08;  // PT sends 04 FF
inline constexpr std::uint8_t kEcrControlsPayment = 0x10;
inline constexpr std::uint8_t kEcrControlsAdmin = 0x20;
inline constexpr std::uint8_t kPrintLines = 0x80;  // receipts as print lines (06 D1), not blocks
}  // namespace config

// Print line attribute (06 D1).
namespace attribute {
inline constexpr std::uint8_t kNormal = 0x00;
inline constexpr std::uint8_t kDoubleHeight = 0x10;
inline constexpr std::uint8_t kDoubleWidth = 0x20;
inline constexpr std::uint8_t kCentred = 0x40;
inline constexpr std::uint8_t kLastLine = 0x80;  // the receipt ends with this line
}  // namespace attribute

// Receipt type (TLV 1F07).
namespace receipt_type {
inline constexpr std::uint8_t kMerchant = 0x01;
inline constexpr std::uint8_t kCustomer = 0x02;
inline constexpr std::uint8_t kAdministration = 0x03;
}  // namespace receipt_type

// The rig's result codes (docs/ecr-protocol.md, RESULT status and rc) and ZVT's. ZVT has one
// code where the rig has a status and a code, so the way back is not always exact: CX and NT
// are both 6C, and a ZVT code with no rig counterpart reads FAILED with the code in hex ("7A").
struct RigResult {
  std::string status;  // APPROVED DECLINED FAILED CANCELLED
  std::string rc;      // "00", a host code "51", or a local code "TO"
  bool operator==(const RigResult& o) const { return status == o.status && rc == o.rc; }
};

// ZVT -> rig: 00 APPROVED 00; 01-63 DECLINED with the host code in decimal ("51"); 78 DECLINED
// 54 (expired card); 6C CANCELLED CX; 64 65 72 73 FAILED CE; A1 FAILED TO; A3 7D FAILED NC; 9B
// FAILED RV; BF FAILED PW; 9C FAILED BZ; C1 FAILED LK; 83 9A FAILED IV; C5 FAILED NS; B4 B5
// FAILED NF; anything else FAILED with its hex code.
RigResult rig_result(std::uint8_t code);

// rig rc -> ZVT: "00" 00; a host code "01"-"99" its value (0x01-0x63); TO A1, NC A3, RV 9B, PW
// BF, CE 64, QC 65, CX and NT 6C, IP and BZ 9C, LK C1, IV OP NF 83, NS C5; anything else FF.
std::uint8_t zvt_result(std::string_view rc);

// ---------------------------------------------------------------------------------------------
// Messages, ECR -> PT. `extra` keeps the BMPs a message may carry that are not typed here, in
// wire order; they are encoded after the typed ones (the TLV container last).

struct Registration {  // 06 00
  std::string password = "000000";
  std::uint8_t config = 0;
  std::optional<std::uint16_t> currency;     // required on the wire when BMPs follow
  std::optional<std::uint8_t> service_byte;  // BMP 03
  std::optional<std::vector<Tlv>> tlv;       // BMP 06
};

struct Authorization {                           // 06 01
  std::uint64_t amount = 0;                      // BMP 04, required
  std::optional<std::uint16_t> currency;         // BMP 49
  std::optional<std::uint8_t> payment_type;      // BMP 19
  std::optional<std::uint8_t> timeout;           // BMP 01, seconds
  std::optional<std::uint8_t> max_status_infos;  // BMP 02
  std::vector<Bmp> extra;                        // card data, CVV, pump nr, ...
  std::optional<std::vector<Tlv>> tlv;
};

struct Reversal {  // 06 30: reverses the transaction with that receipt number
  std::string password = "000000";
  std::optional<std::uint16_t> receipt_nr;  // BMP 87
  std::optional<std::uint64_t> amount;      // BMP 04
  std::optional<std::uint16_t> currency;
  std::vector<Bmp> extra;
  std::optional<std::vector<Tlv>> tlv;
};

struct Refund {  // 06 31
  std::string password = "000000";
  std::uint64_t amount = 0;  // BMP 04, required
  std::optional<std::uint16_t> currency;
  std::optional<std::uint16_t> receipt_nr;  // BMP 87: not in the specification's refund;
                                            // a posrig extension naming the original
  std::vector<Bmp> extra;
  std::optional<std::vector<Tlv>> tlv;
};

struct RepeatReceipt {  // 06 20
  std::string password = "000000";
  std::optional<std::uint8_t> service_byte;
  std::optional<std::vector<Tlv>> tlv;
};

struct AbortRequest {  // 06 B0: the ECR asks the PT to abort what it is doing
  std::optional<std::vector<Tlv>> tlv;
};

struct StatusEnquiry {                  // 05 01
  std::optional<std::string> password;  // some ECRs send none
  std::optional<std::uint8_t> service_byte;
  std::optional<std::vector<Tlv>> tlv;
};

struct Diagnosis {  // 06 70
  std::optional<std::vector<Tlv>> tlv;
};

struct LogOff {};  // 06 02

struct EndOfDay {  // 06 50
  std::string password = "000000";
  std::optional<std::vector<Tlv>> tlv;
};

// ---------------------------------------------------------------------------------------------
// Messages, PT -> ECR (and the acknowledgements, both ways)

struct Ack {};  // 80 00 00

struct Nack {  // 84 XX 00
  std::uint8_t code = result::kSystemError;
};

struct IntermediateStatus {  // 04 FF
  std::uint8_t status = 0;
  std::optional<std::uint8_t> timeout;  // seconds; required on the wire before a TLV
  std::optional<std::vector<Tlv>> tlv;  // 24 (display texts) with 07 lines
};

struct StatusInformation {                     // 04 0F
  std::optional<std::uint8_t> result_code;     // 27
  std::optional<std::uint64_t> amount;         // 04
  std::optional<std::uint32_t> trace;          // 0B, 6 digits
  std::optional<std::string> time;             // 0C, HHMMSS
  std::optional<std::string> date;             // 0D, MMDD
  std::optional<std::string> expiry;           // 0E, YYMM
  std::optional<std::uint16_t> card_sequence;  // 17
  std::optional<std::uint8_t> payment_type;    // 19
  std::optional<std::string> pan;              // 22, masked ("476173******0010"); a BMP 22
                                               // that is no PAN (girocard EF_ID) is in `extra`
  std::optional<std::string> terminal_id;      // 29, 8 digits
  std::optional<std::string> vu_number;        // 2A, 15 characters
  std::optional<std::string> aid;              // 3B, 8 bytes: the approval code, NUL-padded
  std::optional<std::string> additional_text;  // 3C
  std::optional<std::uint16_t> currency;       // 49
  std::optional<std::uint16_t> receipt_nr;     // 87
  std::optional<std::uint32_t> turnover_nr;    // 88
  std::optional<std::uint8_t> card_type;       // 8A
  std::optional<std::string> card_name;        // 8B
  std::optional<std::uint8_t> card_type_id;    // 8C
  std::vector<Bmp> extra;                      // 17 A0 BA 9A 2D ... as found
  std::optional<std::vector<Tlv>> tlv;         // 06
};

struct PrintLine {  // 06 D1
  std::uint8_t attribute = attribute::kNormal;
  std::string text;                     // no byte 0x06 (it starts the TLV)
  std::optional<std::vector<Tlv>> tlv;  // 1F07 receipt type
};

struct PrintTextBlock {  // 06 D3: TLV 1F07 (receipt type) and 25 (print texts) with 07 lines
  std::vector<std::string> lines;            // the 07 objects of the first 25
  std::optional<std::uint8_t> receipt_type;  // the first 1F07
  std::vector<Tlv> text_extra;               // other objects inside that 25 (09 attribute ...)
  std::vector<Tlv> other;                    // further objects of the container
};

struct Completion {                             // 06 0F
  std::optional<std::string> sw_version;        // LLLVAR, after a status enquiry
  std::optional<std::uint8_t> terminal_status;  // follows sw_version (00 = ready)
  std::optional<std::uint8_t> status_byte;      // 19, after a registration
  std::optional<std::string> terminal_id;       // 29
  std::optional<std::uint16_t> currency;        // 49
  std::vector<Bmp> extra;                       // e.g. 27 (result code), as some PTs send it
  std::optional<std::vector<Tlv>> tlv;
};

struct Abort {                              // 06 1E
  std::optional<std::uint8_t> result_code;  // absent in a bare 06 1E 00
  std::optional<std::vector<Tlv>> tlv;
};

using Message =
    std::variant<Registration, Authorization, Reversal, Refund, RepeatReceipt, AbortRequest,
                 StatusEnquiry, Diagnosis, LogOff, EndOfDay, Ack, Nack, IntermediateStatus,
                 StatusInformation, PrintLine, PrintTextBlock, Completion, Abort>;

// The command (CLASS << 8 | INSTR) of a message; Nack gives 0x84XX.
std::uint16_t command_of(const Message& message);

struct Decoded {
  Message message;
  std::string error;
  bool ok() const { return error.empty(); }
};

// An APDU as one of the messages above. Errors name the message; BMP offsets count from the
// first BMP:
//   "unsupported command 0x0693 (Initialisation)"      (or "unknown command 0x0a0b")
//   "Registration: data of 2 bytes (password and config byte need 4)"
//   "Registration: password is not BCD"
//   "Authorization: no amount (BMP 04)"
//   "Authorization: BMP 0x04 at offset 0: truncated: 3 of 6 bytes"   (decode_bmps errors)
//   "Authorization: BMP 0x04 is not BCD"
//   "Registration: BMP 0x27 is not allowed here"       (commands without `extra`)
//   "Status information: TLV container: TLV 0x24 at offset 4: truncated: 3 of 20 bytes"
//   "Print line: data is empty (attribute missing)"
//   "Acknowledgement: 80 01 is not 80 00"
Decoded decode(const Apdu& apdu);

struct Encoded {
  Apdu apdu;
  std::string error;
  bool ok() const { return error.empty(); }
};

// A message as an APDU. Typed BMPs first, in the order of the specification's tables, then
// `extra`, then the TLV container. Errors:
//   "Registration: password must be 6 digits"
//   "Authorization: amount 1000000000000 does not fit 12 digits"
//   "Status information: PAN \"4761\" must be digits and '*', 19 at most"  (never the digits)
//   "Status information: BMP 0x04 in extra is typed; set amount instead"
//   "Intermediate status: a TLV container needs a timeout before it"
//   "Print line: text holds byte 0x06"
//   "Completion: terminal status needs a software version"
//   plus encode_bmps() and encode_tlv() errors, prefixed with the message name, and
//   "Print text block: data of 70000 bytes (at most 65535)".
Encoded encode(const Message& message);

// Lines of a display or receipt text container (TLV 24 or 25 with 07 objects) and back.
Tlv text_lines_tlv(std::uint32_t container, const std::vector<std::string>& lines);
std::vector<std::string> text_lines(const std::vector<Tlv>& container_content);

// One line for transcripts: the command's name and its typed fields, PAN masked as carried:
//   "Authorization amount=1000 currency=978"
//   "Status information result=0x00 amount=1000 trace=000042 pan=476173******0010 receipt=0042"
std::string describe(const Message& message);

}  // namespace rig::protocol::zvt
