"""Output files written the way the convbench program writes them (src/files/atomic_file.h), for
the scripts: complete under their final name or not there at all, and never a way to write
someone else's file.

- Data goes to a temporary file created exclusively (tempfile.mkstemp: O_CREAT | O_EXCL, an
  unpredictable name ".<name>.tmp.XXXXXXXX" beside the final file), so a link planted at the
  temporary name is never followed; before the rename the name must still hold that file.
- The new file keeps the permissions of the file it replaces (else 0666 less the umask).
- A final path that is a symbolic link is followed link by link to the file it names, which
  is replaced (or created, for a dangling link); the link stays.  A loop is an OSError.
- A final path that is an existing device or pipe is written directly.
- Temporary files are removed on every exit path: exceptions, Ctrl-C, and (after
  remove_on_signals()) SIGTERM and SIGHUP.
"""

import atexit
import errno
import os
import signal
import stat
import sys
import tempfile

MAX_LINK_HOPS = 40     # Linux's own limit
UNWINDING_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
_live = set()   # temporary files created and not yet renamed or removed


def _remove_live():
    for path in list(_live):
        try:
            os.remove(path)
        except OSError:
            pass
    _live.clear()


atexit.register(_remove_live)
NAME_MAX = 255         # bytes in one path component


def target_of(path):
    """The file a write to path replaces: path itself or where its chain of links ends."""
    current = path
    for hop in range(MAX_LINK_HOPS + 1):
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            return current
        if not stat.S_ISLNK(st.st_mode):
            return current
        if hop == MAX_LINK_HOPS:
            raise OSError(errno.ELOOP, "a loop of symbolic links (or more than 40 in a row)", path)
        link = os.readlink(current)
        current = link if os.path.isabs(link) else os.path.join(os.path.dirname(current), link)
    return current


def is_device_or_pipe(path):
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def new_file_mode():
    """0666 less the umask, read without changing it (os.umask would race with threads)."""
    mask = 0o022
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    mask = int(line.split()[1], 8)
                    break
    except OSError:
        pass
    return 0o666 & ~mask


class Temporary:
    """An exclusive temporary file beside final's target; commit() renames it into place."""

    def __init__(self, final):
        self.final = target_of(final)
        directory, name = os.path.split(self.final)
        if not name:
            raise OSError(errno.EISDIR, "is a directory", final)
        if len(os.fsencode(name)) > NAME_MAX:
            raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), final)
        short = os.fsdecode(os.fsencode(name)[:NAME_MAX - len(".tmp.XXXXXXXX") - 1])
        try:
            existing = os.stat(self.final)
            replacing = stat.S_ISREG(existing.st_mode)
        except FileNotFoundError:
            replacing = False
        # Created and registered with the unwinding signals blocked, so that none lands between
        # the two; a registered file is removed at exit whatever ends the program (_remove_live).
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, UNWINDING_SIGNALS)
        try:
            fd, self.path = tempfile.mkstemp(prefix=f".{short}.tmp.", dir=directory or ".")
            _live.add(self.path)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        try:
            if replacing and (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
                try:
                    os.fchown(fd, existing.st_uid, existing.st_gid)
                except OSError:
                    pass   # giving a file away needs privileges; the permissions are kept
            os.fchmod(fd, stat.S_IMODE(existing.st_mode) if replacing else new_file_mode())
            st = os.fstat(fd)
            self.identity = (st.st_dev, st.st_ino)
        except BaseException:
            os.close(fd)
            os.remove(self.path)
            _live.discard(self.path)
            raise
        os.close(fd)

    def is_ours(self):
        try:
            st = os.lstat(self.path)
        except OSError:
            return False
        return stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) == self.identity

    def commit(self):
        if not self.is_ours():
            raise OSError(errno.EEXIST, "its temporary file was replaced by another", self.final)
        fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(self.path, self.final)
        _live.discard(self.path)

    def discard(self):
        if self.is_ours():
            os.remove(self.path)
        _live.discard(self.path)


def write_with(path, render):
    """render(p) writes the whole file at p (a temporary name, or path itself for a device)."""
    if is_device_or_pipe(path):
        render(path)
        return
    temporary = Temporary(path)
    try:
        render(temporary.path)
        temporary.commit()
    finally:
        temporary.discard()


def write_text(path, text):
    def render(p):
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
    write_with(path, render)


class Staged:
    """Several files, each rendered to its temporary file; commit() renames them all only once
    every one is complete, discard() removes what was staged."""

    def __init__(self):
        self.pending = []   # (Temporary, final path as given)

    def stage(self, final, render):
        """render(temporary path) writes the file, or returns why it has nothing to write."""
        temporary = Temporary(final)
        try:
            why = render(temporary.path)
        except BaseException:
            temporary.discard()
            raise
        if why:
            temporary.discard()
        else:
            self.pending.append((temporary, final))
        return why

    def commit(self):
        for temporary, _ in self.pending:
            temporary.commit()
        committed = [final for _, final in self.pending]
        self.pending = []
        return committed

    def discard(self):
        for temporary, _ in self.pending:
            temporary.discard()
        self.pending = []


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def remove_on_signals():
    """SIGTERM and SIGHUP unwind like Ctrl-C, so the finally blocks above remove temporaries."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) == signal.SIG_DFL:
            signal.signal(sig, _interrupt)


def write_text_or_say(program, path, text):
    """write_text, or one line "PROGRAM: PATH: cannot write: REASON" on stderr: the exit status
    of a script's last step (0 or 1)."""
    try:
        write_text(path, text)
    except OSError as e:
        print(f"{program}: {e.filename or path}: cannot write: {e.strerror}", file=sys.stderr)
        return 1
    return 0
