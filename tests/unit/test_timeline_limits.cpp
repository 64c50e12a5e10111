// The bounds that keep a flooding peer from growing the rig (docs/reliability.md): the
// timeline's per-label caps and the note that counts what they dropped, and the flood meter
// that takes a station out of the run.
#include <gtest/gtest.h>

#include <thread>

#include "rig/engine/flood.h"
#include "rig/engine/timeline.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using rig::engine::Clock;
using rig::engine::EntryKind;
using rig::engine::FloodLimits;
using rig::engine::FloodMeter;
using rig::engine::Timeline;
using rig::engine::TimelineLimits;

json noise(std::uint64_t bytes) {
  return {{"direction", "in"}, {"kind", "noise"}, {"bytes", bytes}};
}

TEST(Thousands, GroupsDigits) {
  EXPECT_EQ(rig::engine::thousands(0), "0");
  EXPECT_EQ(rig::engine::thousands(999), "999");
  EXPECT_EQ(rig::engine::thousands(1000), "1,000");
  EXPECT_EQ(rig::engine::thousands(1204311), "1,204,311");
}

TEST(TimelineLimits, EntriesBeyondALabelsCapAreCountedInOneNote) {
  TimelineLimits limits;
  limits.entries = 3;
  Timeline tl(limits);
  int woken = 0;
  tl.observe([&](const rig::engine::Entry&) { ++woken; });
  const auto t0 = tl.start();
  for (int i = 0; i < 10; ++i) {
    tl.add_at(t0 + std::chrono::milliseconds(i * 10), EntryKind::ecr_in, noise(100));
  }
  auto entries = tl.snapshot();
  // Three kept, then the note for the seven dropped.
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(woken, 3);
  const auto& note = entries[3];
  EXPECT_EQ(note.kind, EntryKind::note);
  EXPECT_EQ(note.fields["text"],
            "timeline cap: 700 noise bytes in 7 ecr_in noise entries not kept, first at +30.0 ms, "
            "last at +90.0 ms");
  EXPECT_EQ(note.fields["dropped"]["entries"], 7);
  EXPECT_EQ(note.fields["dropped"]["bytes"], 700);
  EXPECT_EQ(note.fields["dropped"]["label"], "ecr_in noise");
  ASSERT_EQ(tl.dropped().size(), 1u);
  EXPECT_EQ(tl.dropped()[0].entries, 7u);
}

TEST(TimelineLimits, AFloodOfOneLabelDoesNotCrowdOutAnother) {
  TimelineLimits limits;
  limits.entries = 100;
  Timeline tl(limits);
  for (int i = 0; i < 5000; ++i) {
    tl.add(EntryKind::display, {{"text", "HELLO " + std::to_string(i)}});
    tl.add(EntryKind::ecr_in, {{"direction", "in"}, {"kind", "ack"}});
  }
  tl.add(EntryKind::result, {{"id", "T1"}, {"status", "APPROVED"}});
  tl.add(EntryKind::step, {{"step", "expect"}});
  // 100 displays, 100 ACKs, a note for each, the result and the step.
  auto entries = tl.snapshot();
  ASSERT_EQ(entries.size(), 204u);
  EXPECT_EQ(entries[202].kind, EntryKind::result);
  EXPECT_EQ(entries[203].kind, EntryKind::step);
  auto dropped = tl.dropped();
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[0].label, "display");
  EXPECT_EQ(dropped[0].entries, 4900u);
  EXPECT_EQ(dropped[1].label, "ecr_in ack");
  EXPECT_EQ(dropped[1].entries, 4900u);
  EXPECT_EQ(dropped[1].bytes, 4900u);  // one byte on the wire each
}

TEST(TimelineLimits, FieldBytesAreCappedToo) {
  TimelineLimits limits;
  limits.bytes = 64 * 1024;
  Timeline tl(limits);
  const std::string text(1000, 'x');
  for (int i = 0; i < 1000; ++i) tl.add(EntryKind::receipt, {{"text", text}});
  auto entries = tl.snapshot();
  EXPECT_LT(entries.size(), 66u);
  EXPECT_GT(entries.size(), 40u);
  EXPECT_EQ(entries.back().kind, EntryKind::note);
  EXPECT_EQ(entries.back().fields["dropped"]["label"], "receipt");
}

TEST(TimelineLimits, ADroppedEntryWakesNoWaiter) {
  TimelineLimits limits;
  limits.entries = 1;
  Timeline tl(limits);
  tl.add(EntryKind::display, {{"text", "one"}});
  tl.add(EntryKind::display, {{"text", "two"}});  // dropped: its note is added
  const std::size_t seen = tl.size();
  const auto before = Clock::now();
  std::thread writer([&] {
    for (int i = 0; i < 100; ++i) tl.add(EntryKind::display, {{"text", "more"}});
  });
  bool more =
      tl.wait_until([seen](const auto& es) { return es.size() > seen; }, Clock::now() + 200ms);
  writer.join();
  EXPECT_FALSE(more);
  EXPECT_GE(Clock::now() - before, 200ms);
  EXPECT_EQ(tl.dropped()[0].entries, 101u);
}

TEST(FloodMeter, ATalkingTerminalIsNoFlood) {
  FloodMeter m;
  auto t = Clock::now();
  // A busy transaction: 40 frames and their ACKs a second, for a minute.
  for (int i = 0; i < 60 * 80; ++i) {
    EXPECT_FALSE(m.add(t + std::chrono::microseconds(i * 12500), 40));
  }
  EXPECT_FALSE(m.flooding());
}

TEST(FloodMeter, OneBurstIsNoFlood) {
  FloodMeter m;
  auto t = Clock::now();
  // 10 000 pieces in 100 ms, then quiet talk: a burst, not a flood.
  for (int i = 0; i < 10000; ++i) EXPECT_FALSE(m.add(t + std::chrono::microseconds(i * 10), 1));
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(m.add(t + 1s + std::chrono::milliseconds(i * 30), 1));
  EXPECT_FALSE(m.flooding());
}

TEST(FloodMeter, StrayAcksFloodWithinTwoSeconds) {
  FloodMeter m;
  auto t = Clock::now();
  int flooded_at = -1;
  for (int i = 0; i < 100000 && flooded_at < 0; ++i) {
    // 50 000 ACK bytes a second
    if (m.add(t + std::chrono::microseconds(i * 20), 1)) flooded_at = i;
  }
  ASSERT_GE(flooded_at, 0);
  EXPECT_TRUE(m.flooding());
  EXPECT_LE(flooded_at * 20, 2000000);
  EXPECT_FALSE(m.add(t + 3s, 1)) << "true once";
  EXPECT_NE(m.describe().find("pieces within 1.0 s"), std::string::npos) << m.describe();
}

TEST(FloodMeter, NoiseBytesFlood) {
  FloodLimits limits;
  limits.bytes_per_second = 64 * 1024;
  FloodMeter m(limits);
  auto t = Clock::now();
  bool flooded = false;
  // 4 KiB chunks, 100 a second: 400 KiB/s in few pieces.
  for (int i = 0; i < 500 && !flooded; ++i) {
    flooded = m.add(t + std::chrono::milliseconds(i * 10), 4096);
  }
  EXPECT_TRUE(flooded);
  EXPECT_NE(m.describe().find(" bytes in "), std::string::npos) << m.describe();
}

}  // namespace
