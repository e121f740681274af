package query

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokenKind classifies a lexical token.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokKeyword
	tokParam
	tokNumber
	tokString
	tokOp
)

// token is one lexical token. text holds the word or operator as written, the decoded
// string, or the parameter name with its '@'; kw holds a keyword upper-cased.
type token struct {
	kind tokenKind
	text string
	kw   string
	num  float64
	pos  int
}

// keywords are reserved words, matched case-insensitively. true, false, null and
// undefined are lowercase-only literals, as in the service's grammar.
var keywords = map[string]bool{
	"AND": true, "ARRAY": true, "AS": true, "ASC": true, "BETWEEN": true, "BY": true,
	"DESC": true, "DISTINCT": true, "ESCAPE": true, "EXISTS": true, "FROM": true,
	"GROUP": true, "IN": true, "JOIN": true, "LIKE": true, "LIMIT": true, "NOT": true,
	"OFFSET": true, "OR": true, "ORDER": true, "SELECT": true, "TOP": true, "VALUE": true,
	"WHERE": true,
}

// operators lists multi-character operators first so the longest match wins.
var operators = []string{
	">>>", "<<", ">>", "<=", ">=", "!=", "<>", "||", "??",
	"+", "-", "*", "/", "%", "=", "<", ">", "&", "|", "^", "~", "(", ")", "[", "]",
	"{", "}", ",", ".", ":", "?",
}

// lex splits text into tokens, ending with tokEOF.
func lex(text string) ([]token, error) {
	var toks []token
	for i := 0; ; {
		i = skipSpace(text, i)
		if i >= len(text) {
			return append(toks, token{kind: tokEOF, pos: i}), nil
		}
		tok, next, err := lexOne(text, i)
		if err != nil {
			return nil, err
		}
		toks = append(toks, tok)
		i = next
	}
}

func skipSpace(text string, i int) int {
	for i < len(text) {
		switch {
		case text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r':
			i++
		case strings.HasPrefix(text[i:], "--"):
			for i < len(text) && text[i] != '\n' {
				i++
			}
		default:
			return i
		}
	}
	return i
}

func lexOne(text string, i int) (token, int, error) {
	c := text[i]
	switch {
	case isIdentStart(c):
		return lexWord(text, i)
	case c == '@':
		j := identEnd(text, i+1)
		if j == i+1 {
			return token{}, 0, &Error{Pos: i, Msg: "'@' must be followed by a parameter name"}
		}
		return token{kind: tokParam, text: text[i:j], pos: i}, j, nil
	case isDigit(c) || (c == '.' && i+1 < len(text) && isDigit(text[i+1])):
		return lexNumber(text, i)
	case c == '\'' || c == '"':
		return lexString(text, i)
	}
	for _, op := range operators {
		if strings.HasPrefix(text[i:], op) {
			return token{kind: tokOp, text: op, pos: i}, i + len(op), nil
		}
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return token{}, 0, &Error{Pos: i, Msg: "unexpected character " + strconv.QuoteRune(r)}
}

func lexWord(text string, i int) (token, int, error) {
	j := identEnd(text, i)
	word := text[i:j]
	if up := strings.ToUpper(word); keywords[up] {
		return token{kind: tokKeyword, text: word, kw: up, pos: i}, j, nil
	}
	return token{kind: tokIdent, text: word, pos: i}, j, nil
}

func lexNumber(text string, i int) (token, int, error) {
	j := i
	for j < len(text) && isDigit(text[j]) {
		j++
	}
	if j < len(text) && text[j] == '.' {
		j++
		for j < len(text) && isDigit(text[j]) {
			j++
		}
	}
	if j < len(text) && (text[j] == 'e' || text[j] == 'E') {
		k := j + 1
		if k < len(text) && (text[k] == '+' || text[k] == '-') {
			k++
		}
		if k < len(text) && isDigit(text[k]) {
			for k < len(text) && isDigit(text[k]) {
				k++
			}
			j = k
		}
	}
	if j < len(text) && isIdentStart(text[j]) {
		word := text[i:identEnd(text, j)]
		return token{}, 0, &Error{Pos: i, Msg: "malformed number " + strconv.Quote(word)}
	}
	f, err := strconv.ParseFloat(text[i:j], 64)
	if err != nil {
		return token{}, 0, &Error{Pos: i, Msg: "number " + text[i:j] + " is out of range"}
	}
	return token{kind: tokNumber, text: text[i:j], num: f, pos: i}, j, nil
}

func lexString(text string, start int) (token, int, error) {
	quote := text[start]
	var sb strings.Builder
	for i := start + 1; i < len(text); {
		c := text[i]
		switch {
		case c == quote:
			return token{kind: tokString, text: sb.String(), pos: start}, i + 1, nil
		case c == '\\':
			n, err := unescape(text, i, &sb)
			if err != nil {
				return token{}, 0, err
			}
			i = n
		default:
			sb.WriteByte(c)
			i++
		}
	}
	return token{}, 0, &Error{Pos: start, Msg: "unterminated string literal"}
}

// simpleEscapes maps the character after a backslash to the byte it stands for.
var simpleEscapes = map[byte]byte{
	'"': '"', '\'': '\'', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r',
	't': '\t',
}

// unescape decodes the escape sequence at text[i] (a backslash) into sb and returns the
// offset after it.
func unescape(text string, i int, sb *strings.Builder) (int, error) {
	if i+1 >= len(text) {
		return 0, &Error{Pos: i, Msg: "unterminated escape sequence in string literal"}
	}
	if b, ok := simpleEscapes[text[i+1]]; ok {
		sb.WriteByte(b)
		return i + 2, nil
	}
	if text[i+1] != 'u' || i+6 > len(text) {
		return 0, &Error{Pos: i, Msg: "invalid escape sequence in string literal"}
	}
	code, err := strconv.ParseUint(text[i+2:i+6], 16, 32)
	if err != nil {
		return 0, &Error{Pos: i, Msg: "invalid \\u escape in string literal"}
	}
	r, next := rune(code), i+6
	if utf16High(r) && next+6 <= len(text) && text[next] == '\\' && text[next+1] == 'u' {
		if low, err := strconv.ParseUint(text[next+2:next+6], 16, 32); err == nil &&
			utf16Low(rune(low)) {
			r = (r-0xD800)<<10 + (rune(low) - 0xDC00) + 0x10000
			next += 6
		}
	}
	sb.WriteRune(r)
	return next, nil
}

func utf16High(r rune) bool { return r >= 0xD800 && r < 0xDC00 }
func utf16Low(r rune) bool  { return r >= 0xDC00 && r < 0xE000 }

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func identEnd(text string, i int) int {
	for i < len(text) && (isIdentStart(text[i]) || isDigit(text[i])) {
		i++
	}
	return i
}
