"""Split a template into tokens the way Go's text/template/parse lexer does.

Text outside `{{ }}` becomes one TEXT token; inside an action, spaces, fields
(`.a`), variables (`$x`), strings, numbers and punctuation become tokens of
their own. The trim markers `{{- ` and ` -}}` are handled here, so the parser
never sees them, and comments `{{/* */}}` vanish. A lexing error ends the
stream with one ERROR token, which the parser reports where it meets it.
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass
from enum import Enum, auto

from cli.go_format import go_quote

LEFT_DELIM, RIGHT_DELIM = "{{", "}}"
LEFT_COMMENT, RIGHT_COMMENT = "/*", "*/"
SPACE_CHARS = " \t\r\n"


class Kind(Enum):
    ERROR = auto()
    BOOL = auto()
    CHAR = auto()  # printable ASCII punctuation: `,` and the like
    CHAR_CONSTANT = auto()
    COMPLEX = auto()
    ASSIGN = auto()  # =
    DECLARE = auto()  # :=
    EOF = auto()
    FIELD = auto()  # .name
    IDENTIFIER = auto()  # a function name
    LEFT_DELIM = auto()
    LEFT_PAREN = auto()
    NUMBER = auto()
    PIPE = auto()
    RAW_STRING = auto()
    RIGHT_DELIM = auto()
    RIGHT_PAREN = auto()
    SPACE = auto()
    STRING = auto()
    TEXT = auto()
    VARIABLE = auto()  # $ or $name
    # keywords
    BLOCK = auto()
    BREAK = auto()
    CONTINUE = auto()
    DOT = auto()
    DEFINE = auto()
    ELSE = auto()
    END = auto()
    IF = auto()
    NIL = auto()
    RANGE = auto()
    TEMPLATE = auto()
    WITH = auto()


KEYWORDS = {"block": Kind.BLOCK, "break": Kind.BREAK, "continue": Kind.CONTINUE, ".": Kind.DOT,
            "define": Kind.DEFINE, "else": Kind.ELSE, "end": Kind.END, "if": Kind.IF, "nil": Kind.NIL,
            "range": Kind.RANGE, "template": Kind.TEMPLATE, "with": Kind.WITH}


@dataclass(frozen=True)
class Token:
    kind: Kind
    pos: int  # index of the first character in the template
    value: str
    line: int

    def __str__(self) -> str:
        """How Go's parse errors quote a token: `","`, `<end>`, `EOF`."""
        if self.kind is Kind.EOF:
            return "EOF"
        if self.kind is Kind.ERROR:
            return self.value
        if self.kind in KEYWORDS.values():
            return f"<{self.value}>"
        if len(self.value) > 10:
            return go_quote(self.value[:10]) + "..."
        return go_quote(self.value)


def is_space(char: str) -> bool:
    return char != "" and char in SPACE_CHARS


def is_alphanumeric(char: str) -> bool:
    return char != "" and (char == "_" or char.isalpha() or unicodedata.category(char) == "Nd")


def describe_rune(char: str) -> str:
    """Go's %#U: `U+002C ','`."""
    code = f"U+{ord(char):04X}"
    return f"{code} '{char}'" if char.isprintable() else code


def _has_left_trim(text: str, pos: int) -> bool:
    return text[pos:pos + 1] == "-" and is_space(text[pos + 1:pos + 2])


def _has_right_trim(text: str, pos: int) -> bool:
    return is_space(text[pos:pos + 1]) and text[pos + 1:pos + 2] == "-"


class _Lexer:
    """One pass over the template, mirroring Go's state functions; `tokens` ends in EOF or ERROR."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.start = 0
        self.paren_depth = 0
        self.tokens: list[Token] = []
        self._newlines = [i for i, char in enumerate(text) if char == "\n"]

    def line_at(self, pos: int) -> int:
        return 1 + bisect.bisect_left(self._newlines, pos)

    def emit(self, kind: Kind) -> None:
        self.tokens.append(Token(kind, self.start, self.text[self.start:self.pos], self.line_at(self.start)))
        self.start = self.pos

    def error(self, message: str) -> None:
        self.tokens.append(Token(Kind.ERROR, self.start, message, self.line_at(self.start)))

    def peek(self) -> str:
        return self.text[self.pos:self.pos + 1]

    def next(self) -> str:
        char = self.peek()
        self.pos += len(char)
        return char

    def accept(self, valid: str) -> bool:
        if self.peek() and self.peek() in valid:
            self.pos += 1
            return True
        return False

    def accept_run(self, valid: str) -> None:
        while self.accept(valid):
            pass

    def at_right_delim(self) -> tuple[bool, bool]:
        """(at the closing delimiter, it carries a trim marker)."""
        if _has_right_trim(self.text, self.pos) and self.text.startswith(RIGHT_DELIM, self.pos + 2):
            return True, True
        return self.text.startswith(RIGHT_DELIM, self.pos), False

    def at_terminator(self) -> bool:
        """Whether an identifier may end here: `.X.Y` is two fields, `$x+2` is an error."""
        char = self.peek()
        return char == "" or is_space(char) or char in ".,|:)(" or char == RIGHT_DELIM[0]

    # ----- states: each returns the next one, or None when the stream has ended

    def run(self) -> list[Token]:
        state = self.lex_text
        while state is not None:
            state = state()
        return self.tokens

    def lex_text(self):
        found = self.text.find(LEFT_DELIM, self.pos)
        if found < 0:
            self.pos = len(self.text)
            if self.pos > self.start:
                self.emit(Kind.TEXT)
            self.emit(Kind.EOF)
            return None
        self.pos = found
        trimmed = 0
        if _has_left_trim(self.text, found + len(LEFT_DELIM)):
            chunk = self.text[self.start:found]
            trimmed = len(chunk) - len(chunk.rstrip(SPACE_CHARS))
        self.pos -= trimmed
        if self.pos > self.start:
            self.emit(Kind.TEXT)
        self.pos += trimmed
        self.start = self.pos
        return self.lex_left_delim

    def lex_left_delim(self):
        self.pos += len(LEFT_DELIM)
        after_marker = 2 if _has_left_trim(self.text, self.pos) else 0
        if self.text.startswith(LEFT_COMMENT, self.pos + after_marker):
            self.pos += after_marker
            self.start = self.pos
            return self.lex_comment
        self.emit(Kind.LEFT_DELIM)
        self.pos += after_marker
        self.start = self.pos
        self.paren_depth = 0
        return self.lex_inside_action

    def lex_comment(self):
        self.pos += len(LEFT_COMMENT)
        end = self.text.find(RIGHT_COMMENT, self.pos)
        if end < 0:
            return self.error("unclosed comment")
        self.pos = end + len(RIGHT_COMMENT)
        delim, trim = self.at_right_delim()
        if not delim:
            return self.error("comment ends before closing delimiter")
        self.pos += (2 if trim else 0) + len(RIGHT_DELIM)
        if trim:
            self.pos = len(self.text) - len(self.text[self.pos:].lstrip(SPACE_CHARS))
        self.start = self.pos
        return self.lex_text

    def lex_right_delim(self):
        _, trim = self.at_right_delim()
        if trim:
            self.pos += 2
            self.start = self.pos
        self.pos += len(RIGHT_DELIM)
        self.emit(Kind.RIGHT_DELIM)
        if trim:
            self.pos = len(self.text) - len(self.text[self.pos:].lstrip(SPACE_CHARS))
            self.start = self.pos
        return self.lex_text

    def lex_inside_action(self):
        delim, _ = self.at_right_delim()
        if delim:
            if self.paren_depth == 0:
                return self.lex_right_delim
            return self.error("unclosed left paren")
        char = self.next()
        if char == "":
            return self.error("unclosed action")
        if is_space(char):
            self.pos -= 1  # put it back: it may start " -}}"
            return self.lex_space
        simple = {"=": Kind.ASSIGN, "|": Kind.PIPE}
        if char in simple:
            self.emit(simple[char])
        elif char == ":":
            if self.next() != "=":
                return self.error("expected :=")
            self.emit(Kind.DECLARE)
        elif char == '"':
            return self.lex_quote
        elif char == "`":
            return self.lex_raw_quote
        elif char == "$":
            return self.lex_variable
        elif char == "'":
            return self.lex_char
        elif char == "." and self.peek() != "" and not "0" <= self.peek() <= "9":
            return self.lex_field
        elif char in "+-." or "0" <= char <= "9":
            self.pos -= 1
            return self.lex_number
        elif is_alphanumeric(char):
            self.pos -= 1
            return self.lex_identifier
        elif char == "(":
            self.emit(Kind.LEFT_PAREN)
            self.paren_depth += 1
        elif char == ")":
            self.emit(Kind.RIGHT_PAREN)
            self.paren_depth -= 1
            if self.paren_depth < 0:
                return self.error(f"unexpected right paren {describe_rune(char)}")
        elif char <= "\x7f" and char.isprintable():
            self.emit(Kind.CHAR)
        else:
            return self.error(f"unrecognized character in action: {describe_rune(char)}")
        return self.lex_inside_action

    def lex_space(self):
        spaces = 0
        while is_space(self.peek()):
            self.pos += 1
            spaces += 1
        # a trim-marked closing delimiter starts with a space: leave that space to it
        if _has_right_trim(self.text, self.pos - 1) and self.text.startswith(RIGHT_DELIM, self.pos + 1):
            self.pos -= 1
            if spaces == 1:
                return self.lex_right_delim
        self.emit(Kind.SPACE)
        return self.lex_inside_action

    def lex_identifier(self):
        while is_alphanumeric(self.peek()):
            self.pos += 1
        if not self.at_terminator():
            return self.error(f"bad character {describe_rune(self.peek())}")
        word = self.text[self.start:self.pos]
        if word in KEYWORDS:
            self.emit(KEYWORDS[word])
        elif word in ("true", "false"):
            self.emit(Kind.BOOL)
        else:
            self.emit(Kind.IDENTIFIER)
        return self.lex_inside_action

    def lex_field(self):
        return self.lex_field_or_variable(Kind.FIELD)

    def lex_variable(self):
        if self.at_terminator():
            self.emit(Kind.VARIABLE)
            return self.lex_inside_action
        return self.lex_field_or_variable(Kind.VARIABLE)

    def lex_field_or_variable(self, kind: Kind):
        if self.at_terminator():  # a lone "." or "$"
            self.emit(Kind.VARIABLE if kind is Kind.VARIABLE else Kind.DOT)
            return self.lex_inside_action
        while is_alphanumeric(self.peek()):
            self.pos += 1
        if not self.at_terminator():
            return self.error(f"bad character {describe_rune(self.peek())}")
        self.emit(kind)
        return self.lex_inside_action

    def lex_char(self):
        while True:
            char = self.next()
            if char == "\\":
                if self.next() not in ("", "\n"):
                    continue
                return self.error("unterminated character constant")
            if char in ("", "\n"):
                return self.error("unterminated character constant")
            if char == "'":
                break
        self.emit(Kind.CHAR_CONSTANT)
        return self.lex_inside_action

    def lex_number(self):
        if not self.scan_number():
            return self.error(f"bad number syntax: {go_quote(self.text[self.start:self.pos])}")
        if self.peek() and self.peek() in "+-":
            # a complex constant: 1+2i, no spaces, must end in 'i'
            if not self.scan_number() or self.text[self.pos - 1] != "i":
                return self.error(f"bad number syntax: {go_quote(self.text[self.start:self.pos])}")
            self.emit(Kind.COMPLEX)
        else:
            self.emit(Kind.NUMBER)
        return self.lex_inside_action

    def scan_number(self) -> bool:
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 11 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 23 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if is_alphanumeric(self.peek()):
            self.pos += 1
            return False
        return True

    def lex_quote(self):
        while True:
            char = self.next()
            if char == "\\":
                if self.next() not in ("", "\n"):
                    continue
                return self.error("unterminated quoted string")
            if char in ("", "\n"):
                return self.error("unterminated quoted string")
            if char == '"':
                break
        self.emit(Kind.STRING)
        return self.lex_inside_action

    def lex_raw_quote(self):
        end = self.text.find("`", self.pos)
        if end < 0:
            return self.error("unterminated raw quoted string")
        self.pos = end + 1
        self.emit(Kind.RAW_STRING)
        return self.lex_inside_action


def tokenize(text: str) -> list[Token]:
    """All tokens of `text`, ending with EOF (or with ERROR where Go's lexer stops)."""
    return _Lexer(text).run()


def line_of(text: str, pos: int) -> tuple[int, int]:
    """(line, byte column) of a position, as Go's ErrorContext counts them."""
    line_start = text.rfind("\n", 0, pos) + 1
    return text.count("\n", 0, pos) + 1, len(text[line_start:pos].encode())
