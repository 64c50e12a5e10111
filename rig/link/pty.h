// Pseudo-terminal transport (termios). libserialport 0.1.1 refuses ptys (sp_get_port_by_name
// wants a sysfs entry, sp_open fails with ENOTTY), so the virtual bench's ECR link uses this.
#pragma once

#include <memory>
#include <string>

#include "rig/link/fd_link.h"

namespace rig::link {

// Opens an existing pty slave (or a symlink to one, as vterm's --ecr-link) in raw mode:
// 8 data bits, no parity, no echo, no line discipline, no flow control.
class PtyLink : public FdLink {
 public:
  explicit PtyLink(std::string path);
  std::string name() const override { return path_; }
  Status open() override;

 private:
  std::string path_;
};

// The master side of a new pty pair, as a Link. The slave path (e.g. /dev/pts/7) is what the
// other party opens. The master keeps its own slave descriptor open so that it does not see a
// hang-up while nobody else has the slave open.
class PtyMaster : public FdLink {
 public:
  PtyMaster();
  ~PtyMaster() override;
  std::string name() const override { return "pty-master(" + slave_path_ + ")"; }
  // Creates the pair; slave_path() is valid afterwards.
  Status open() override;
  const std::string& slave_path() const { return slave_path_; }

 protected:
  void before_close() override;

 private:
  std::string slave_path_;
  int keep_slave_fd_ = -1;
};

// Puts a tty descriptor into raw 8N1 mode; returns errno or 0.
int make_raw(int fd);

}  // namespace rig::link
