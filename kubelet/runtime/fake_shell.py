"""The fake runtime's tiny shell: just enough of busybox `sh` to run the commands the
kubelet's tests give containers, and honest about what it cannot do.

It knows echo, pwd, env, cat, exit, true/false, trap, wait, stty size; `;`, `&&`,
`||`, `|`, `&` (a background job is not run), `>`, `>>`, `>&2`; quotes and $VAR.
A program that waits (sleep, nc, httpd, a `while` loop, wait on a job) raises
`Blocked`: its container keeps running until a signal. So does a program the shell
does not know, taken for a server that exits 0 on SIGTERM.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator

from kubelet.runtime import docker_specs as specs
from kubelet.runtime.protocol import Mount

WAITING_PROGRAMS = frozenset({"sleep", "nc", "httpd", "tail"})  # they run until a signal, as far as the fake knows
Output = Callable[[int, bytes], None]  # (1 stdout | 2 stderr, data)
Input = Callable[[], bytes]  # the next chunk of stdin, b"" at its end


class Exited(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


class Blocked(Exception):
    """The program waits for a signal: the container keeps running."""


class _SyntaxError(Exception):
    pass


class FileSystem:
    """A container's view of files: mounts over a private root, each a shared dict of path -> bytes."""

    def __init__(self, root: dict[str, bytes], mounts: list[tuple[Mount, dict[str, bytes]]]) -> None:
        self._root = root
        # Longest mount path first, so /data/sub wins over /data.
        self._mounts = sorted(mounts, key=lambda pair: -len(pair[0].container_path))

    def _resolve(self, path: str) -> tuple[dict[str, bytes], str, bool]:
        for mount, store in self._mounts:
            target = mount.container_path.rstrip("/") or "/"
            if path == target or path.startswith(target.rstrip("/") + "/"):
                inside = path[len(target):].lstrip("/")
                sub_path = specs.checked_sub_path(mount.sub_path)
                return store, posixpath.join(sub_path, inside) if sub_path else inside, mount.read_only
        return self._root, path, False

    def read(self, path: str) -> bytes | None:
        store, key, _ = self._resolve(path)
        return store.get(key)

    def write(self, path: str, data: bytes, *, append: bool) -> bool:
        """False when the file system is read-only."""
        store, key, read_only = self._resolve(path)
        if read_only:
            return False
        store[key] = (store.get(key, b"") if append else b"") + data
        return True


class Shell:
    """Just enough of `sh` to run the commands tests give containers; honest about what it cannot do."""

    def __init__(self, *, env: dict[str, str], cwd: str, files: FileSystem,
                 read_stdin: Input, write: Output,
                 tty_size: Callable[[], tuple[int, int]] = lambda: (80, 24)) -> None:
        self.env = env
        self.cwd = cwd or "/"
        self.files = files
        self.traps: dict[str, str] = {}
        self._read_stdin = read_stdin
        self._write = write
        self._tty_size = tty_size
        self.status = 0
        self._jobs = 0

    def run(self, argv: list[str]) -> int:
        """Run a program to its end; raises Blocked if it waits for a signal."""
        try:
            return self._program(argv, self._read_stdin, self._write)
        except Exited as done:
            return done.code

    def on_signal(self, signal: str) -> int | None:
        """Run the trap for `signal`; the exit code if the handler exits, None if the signal is ignored."""
        action = self.traps.get(signal)
        if not action:
            return None
        try:
            self.script(action, self._read_stdin, self._write)
        except Exited as done:
            return done.code
        except Blocked:
            pass
        return None

    def _program(self, argv: list[str], stdin: Input, out: Output) -> int:
        name = posixpath.basename(argv[0]) if argv else ""
        if name == "sh":
            if len(argv) >= 3 and argv[1] == "-c":
                return self.script(argv[2], stdin, out)
            return self._interactive(stdin, out)
        if name == "pause":
            self.traps.update(TERM="exit 0", INT="exit 0")
            raise Blocked()
        return self._command(argv, stdin, out)

    def _interactive(self, stdin: Input, out: Output) -> int:
        buffer = b""
        while True:
            chunk = stdin()
            if not chunk:
                return self.script(buffer.decode(), stdin, out) if buffer.strip() else self.status
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                self.script(line.decode(), stdin, out)

    def script(self, text: str, stdin: Input, out: Output) -> int:
        """Run `;`/`&&`/`||`-separated pipelines; words are expanded as they are reached."""
        try:
            return self._script(_tokens(text, self), stdin, out)
        except _SyntaxError as error:
            out(2, f"sh: syntax error: {error}\n".encode())
            return 2

    def _script(self, tokens: Iterator[str | tuple[str, str]], stdin: Input, out: Output) -> int:
        skip = False
        pipeline: list[list[str | tuple[str, str]]] = [[]]
        for token in tokens:
            if isinstance(token, tuple) and token[0] == "op":
                operator = token[1]
                if operator == "|":
                    pipeline.append([])
                    continue
                if not skip and any(pipeline):
                    if operator == "&":
                        self._jobs += 1  # started in the background: the fake does not run it
                    else:
                        self.status = self._pipeline(pipeline, stdin, out)
                skip = (operator == "&&" and self.status != 0) or (operator == "||" and self.status == 0)
                pipeline = [[]]
            else:
                pipeline[-1].append(token)
        if not skip and any(pipeline):
            self.status = self._pipeline(pipeline, stdin, out)
        return self.status

    def _pipeline(self, pipeline: list[list], stdin: Input, out: Output) -> int:
        status = 0
        for index, words in enumerate(pipeline):
            last = index == len(pipeline) - 1
            captured: list[bytes] = []
            stage_out = out if last else _capturing_stdout(captured, out)
            status = self._simple(words, stdin, stage_out)
            if not last:
                stdin = _reader(b"".join(captured))
        return status

    def _simple(self, words: list, stdin: Input, out: Output) -> int:
        argv: list[str] = []
        redirect: tuple[str, str] | None = None
        for word in words:
            if isinstance(word, tuple):  # ("redirect", ">" | ">>" | ">&2")
                redirect = (word[1], "")
            elif redirect is not None and not redirect[1] and redirect[0] != ">&2":
                redirect = (redirect[0], word)
            else:
                argv.append(word)
        if redirect is None:
            return self._program(argv, stdin, out)
        if redirect[0] == ">&2":
            return self._program(argv, stdin, lambda stream, data: out(2, data))
        path = posixpath.normpath(posixpath.join(self.cwd, redirect[1]))
        written: list[bytes] = []
        status = self._program(argv, stdin, _capturing_stdout(written, out))
        if not self.files.write(path, b"".join(written), append=redirect[0] == ">>"):
            out(2, f"sh: can't create {redirect[1]}: Read-only file system\n".encode())
            return 1
        return status

    def _command(self, argv: list[str], stdin: Input, out: Output) -> int:
        name, args = (argv[0], argv[1:]) if argv else ("true", [])
        if name == "echo":
            newline = not (args and args[0] == "-n")
            out(1, (" ".join(args[0 if newline else 1:]) + ("\n" if newline else "")).encode())
        elif name == "pwd":
            out(1, f"{self.cwd}\n".encode())
        elif name == "env":
            out(1, "".join(f"{key}={value}\n" for key, value in self.env.items()).encode())
        elif name == "cat":
            return self._cat(args, stdin, out)
        elif name == "exit":
            if args and not args[0].isdigit():
                out(2, f"sh: exit: Illegal number: {args[0]}\n".encode())
                raise Exited(2)
            raise Exited(int(args[0]) % 256 if args else self.status)
        elif name in ("true", ":", "mkdir"):
            return 0
        elif name == "false":
            return 1
        elif name == "trap":
            for signal in args[1:]:
                self.traps[signal.removeprefix("SIG")] = args[0]
        elif name == "wait":
            if self._jobs:
                raise Blocked()
        elif name in ("while", "until") or posixpath.basename(name) in WAITING_PROGRAMS:
            raise Blocked()
        elif name == "stty" and args == ["size"]:
            width, height = self._tty_size()
            out(1, f"{height} {width}\n".encode())
        else:
            # A program the fake cannot run is taken for a server: it runs until stopped,
            # and handles SIGTERM by exiting 0, as most servers do.
            self.traps.setdefault("TERM", "exit 0")
            raise Blocked()
        return 0

    def _cat(self, paths: list[str], stdin: Input, out: Output) -> int:
        if not paths:
            while chunk := stdin():
                out(1, chunk)
            return 0
        status = 0
        for path in paths:
            data = self.files.read(posixpath.normpath(posixpath.join(self.cwd, path)))
            if data is None:
                out(2, f"cat: can't open '{path}': No such file or directory\n".encode())
                status = 1
            else:
                out(1, data)
        return status


def _capturing_stdout(captured: list[bytes], out: Output) -> Output:
    """Collect stdout into `captured` (for a pipe or a redirection); stderr still goes to `out`."""
    def write(stream: int, data: bytes) -> None:
        if stream == 1:
            captured.append(data)
        else:
            out(stream, data)
    return write


def _reader(data: bytes) -> Input:
    chunks = [data] if data else []
    return lambda: chunks.pop(0) if chunks else b""


def _tokens(text: str, shell: Shell) -> Iterator[str | tuple[str, str]]:
    """Words (quotes removed, $VAR expanded) and ("op", ...) / ("redirect", ...) tokens, lazily."""
    i, word, in_word = 0, "", False
    while i < len(text):
        char = text[i]
        if char in " \t":
            if in_word:
                yield word
            word, in_word = "", False
        elif char == "#" and not in_word:
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif char in ";\n&|":
            if in_word:
                yield word
            word, in_word = "", False
            double = text[i:i + 2] in ("&&", "||")
            yield ("op", text[i:i + 2] if double else (";" if char == "\n" else char))
            i += 2 if double else 1
            continue
        elif char == ">":
            if in_word:
                yield word
            word, in_word = "", False
            operator = next(op for op in (">&2", ">>", ">") if text.startswith(op, i))
            yield ("redirect", operator)
            i += len(operator)
            continue
        elif char == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise _SyntaxError("unterminated quoted string")
            word, in_word = word + text[i + 1:end], True
            i = end
        elif char == '"':
            i += 1
            if '"' not in text[i:]:
                raise _SyntaxError("unterminated quoted string")
            while text[i] != '"':
                if text[i] == "\\" and text[i + 1] in '"\\$':
                    word, i = word + text[i + 1], i + 2
                elif text[i] == "$":
                    value, i = _variable(text, i, shell)
                    word += value
                else:
                    word, i = word + text[i], i + 1
            in_word = True
        elif char == "\\" and i + 1 < len(text):
            word, in_word, i = word + text[i + 1], True, i + 1
        elif char == "$":
            value, i = _variable(text, i, shell)
            word, in_word = word + value, True
            continue
        else:
            word, in_word = word + char, True
        i += 1
    if in_word:
        yield word


def _variable(text: str, i: int, shell: Shell) -> tuple[str, int]:
    """Expand the $NAME, ${NAME}, $? or $! at text[i]; returns (value, index after it)."""
    if text[i + 1:i + 2] in ("?", "!"):
        return (str(shell.status) if text[i + 1] == "?" else "1"), i + 2
    if text[i + 1:i + 2] == "{":
        end = text.find("}", i)
        if end < 0:
            raise _SyntaxError("bad substitution")
        return shell.env.get(text[i + 2:end], ""), end + 1
    end = i + 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    if end == i + 1:
        return "$", end
    return shell.env.get(text[i + 1:end], ""), end
